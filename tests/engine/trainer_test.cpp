#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <torch/torch.h>

#include "ssd/engine/checkpoint.h"
#include "ssd/engine/trainer.h"
#include "ssd/util/error.h"
#include "test_data.h"
#include "test_support.h"

namespace ssd::engine {
namespace {

namespace fs = std::filesystem;

std::vector<at::Tensor> parameters_of(const std::string& checkpoint, const config::Config& c) {
  auto model = model::build_ssd(c.model, static_cast<int64_t>(c.data.classes.size()) + 1);
  load_checkpoint(checkpoint, model, nullptr);
  std::vector<at::Tensor> out;
  for (const auto& p : model->parameters()) out.push_back(p.detach().clone());
  for (const auto& b : model->buffers()) out.push_back(b.detach().clone());
  return out;
}

config::ModelConfig tiny_model() {
  config::ModelConfig mc;
  mc.backbone = "mobilenet_v2";
  mc.width_mult = 0.25;
  mc.image_size = 96;
  return mc;
}

// "iteration,lr" of every train row of metrics.csv (log_period 1: one row per step).
std::vector<std::string> lr_column(const std::string& metrics_csv) {
  std::ifstream in(metrics_csv);
  std::vector<std::string> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    if (f[0] == "train") out.push_back(f[1] + "," + f[3]);
  }
  return out;
}

// K + M steps in one run against K steps, a stop, and M more after --resume: the same LR at every step and the
// same parameters (bit for bit) at the end. The stop falls inside an epoch (batch 3 of 3) and inside the warm-up.
TEST(Trainer, ResumeIsExact) {
  const auto dir = test::temp_dir("resume");
  const auto root = test::make_shapes(dir);
  auto straight = test::tiny_config(root, dir + "/straight");
  straight.schedule.warmup.iters = 4;
  straight.data.val.roots.clear();  // no evaluation: this test is about the training state
  straight.train.max_iters = 5;
  Trainer(straight, c10::Device(c10::kCPU)).run();

  auto first = straight;
  first.train.run_dir = dir + "/resumed";
  first.train.max_iters = 2;
  Trainer(first, c10::Device(c10::kCPU)).run();
  EXPECT_EQ(read_checkpoint_state(dir + "/resumed/last.pt").iteration, 2);
  EXPECT_EQ(read_checkpoint_state(dir + "/resumed/last.pt").batch_in_epoch, 2);
  auto second = first;
  second.train.max_iters = 5;
  Trainer(second, c10::Device(c10::kCPU), dir + "/resumed").run();

  EXPECT_EQ(read_checkpoint_state(dir + "/resumed/last.pt").iteration, 5);
  const auto a = parameters_of(dir + "/straight/last.pt", straight);
  const auto b = parameters_of(dir + "/resumed/last.pt", second);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "tensor " << i << " differs after resume";
  EXPECT_EQ(lr_column(dir + "/straight/metrics.csv"), lr_column(dir + "/resumed/metrics.csv"));
}

TEST(Trainer, WritesCheckpointsMetricsAndPlot) {
  const auto dir = test::temp_dir("outputs");
  const auto root = test::make_shapes(dir);
  auto c = test::tiny_config(root, dir + "/run");
  const auto result = Trainer(c, c10::Device(c10::kCPU)).run();
  EXPECT_EQ(result.state.iteration, 6);  // 12 images / batch 4 = 3 per epoch, 2 epochs
  for (const char* f : {"last.pt", "best.pt", "metrics.csv", "training.png", "train.log", "config.yaml"})
    EXPECT_TRUE(fs::exists(dir + "/run/" + f)) << f;
  EXPECT_GE(result.state.best_metric, 0.0);
}

TEST(Trainer, MissingDataSetFailsBeforeTraining) {
  const auto dir = test::temp_dir("missing");
  auto c = test::tiny_config(dir + "/nowhere", dir + "/run");
  EXPECT_EQ(test::thrown_message<DataError>([&] { Trainer(c, c10::Device(c10::kCPU)).run(); }),
            dir + "/nowhere: data set root not found (data.train.roots)");
  EXPECT_FALSE(fs::exists(dir + "/run/last.pt"));
}

TEST(Checkpoint, TruncatedAndForeignFilesAreClearErrors) {
  const auto dir = test::temp_dir("truncated");
  const auto mc = tiny_model();
  auto model = model::build_ssd(mc, 3);
  TrainState s;
  s.iteration = 7;
  save_checkpoint(dir + "/a.pt", model, nullptr, s);
  EXPECT_EQ(read_checkpoint_state(dir + "/a.pt").iteration, 7);
  const auto size = fs::file_size(dir + "/a.pt");
  for (double keep : {0.0, 0.1, 0.5, 0.9, 0.999}) {
    fs::copy_file(dir + "/a.pt", dir + "/t.pt", fs::copy_options::overwrite_existing);
    fs::resize_file(dir + "/t.pt", static_cast<uintmax_t>(size * keep));
    const auto msg = test::thrown_message<CheckpointError>([&] { read_checkpoint_state(dir + "/t.pt"); });
    EXPECT_EQ(msg.rfind(dir + "/t.pt: ", 0), 0u) << msg;
  }
  EXPECT_EQ(test::thrown_message<CheckpointError>([&] { read_checkpoint_state(dir + "/none.pt"); }),
            dir + "/none.pt: checkpoint not found");
  config::ModelConfig other = tiny_model();
  other.width_mult = 0.5;
  auto wider = model::build_ssd(other, 3);
  const auto msg = test::thrown_message<CheckpointError>([&] { load_checkpoint(dir + "/a.pt", wider, nullptr); });
  EXPECT_NE(msg.find("has shape"), std::string::npos) << msg;
}

// A process killed (SIGKILL) at arbitrary moments while it rewrites last.pt must always leave a loadable file.
TEST(Checkpoint, SurvivesAKillDuringItsWrite) {
  const auto dir = test::temp_dir("kill");
  const auto mc = tiny_model();
  auto model = model::build_ssd(mc, 3);
  TrainState s;
  save_checkpoint(dir + "/last.pt", model, nullptr, s);
  for (int round = 0; round < 6; ++round) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int64_t i = 1;; ++i) {
        s.iteration = i;
        save_checkpoint(dir + "/last.pt", model, nullptr, s);
      }
    }
    ::usleep(20000 + 37000 * round);  // different points of the write cycle
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    EXPECT_NO_THROW({
      auto st = read_checkpoint_state(dir + "/last.pt");
      auto m = model::build_ssd(mc, 3);
      load_checkpoint(dir + "/last.pt", m, nullptr);
    }) << "round " << round;
  }
}

}  // namespace
}  // namespace ssd::engine
