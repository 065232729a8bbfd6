// A checkpoint's file: sealed with its SHA-256 so that damage is refused, written so that a full disk or a file size
// limit is a clear error that leaves the previous file whole and no temporary behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <torch/torch.h>

#include "ssd/engine/checkpoint.h"
#include "ssd/engine/checkpoint_file.h"
#include "ssd/util/error.h"
#include "test_data.h"
#include "test_support.h"

namespace ssd::engine {
namespace {

namespace fs = std::filesystem;

std::string write_tiny_checkpoint(const std::string& path, int64_t iteration = 7) {
  auto model = model::build_ssd(test::tiny_model(), 3);
  CheckpointState s;
  s.position.iteration = iteration;
  s.config_yaml = "{}";
  save_checkpoint(path, model, nullptr, s);
  return path;
}

std::vector<char> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(CheckpointFile, IsSealedAndReadsBack) {
  const auto dir = test::temp_dir("sealed");
  const auto path = write_tiny_checkpoint(dir + "/a.pt");
  EXPECT_EQ(check_seal(path), Seal::kIntact);
  EXPECT_EQ(read_checkpoint_state(path).position.iteration, 7);
  auto model = model::build_ssd(test::tiny_model(), 3);
  EXPECT_NO_THROW(load_checkpoint(path, model, nullptr));
  EXPECT_FALSE(fs::exists(temporary_checkpoint_path(path)));
  // The same from its bytes in memory (what rank 0 hands the other processes of a distributed resume); a flipped bit
  // in them is refused as in the file.
  const CheckpointBytes in_memory = read_checkpoint_file(path);
  EXPECT_EQ(seal_of(in_memory.bytes), Seal::kIntact);
  EXPECT_EQ(read_checkpoint_state(in_memory).position.iteration, 7);
  EXPECT_NO_THROW(load_checkpoint(in_memory, model, nullptr));
  CheckpointBytes flipped = in_memory;
  flipped.bytes[flipped.bytes.size() / 2] ^= 1;
  EXPECT_EQ(seal_of(flipped.bytes), Seal::kBroken);
  EXPECT_NE(test::thrown_message<CheckpointError>([&] { read_checkpoint_state(flipped); }).find("damaged"), std::string::npos);
  // Not a file: a CheckpointError naming it.
  EXPECT_EQ(test::thrown_message<CheckpointError>([&] { read_checkpoint_file(dir); }), dir + ": not a checkpoint file");
}

// Format 2 (hook states, written before checkpoints were sealed) still reads; a format-3 file that lost its seal does
// not.
TEST(CheckpointFile, AnUnsealedFormat2FileReads) {
  const auto dir = test::temp_dir("format2");
  auto model = model::build_ssd(test::tiny_model(), 3);
  torch::serialize::OutputArchive archive, model_archive;
  archive.write("meta/format", at::tensor(int64_t{2}));
  archive.write("meta/config", c10::IValue(std::string("{}")));
  for (const char* key : {"state/iteration", "state/epoch", "state/batch_in_epoch", "state/total_iters"})
    archive.write(key, at::tensor(int64_t{5}));
  archive.write("hooks/best_model", c10::IValue(std::string("0.25 1")));
  model->save(model_archive);
  archive.write("model", model_archive);
  archive.save_to(dir + "/old.pt");
  EXPECT_EQ(check_seal(dir + "/old.pt"), Seal::kUnsealed);
  const auto state = read_checkpoint_state(dir + "/old.pt");
  EXPECT_EQ(state.position.iteration, 5);
  EXPECT_EQ(state.hooks.at("best_model"), "0.25 1");
  EXPECT_NO_THROW(load_checkpoint(dir + "/old.pt", model, nullptr));
  archive.write("meta/format", at::tensor(int64_t{3}));
  archive.save_to(dir + "/unsealed3.pt");
  EXPECT_EQ(test::thrown_message<CheckpointError>([&] { read_checkpoint_state(dir + "/unsealed3.pt"); }),
            dir + "/unsealed3.pt: damaged: a format-3 checkpoint without its SHA-256 seal");
}

// One flipped bit anywhere (the zip headers, the tensors, the config, the seal itself) is refused with the file's
// name, never loaded and never a crash.
TEST(CheckpointFile, AFlippedBitAnywhereIsRefused) {
  const auto dir = test::temp_dir("flipped");
  const auto path = write_tiny_checkpoint(dir + "/a.pt");
  const auto good = bytes_of(path);
  std::vector<size_t> offsets;
  for (size_t i = 0; i < 256; i += 7) offsets.push_back(i);                    // the first record's header
  for (size_t i = good.size() - 200; i < good.size(); i += 3) offsets.push_back(i);  // central directory, end record, seal
  std::mt19937_64 rng(5);
  for (int i = 0; i < 40; ++i) offsets.push_back(std::uniform_int_distribution<size_t>(0, good.size() - 1)(rng));
  for (const size_t at : offsets) {
    auto bad = good;
    bad[at] = static_cast<char>(bad[at] ^ (1 << (at % 8)));
    const auto damaged = dir + "/damaged.pt";
    write_bytes(damaged, bad);
    const auto msg = test::thrown_message<CheckpointError>([&] {
      read_checkpoint_state(damaged);
      auto model = model::build_ssd(test::tiny_model(), 3);
      load_checkpoint(damaged, model, nullptr);
    });
    EXPECT_EQ(msg.rfind(damaged + ": ", 0), 0u) << "byte " << at << " of " << good.size() << ": " << msg;
  }
}

// A file cut short anywhere (every length within its first and last 512 bytes, where the zip headers and the seal
// are, and a sample between) is refused with the file's name, never loaded and never a crash.
TEST(CheckpointFile, ATruncationAnywhereIsRefused) {
  const auto dir = test::temp_dir("truncated_anywhere");
  const auto path = write_tiny_checkpoint(dir + "/a.pt");
  const auto good = bytes_of(path);
  std::vector<size_t> lengths;
  for (size_t n = 0; n < 512; ++n) lengths.push_back(n);
  for (size_t n = good.size() - 512; n < good.size(); ++n) lengths.push_back(n);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 64; ++i) lengths.push_back(std::uniform_int_distribution<size_t>(512, good.size() - 513)(rng));
  const auto cut = dir + "/cut.pt";
  for (const size_t n : lengths) {
    write_bytes(cut, std::vector<char>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)));
    const auto msg = test::thrown_message<CheckpointError>([&] {
      read_checkpoint_state(cut);
      auto model = model::build_ssd(test::tiny_model(), 3);
      load_checkpoint(cut, model, nullptr);
    });
    EXPECT_EQ(msg.rfind(cut + ": ", 0), 0u) << "cut at " << n << " of " << good.size() << ": " << msg;
  }
}

// Under a file size limit (as on a full disk) the write fails with a clear error, the previous checkpoint stays as
// it was and no temporary file is left. Run in a child process: the limit is the process's.
TEST(CheckpointFile, AFullDiskIsAClearErrorAndKeepsThePreviousFile) {
  const auto dir = test::temp_dir("full_disk");
  const auto path = write_tiny_checkpoint(dir + "/last.pt", 3);
  const auto before = bytes_of(path);
  auto model = model::build_ssd(test::tiny_model(), 3);  // built before the fork: the child only writes
  CheckpointState state;
  state.position.iteration = 4;
  const auto msg =
      test::message_under_file_size_limit<CheckpointError>(before.size() / 2, [&] { save_checkpoint(path, model, nullptr, state); });
  EXPECT_EQ(msg.rfind(path + ": cannot write checkpoint: File too large", 0), 0u) << msg;
  EXPECT_NE(msg.find("the previous file is kept"), std::string::npos) << msg;
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_FALSE(fs::exists(temporary_checkpoint_path(path)));
  EXPECT_EQ(read_checkpoint_state(path).position.iteration, 3);
}

// A run directory whose last.pt is damaged resumes from the newest checkpoint beside it that reads.
TEST(CheckpointFile, ResumeFallsBackToTheNewestIntactCheckpoint) {
  const auto dir = test::temp_dir("fallback");
  write_tiny_checkpoint(dir + "/epoch_1.pt", 3);
  write_tiny_checkpoint(dir + "/epoch_2.pt", 6);
  write_tiny_checkpoint(dir + "/best.pt", 3);
  write_tiny_checkpoint(dir + "/last.pt", 9);
  EXPECT_EQ(resume_checkpoint(dir), dir + "/last.pt");
  auto bytes = bytes_of(dir + "/last.pt");
  bytes[bytes.size() / 2] ^= 1;
  write_bytes(dir + "/last.pt", bytes);
  EXPECT_EQ(resume_checkpoint(dir), dir + "/epoch_2.pt");
  fs::resize_file(dir + "/epoch_2.pt", 100);
  EXPECT_EQ(resume_checkpoint(dir), dir + "/best.pt");  // as new as epoch_1.pt: the first by name
  EXPECT_EQ(resume_checkpoint(dir + "/last.pt"), dir + "/last.pt");  // a file named is taken as it is (and refused later)
  for (const char* name : {"epoch_1.pt", "best.pt"}) fs::remove(dir + "/" + name);
  const auto msg = test::thrown_message<CheckpointError>([&] { resume_checkpoint(dir); });
  EXPECT_EQ(msg.rfind(dir + ": no checkpoint in it reads:", 0), 0u) << msg;
  EXPECT_NE(msg.find(dir + "/last.pt: damaged"), std::string::npos) << msg;
}

}  // namespace
}  // namespace ssd::engine
