// Weights files as Python writes them (interop/fixtures.h): both torch.save formats, every dtype, shared and
// strided storages, nested checkpoints, torchvision's own files.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "ssd/interop/state_dict_file.h"
#include "ssd/util/error.h"
#include "interop/fixtures.h"
#include "test_data.h"
#include "test_support.h"

namespace ssd::interop {
namespace {

class StateDictFile : public test::InteropFiles {
 protected:
  void SetUp() override {
    InteropFiles::SetUp();
    if (!HasFatalFailure()) expected_ = test::interop_expected();
  }

  void expect_same(const std::string& file) {
    SCOPED_TRACE(file);
    const auto tensors = read_state_dict(path(file));
    const auto& want = expected_.at(file);
    ASSERT_EQ(tensors.size(), want.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto& [name, t] = tensors[i];
      const auto& w = want[i];
      SCOPED_TRACE(name);
      EXPECT_EQ(name, w[0].get<std::string>());  // the file's order
      EXPECT_EQ(std::string(c10::toString(t.scalar_type())), dtype_name(w[1].get<std::string>()));
      EXPECT_EQ(t.sizes().vec(), w[2].get<std::vector<int64_t>>());
      const double sum = t.numel() ? t.to(at::kDouble).sum().item<double>() : 0.0;
      EXPECT_NEAR(sum, w[3].get<double>(), 1e-9 * std::max(1.0, std::abs(w[3].get<double>())));
      const auto flat = t.reshape({-1}).to(at::kDouble);
      const auto first = w[4].get<std::vector<double>>();
      for (size_t k = 0; k < first.size(); ++k) EXPECT_EQ(flat[static_cast<int64_t>(k)].item<double>(), first[k]);
    }
  }
  // Python's dtype names as c10::toString writes them.
  static std::string dtype_name(const std::string& python) {
    static const std::map<std::string, std::string> names{{"float32", "Float"}, {"float64", "Double"}, {"float16", "Half"},
                                                          {"int64", "Long"},    {"int32", "Int"},      {"uint8", "Byte"},
                                                          {"bool", "Bool"}};
    return names.at(python);
  }

  nlohmann::json expected_;
};

TEST_F(StateDictFile, ZipFormatEveryDtypeSharedAndStridedStorages) { expect_same("mixed_zip.pth"); }
TEST_F(StateDictFile, LegacyFormatAsOlderPublishedWeights) { expect_same("mixed_legacy.pth"); }
TEST_F(StateDictFile, TorchvisionFilesInBothFormats) {
  expect_same("mobilenet_v2_zip.pth");
  expect_same("mobilenet_v2_legacy.pth");
  expect_same("vgg16-397923af.pth");
}
TEST_F(StateDictFile, StateDictNestedInATrainingCheckpoint) { expect_same("checkpoint_zip.pth"); }

TEST_F(StateDictFile, ForeignObjectsAndOtherFilesAreClearErrors) {
  auto message = test::thrown_message<DataError>([&] { read_state_dict(path("foreign_zip.pth")); });
  EXPECT_NE(message.find("the Python object torch.optim.lr_scheduler.StepLR, which is not part of a state dict"), std::string::npos)
      << message;
  message = test::thrown_message<DataError>([&] { read_state_dict(path("expected.json")); });
  EXPECT_NE(message.find("expected.json: not a PyTorch weights file"), std::string::npos) << message;
  message = test::thrown_message<DataError>([&] { read_state_dict(path("missing.pth")); });
  EXPECT_NE(message.find("missing.pth: weights file not found"), std::string::npos) << message;
  // A truncated legacy file: the storages end early.
  std::ifstream in(path("mixed_legacy.pth"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string truncated = test::temp_dir("interop_truncated") + "/truncated.pth";
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() - 20);
  message = test::thrown_message<DataError>([&] { read_state_dict(truncated); });
  EXPECT_NE(message.find("truncated.pth: file ends"), std::string::npos) << message;
}

// A file may declare sizes far beyond its bytes; each is refused before anything of that size is allocated.
TEST_F(StateDictFile, SizesDeclaredBeyondTheFileAreRefusedBeforeAllocating) {
  auto message = test::thrown_message<DataError>([&] { read_state_dict(path("expanded_zip.pth")); });
  EXPECT_NE(message.find("expanded_zip.pth: tensor 'expanded' has more elements than its storage"), std::string::npos) << message;
  message = test::thrown_message<DataError>([&] { read_state_dict(path("huge_storage_legacy.pth")); });
  EXPECT_NE(message.find("huge_storage_legacy.pth: file ends inside storage"), std::string::npos) << message;
  // A zip archive whose storage record is damaged (the fuzzer's find, fuzz/corpus/state_dict/crash-corrupt-record).
  const std::string corrupt = std::string(SSD_SOURCE_DIR) + "/fuzz/corpus/state_dict/crash-corrupt-record";
  message = test::thrown_message<DataError>([&] { read_state_dict(corrupt); });
  EXPECT_EQ(message.rfind(corrupt + ": ", 0), 0u) << message;
}

}  // namespace
}  // namespace ssd::interop
