#include "ssd/util/csv.h"

#include <gtest/gtest.h>

namespace ssd::util {
namespace {

// What csv_quoted writes, csv_records reads back: commas, quotes and line breaks inside a field, empty fields.
TEST(Csv, RecordsReadBackWhatQuotedFieldsWrote) {
  const std::string text = "rank,trial,failure\r\n1,3," + csv_quoted("") + "\n2,4," + csv_quoted("diverged, \"NaN\"\nat step 5") + "\n\n3,,\n";
  const auto records = csv_records(text);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0], (std::vector<std::string>{"rank", "trial", "failure"}));
  EXPECT_EQ(records[1], (std::vector<std::string>{"1", "3", ""}));
  EXPECT_EQ(records[2], (std::vector<std::string>{"2", "4", "diverged, \"NaN\"\nat step 5"}));
  EXPECT_EQ(records[3], (std::vector<std::string>{"3", "", ""}));
  EXPECT_EQ(csv_records("a,b").size(), 1u);  // the last record without its line break
}

}  // namespace
}  // namespace ssd::util
