#include "ssd/engine/metrics_log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_data.h"
#include "test_support.h"

namespace ssd::engine {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A resumed run keeps the rows up to its checkpoint: a line that a killed run cut off, or one that is not a row,
// is left out with a warning instead of becoming a row of zeros or stopping the resume.
TEST(MetricsLog, AResumeKeepsTheWholeRowsUpToItsCheckpoint) {
  const auto dir = test::temp_dir("metrics_log");
  const std::string path = dir + "/metrics.csv";
  const std::string header = "kind,iteration,epoch,lr,loss,loss_loc,loss_conf,img_per_s,data_wait,map_voc,map_voc07\n";
  const std::string row1 = "train,1,1,0.001,3,1,2,10,0.1,,\n", val3 = "val,3,1,,2.5,,,,,0.5,0.4\n",
                    row4 = "train,4,2,0.001,nan,nan,nan,10,0.1,,\n", row9 = "train,9,3,0.001,3,1,2,10,0.1,,\n";
  std::ofstream(path) << header << row1 << "tra\n" << "train,2,1,0.0-1,3,1,2,10,0.1,,\n" << val3 << row4 << row9 << "train,10,3,0.0";
  std::string log;
  log = test::logged([&] { MetricsLog(path, /*append=*/true, /*keep_until=*/4); });
  // Rows of files without the time_s column are kept as they are, under today's header.
  const std::string today = "kind,iteration,epoch,lr,loss,loss_loc,loss_conf,img_per_s,data_wait,map_voc,map_voc07,time_s\n";
  EXPECT_EQ(read(path), today + row1 + val3 + row4);
  EXPECT_NE(log.find(path + ": left out 3 line(s) that are not whole rows"), std::string::npos) << log;

  MetricsLog fresh(path, /*append=*/false);
  EXPECT_EQ(read(path), today);
}

}  // namespace
}  // namespace ssd::engine
