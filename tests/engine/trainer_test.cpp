#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <torch/torch.h>

#include "ssd/config/load.h"
#include "ssd/engine/checkpoint.h"
#include "ssd/engine/trainer.h"
#include "ssd/optim/optimizer.h"
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
void expect_exact_resume(const std::string& dir, config::Config straight) {
  straight.train.run_dir = dir + "/straight";
  straight.schedule.warmup.iters = 4;
  straight.data.val.roots.clear();  // no evaluation: this test is about the training state
  straight.train.max_iters = 5;
  Trainer(straight, c10::Device(c10::kCPU)).run();

  auto first = straight;
  first.train.run_dir = dir + "/resumed";
  first.train.max_iters = 2;
  Trainer(first, c10::Device(c10::kCPU)).run();
  EXPECT_EQ(read_checkpoint_state(dir + "/resumed/last.pt").position.iteration, 2);
  EXPECT_EQ(read_checkpoint_state(dir + "/resumed/last.pt").position.batch_in_epoch, 2);
  auto second = first;
  second.train.max_iters = 5;
  Trainer(second, c10::Device(c10::kCPU), dir + "/resumed").run();

  EXPECT_EQ(read_checkpoint_state(dir + "/resumed/last.pt").position.iteration, 5);
  const auto a = parameters_of(dir + "/straight/last.pt", straight);
  const auto b = parameters_of(dir + "/resumed/last.pt", second);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "tensor " << i << " differs after resume";
  EXPECT_EQ(lr_column(dir + "/straight/metrics.csv"), lr_column(dir + "/resumed/metrics.csv"));
}

TEST(Trainer, ResumeIsExact) {
  const auto dir = test::temp_dir("resume");
  expect_exact_resume(dir, test::tiny_config(test::make_shapes(dir), ""));
}

// With an augmentation pipeline that mixes images (mosaic and copy_paste draw other samples with the sample's
// generator), composes geometric maps and fits by letterbox, resume is as exact.
TEST(Trainer, ResumeIsExactWithAnAugmentationPipeline) {
  const auto dir = test::temp_dir("resume_pipeline");
  auto c = test::tiny_config(test::make_shapes(dir), "");
  c.augment = config::load_config_text("augment:\n  pipeline: [brightness, hue, gaussian_noise, jpeg, mosaic, copy_paste, zoom_out, affine,"
                                       " iou_crop, hflip]\n  mosaic: {p: 0.5}\n  copy_paste: {p: 0.7}\n",
                                       "pipeline.yaml")
                  .augment;
  c.model.resize = "letterbox";
  expect_exact_resume(dir, c);
}

// Tiled training (tiles of 96 px drawn from 160 px images) resumes as exactly: the tile comes from each sample's own
// generator. Validation by sliced inference gives a finite loss and a metric.
TEST(Trainer, TiledTrainingResumesExactlyAndValidatesSliced) {
  const auto dir = test::temp_dir("tiled");
  auto c = test::tiny_config(test::make_shapes(dir, 12, 4, /*size=*/160), "");
  c.tiling.train = true;
  expect_exact_resume(dir, c);
  c.tiling.infer = true;
  c.train.run_dir = dir + "/validated";
  c.train.epochs = 1;
  const auto result = Trainer(c, c10::Device(c10::kCPU)).run();
  EXPECT_GE(result.best_metric, 0.0);
  std::ifstream csv(dir + "/validated/metrics.csv");
  std::string text((std::istreambuf_iterator<char>(csv)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("val,"), std::string::npos) << text;
  EXPECT_EQ(text.find("nan"), std::string::npos) << text;
}

TEST(Trainer, WritesCheckpointsMetricsAndPlot) {
  const auto dir = test::temp_dir("outputs");
  const auto root = test::make_shapes(dir);
  auto c = test::tiny_config(root, dir + "/run");
  const auto result = Trainer(c, c10::Device(c10::kCPU)).run();
  EXPECT_EQ(result.position.iteration, 6);  // 12 images / batch 4 = 3 per epoch, 2 epochs
  for (const char* f : {"last.pt", "best.pt", "metrics.csv", "training.png", "train.log", "config.yaml"})
    EXPECT_TRUE(fs::exists(dir + "/run/" + f)) << f;
  EXPECT_GE(result.best_metric, 0.0);
}

TEST(Trainer, MissingDataSetFailsBeforeTraining) {
  const auto dir = test::temp_dir("missing");
  auto c = test::tiny_config(dir + "/nowhere", dir + "/run");
  EXPECT_EQ(test::thrown_message<DataError>([&] { Trainer(c, c10::Device(c10::kCPU)).run(); }),
            dir + "/nowhere: data set root not found (data.train.roots)");
  EXPECT_FALSE(fs::exists(dir + "/run/last.pt"));
}

// early_stop.restore_best_weights: the run stops when val/loss stalls (no improvement can beat min_delta after the
// first validation), loads the weights of that first validation into the model and writes them to final.pt; last.pt
// keeps the last weights. Periodic checkpoints (train.checkpoint_period 1) hold each epoch's.
TEST(Trainer, EarlyStopRestoresTheBestWeightsAndPeriodicCheckpointsKeepEachEpoch) {
  const auto dir = test::temp_dir("early_stop");
  auto c = test::tiny_config(test::make_shapes(dir), dir + "/run");
  c.train.epochs = 5;
  c.train.checkpoint_period = 1;
  c.early_stop.patience = 1;
  c.early_stop.monitor = "val/loss";
  c.early_stop.min_delta = 1e9;  // only the first validation improves (on infinity)
  c.early_stop.restore_best_weights = true;
  const auto result = Trainer(c, c10::Device(c10::kCPU)).run();
  EXPECT_EQ(result.position.epoch, 2);  // stopped after the second validation
  for (const char* f : {"epoch_1.pt", "epoch_2.pt", "final.pt"}) EXPECT_TRUE(fs::exists(dir + "/run/" + f)) << f;
  EXPECT_FALSE(fs::exists(dir + "/run/epoch_3.pt"));
  EXPECT_EQ(read_checkpoint_state(dir + "/run/epoch_1.pt").position.iteration, 3);
  EXPECT_EQ(read_checkpoint_state(dir + "/run/epoch_2.pt").position.iteration, 6);
  const auto best = parameters_of(dir + "/run/epoch_1.pt", c), final = parameters_of(dir + "/run/final.pt", c),
             last = parameters_of(dir + "/run/last.pt", c);
  bool last_differs = false;
  for (size_t i = 0; i < best.size(); ++i) {
    EXPECT_TRUE(torch::equal(best[i], final[i])) << "tensor " << i << " of final.pt is not the best validation's";
    last_differs = last_differs || !torch::equal(best[i], last[i]);
  }
  EXPECT_TRUE(last_differs) << "last.pt should keep the weights of the last epoch";
}

// A resumed run keeps its best metric: it comes back as the number it was (a checkpoint once read it back through a
// tensor of another type, as the bits of an integer, and no later validation could beat it).
TEST(Trainer, ResumeKeepsTheBestMetric) {
  const auto dir = test::temp_dir("best_resume");
  auto c = test::tiny_config(test::make_shapes(dir), dir + "/run");
  c.train.epochs = 1;
  const auto first = Trainer(c, c10::Device(c10::kCPU)).run();
  ASSERT_GE(first.best_metric, 0.0);
  c.train.epochs = 2;
  const auto second = Trainer(c, c10::Device(c10::kCPU), dir + "/run").run();
  EXPECT_GE(second.best_metric, first.best_metric);
  EXPECT_LE(second.best_metric, 1.0);
}

// A checkpoint of format 1 (state/* entries) reads back into the hooks' states, its double best metric whole.
TEST(Checkpoint, Format1ReadsItsStateIntoTheHooks) {
  const auto dir = test::temp_dir("format1");
  auto model = model::build_ssd(test::tiny_model(), 3);
  torch::serialize::OutputArchive archive, model_archive;
  archive.write("meta/format", at::tensor(int64_t{1}));
  archive.write("meta/config", c10::IValue(std::string("{}")));
  for (const char* key : {"state/iteration", "state/epoch", "state/batch_in_epoch", "state/total_iters"})
    archive.write(key, at::tensor(int64_t{12}));
  archive.write("state/best_metric", at::tensor(0.00679, at::kDouble));
  archive.write("state/best_epoch", at::tensor(int64_t{2}));
  archive.write("state/schedule", c10::IValue(std::string("")));
  archive.write("state/early_stop", c10::IValue(std::string("early_stop 0.5 1")));
  archive.write("state/amp", c10::IValue(std::string("")));
  model->save(model_archive);
  archive.write("model", model_archive);
  archive.save_to(dir + "/old.pt");
  const auto s = read_checkpoint_state(dir + "/old.pt");
  EXPECT_EQ(s.position.iteration, 12);
  ASSERT_TRUE(s.hooks.count("best_model"));
  EXPECT_EQ(std::stod(s.hooks.at("best_model")), 0.00679);  // not 4.57e18
  EXPECT_EQ(s.hooks.at("early_stop"), "early_stop 0.5 1");
  EXPECT_FALSE(s.hooks.count("lr_schedule"));  // pure schedules kept no state
  EXPECT_EQ(s.hooks.at("evaluation"), "12");
}

// A run killed during its final validation (last.pt is written first) validates when resumed: best.pt and the report
// are written then, instead of the resume ending at once.
TEST(Trainer, AValidationCutOffByAKillIsDoneOnResume) {
  const auto dir = test::temp_dir("kill_validation");
  auto c = test::tiny_config(test::make_shapes(dir), dir + "/run");
  Trainer(c, c10::Device(c10::kCPU)).run();
  // last.pt as it stood when the final validation began (it is written before it): the last validation was at
  // iteration 3, and no best was counted yet... as if the first validation had scored nothing.
  auto state = read_checkpoint_state(dir + "/run/last.pt");
  state.hooks["evaluation"] = "3";
  state.hooks["best_model"] = "-1 -1";
  auto model = model::build_ssd(c.model, static_cast<int64_t>(c.data.classes.size()) + 1);
  auto optimizer = optim::make_optimizer(c.solver, optim::make_param_groups(model->named_parameters().pairs(), c.solver, false));
  load_checkpoint(dir + "/run/last.pt", model, optimizer.get());
  save_checkpoint(dir + "/run/last.pt", model, optimizer.get(), state);
  fs::remove(dir + "/run/best.pt");
  fs::remove_all(dir + "/run/report");
  const auto resumed = Trainer(c, c10::Device(c10::kCPU), dir + "/run").run();
  EXPECT_EQ(resumed.position.iteration, 6);
  EXPECT_FALSE(resumed.last_validation.empty());
  EXPECT_TRUE(fs::exists(dir + "/run/best.pt"));
  EXPECT_TRUE(fs::exists(dir + "/run/report/report.html"));
  EXPECT_EQ(read_checkpoint_state(dir + "/run/last.pt").hooks.at("evaluation"), "6");
}

// A run killed while it wrote epoch_N.pt leaves a temporary file and no epoch_N.pt: the resume removes the
// one and writes the other.
TEST(Trainer, APeriodicCheckpointCutOffByAKillIsWrittenOnResume) {
  const auto dir = test::temp_dir("kill_periodic");
  auto c = test::tiny_config(test::make_shapes(dir), dir + "/run");
  c.train.epochs = 1;
  c.train.checkpoint_period = 1;
  Trainer(c, c10::Device(c10::kCPU)).run();
  fs::rename(dir + "/run/epoch_1.pt", dir + "/run/.epoch_1.pt.tmp");
  std::ofstream(dir + "/run/.epoch_1.pt.tmp", std::ios::app) << "torn";
  Trainer(c, c10::Device(c10::kCPU), dir + "/run").run();
  EXPECT_FALSE(fs::exists(dir + "/run/.epoch_1.pt.tmp"));
  ASSERT_TRUE(fs::exists(dir + "/run/epoch_1.pt"));
  EXPECT_EQ(read_checkpoint_state(dir + "/run/epoch_1.pt").position.iteration, 3);
}

// A resume that lands at the end of an epoch whose epoch_N.pt its run_dir lacks writes it from the state it resumed:
// into a new run_dir (a fork) and from an older checkpoint, epoch_N.pt holds epoch N's own weights.
TEST(Trainer, AResumeWritesAMissingPeriodicCheckpointFromTheStateItResumed) {
  const auto dir = test::temp_dir("periodic_resume");
  auto c = test::tiny_config(test::make_shapes(dir), dir + "/a");
  c.train.epochs = 2;
  c.train.checkpoint_period = 1;
  Trainer(c, c10::Device(c10::kCPU)).run();
  const auto epoch1 = parameters_of(dir + "/a/epoch_1.pt", c);
  const auto epoch2 = parameters_of(dir + "/a/epoch_2.pt", c);
  ASSERT_FALSE(epoch1[0].equal(epoch2[0]));

  auto fork = c;
  fork.train.run_dir = dir + "/b";
  Trainer(fork, c10::Device(c10::kCPU), dir + "/a/epoch_1.pt").run();
  ASSERT_TRUE(fs::exists(dir + "/b/epoch_1.pt"));
  const auto forked = parameters_of(dir + "/b/epoch_1.pt", c);
  for (size_t i = 0; i < epoch1.size(); ++i) EXPECT_TRUE(forked[i].equal(epoch1[i])) << i;
  EXPECT_TRUE(fs::exists(dir + "/b/epoch_2.pt"));

  fs::remove(dir + "/a/epoch_1.pt");  // resumed from an older checkpoint, with last.pt at epoch 2 beside it
  fs::copy_file(dir + "/b/epoch_1.pt", dir + "/older.pt");
  Trainer(c, c10::Device(c10::kCPU), dir + "/older.pt").run();
  const auto rewritten = parameters_of(dir + "/a/epoch_1.pt", c);
  for (size_t i = 0; i < epoch1.size(); ++i) EXPECT_TRUE(rewritten[i].equal(epoch1[i])) << i;
}

TEST(Checkpoint, TruncatedAndForeignFilesAreClearErrors) {
  const auto dir = test::temp_dir("truncated");
  const auto mc = test::tiny_model();
  auto model = model::build_ssd(mc, 3);
  CheckpointState s;
  s.position.iteration = 7;
  save_checkpoint(dir + "/a.pt", model, nullptr, s);
  EXPECT_EQ(read_checkpoint_state(dir + "/a.pt").position.iteration, 7);
  const auto size = fs::file_size(dir + "/a.pt");
  for (double keep : {0.0, 0.1, 0.5, 0.9, 0.999}) {
    fs::copy_file(dir + "/a.pt", dir + "/t.pt", fs::copy_options::overwrite_existing);
    fs::resize_file(dir + "/t.pt", static_cast<uintmax_t>(size * keep));
    const auto msg = test::thrown_message<CheckpointError>([&] { read_checkpoint_state(dir + "/t.pt"); });
    EXPECT_EQ(msg.rfind(dir + "/t.pt: ", 0), 0u) << msg;
  }
  EXPECT_EQ(test::thrown_message<CheckpointError>([&] { read_checkpoint_state(dir + "/none.pt"); }),
            dir + "/none.pt: checkpoint not found");
  config::ModelConfig other = test::tiny_model();
  other.width_mult = 0.5;
  auto wider = model::build_ssd(other, 3);
  const auto msg = test::thrown_message<CheckpointError>([&] { load_checkpoint(dir + "/a.pt", wider, nullptr); });
  EXPECT_NE(msg.find("has shape"), std::string::npos) << msg;
}

// A process killed (SIGKILL) at arbitrary moments while it rewrites last.pt must always leave a loadable file.
TEST(Checkpoint, SurvivesAKillDuringItsWrite) {
  const auto dir = test::temp_dir("kill");
  const auto mc = test::tiny_model();
  auto model = model::build_ssd(mc, 3);
  CheckpointState s;
  save_checkpoint(dir + "/last.pt", model, nullptr, s);
  for (int round = 0; round < 6; ++round) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int64_t i = 1;; ++i) {
        s.position.iteration = i;
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
