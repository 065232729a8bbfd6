// non_finite.*: a step whose loss is NaN or infinite, and the rule that no checkpoint ever holds a non-finite value.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <torch/torch.h>

#include "ssd/engine/checkpoint.h"
#include "ssd/engine/trainer.h"
#include "ssd/optim/optimizer.h"
#include "ssd/util/error.h"
#include "test_data.h"
#include "test_support.h"

namespace ssd::engine {
namespace {

namespace fs = std::filesystem;

// Sets the model's first weight tensor to NaN before the steps in `before` (the loss is then NaN, and stays so while steps
// are skipped) and after the steps in `after` (once the guard has seen a finite loss: the weights are then not
// finite at the epoch's end).
class Poison : public Hook {
 public:
  Poison(std::set<int64_t> before, std::set<int64_t> after) : before_(std::move(before)), after_(std::move(after)) {}
  std::string name() const override { return "poison"; }
  void before_step(TrainContext& c) override {
    if (before_.count(c.position.iteration)) poison(c);
  }
  void after_step(TrainContext& c) override {
    if (after_.count(c.position.iteration)) poison(c);
  }

 private:
  static void poison(TrainContext& c) {
    torch::NoGradGuard no_grad;
    c.model->parameters().front().fill_(std::nan(""));
  }
  std::set<int64_t> before_, after_;
};

// "iteration -> lr" of every train row of metrics.csv, and the rows' loss_loc cells.
struct Rows {
  std::map<int64_t, double> lr;
  std::map<int64_t, std::string> loss_loc;
};
Rows rows_of(const std::string& metrics_csv) {
  std::ifstream in(metrics_csv);
  Rows out;
  std::string line;
  std::getline(in, line);  // header: kind,iteration,epoch,lr,loss,loss_loc,...
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    if (f.at(0) != "train") continue;
    out.lr[std::stoll(f.at(1))] = std::stod(f.at(3));
    out.loss_loc[std::stoll(f.at(1))] = f.at(5);
  }
  return out;
}

bool all_finite(const std::string& checkpoint, const config::Config& c) {
  auto model = model::build_ssd(c.model, static_cast<int64_t>(c.data.classes.size()) + 1);
  load_checkpoint(checkpoint, model, nullptr);
  for (const auto& p : model->parameters())
    if (!at::isfinite(p).all().item<bool>()) return false;
  return true;
}

config::Config skipping_config(const std::string& dir) {
  auto c = test::tiny_config(test::make_shapes(dir), dir + "/run");
  c.data.val.roots.clear();  // 3 steps an epoch, no validation
  c.train.epochs = 3;
  c.non_finite.action = "skip";
  c.non_finite.restore_after = 2;
  c.non_finite.lr_factor = 0.5;
  return c;
}

// Steps 4 and 5 (epoch 2) have NaN losses: both are skipped, the second restores the state of the end of epoch 1 and
// halves the LR for the rest of the run, also across a resume; the run ends with finite weights.
TEST(NonFiniteLoss, SkipCountsTheStepsThenRestoresTheLastGoodStateWithALowerLr) {
  const auto dir = test::temp_dir("non_finite_skip");
  auto straight = skipping_config(dir);
  straight.train.run_dir = dir + "/straight";
  Trainer(straight, c10::Device(c10::kCPU)).run();

  auto c = skipping_config(dir);
  c.train.max_iters = 7;
  Trainer first(c, c10::Device(c10::kCPU));
  first.add_hook(std::make_shared<Poison>(std::set<int64_t>{4}, std::set<int64_t>{}));
  TrainResult stopped;
  const auto log = test::logged([&] { stopped = first.run(); });
  EXPECT_EQ(stopped.position.iteration, 7);
  EXPECT_NE(log.find("iteration 4: loss is not finite"), std::string::npos) << log;
  EXPECT_NE(log.find("iteration 5: 2 steps in a row with a non-finite loss: restored the weights and optimizer state of iteration 3 and "
                     "lowered the LR to x0.5"),
            std::string::npos)
      << log;
  EXPECT_EQ(read_checkpoint_state(dir + "/run/last.pt").hooks.at("non_finite_loss"), "non_finite 2 0 1 0.5");
  c.train.max_iters = 0;
  const auto resumed = Trainer(c, c10::Device(c10::kCPU), dir + "/run").run();
  EXPECT_EQ(resumed.position.iteration, 9);

  const auto expected = rows_of(dir + "/straight/metrics.csv"), got = rows_of(dir + "/run/metrics.csv");
  ASSERT_EQ(got.lr.size(), 9u);
  for (int64_t row = 1; row <= 9; ++row) {  // row i: step i - 1
    const double factor = row <= 6 ? 1.0 : 0.5;
    EXPECT_NEAR(got.lr.at(row), expected.lr.at(row) * factor, 1e-5 * expected.lr.at(row)) << "row " << row;  // %.6g
  }
  EXPECT_EQ(got.loss_loc.at(5), "nan");
  EXPECT_EQ(got.loss_loc.at(6), "nan");
  EXPECT_NE(got.loss_loc.at(7), "nan");
  EXPECT_TRUE(all_finite(dir + "/run/last.pt", c));
}

// Weights that are not finite at an epoch's end are never written: with stop, the checkpoint write fails and names
// the tensor; with skip, the guard restores the last good state first and last.pt is written from it.
TEST(NonFiniteLoss, NonFiniteWeightsAreNeverWrittenToACheckpoint) {
  const auto dir = test::temp_dir("non_finite_write");
  auto c = skipping_config(dir);
  c.non_finite.action = "stop";
  Trainer stopping(c, c10::Device(c10::kCPU));
  stopping.add_hook(std::make_shared<Poison>(std::set<int64_t>{}, std::set<int64_t>{2}));  // the last step of epoch 1
  const auto msg = test::thrown_message<CheckpointError>([&] { stopping.run(); });
  EXPECT_NE(msg.find(dir + "/run/last.pt: not written: parameter '"), std::string::npos) << msg;
  EXPECT_NE(msg.find("holds NaN or infinite values"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(dir + "/run/last.pt"));
  for (const auto& entry : fs::directory_iterator(dir + "/run")) EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();

  c.non_finite.action = "skip";
  fs::remove_all(dir + "/run");
  Trainer skipping(c, c10::Device(c10::kCPU));
  skipping.add_hook(std::make_shared<Poison>(std::set<int64_t>{}, std::set<int64_t>{2}));
  const auto log = test::logged([&] { skipping.run(); });
  EXPECT_NE(log.find("holds NaN or infinite values at the epoch's end: restored the weights and optimizer state of iteration 0"),
            std::string::npos)
      << log;
  EXPECT_EQ(read_checkpoint_state(dir + "/run/last.pt").hooks.at("non_finite_loss"), "non_finite 0 0 1 0.5");
  EXPECT_TRUE(all_finite(dir + "/run/last.pt", c));
}

// A loss that stays NaN after every restore ends the run once non_finite.max_restores is spent; stop ends it at the
// first NaN and names the option.
TEST(NonFiniteLoss, TheRunStopsWhenRestoresDoNotHelp) {
  const auto dir = test::temp_dir("non_finite_stop");
  auto c = skipping_config(dir);
  c.non_finite.restore_after = 1;
  c.non_finite.max_restores = 2;
  Trainer skipping(c, c10::Device(c10::kCPU));
  skipping.add_hook(std::make_shared<Poison>(std::set<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}, std::set<int64_t>{}));
  auto msg = test::thrown_message<std::runtime_error>([&] { skipping.run(); });
  EXPECT_EQ(msg.rfind("iteration 2: 1 steps in a row with a non-finite loss, after 2 restores (non_finite.max_restores)", 0), 0u) << msg;

  c.non_finite.action = "stop";
  fs::remove_all(dir + "/run");
  Trainer stopping(c, c10::Device(c10::kCPU));
  stopping.add_hook(std::make_shared<Poison>(std::set<int64_t>{4}, std::set<int64_t>{}));
  msg = test::thrown_message<std::runtime_error>([&] { stopping.run(); });
  EXPECT_EQ(msg.rfind("iteration 4: loss is not finite (loss_loc nan", 0), 0u) << msg;
  EXPECT_NE(msg.find("the last good checkpoint is " + dir + "/run/last.pt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("non_finite.action skip"), std::string::npos) << msg;
}

// Sets every SGD momentum buffer to NaN after step `at`: an optimizer state that went astray while the loss was finite.
class PoisonMomentum : public Hook {
 public:
  explicit PoisonMomentum(int64_t at) : at_(at) {}
  std::string name() const override { return "poison_momentum"; }
  void after_step(TrainContext& c) override {
    if (c.position.iteration != at_) return;
    torch::NoGradGuard no_grad;
    for (auto& entry : c.optimizer->state())
      if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(entry.second.get())) sgd->momentum_buffer().fill_(std::nan(""));
  }

 private:
  int64_t at_;
};

// A restore to the run's start, which has no optimizer state yet, clears the optimizer's state rather than keeping
// the diverged momentum beside the restored weights (load() alone only overwrites what the snapshot holds).
TEST(NonFiniteLoss, ARestoreToTheStartClearsADivergedOptimizerState) {
  const auto dir = test::temp_dir("non_finite_momentum");
  auto c = skipping_config(dir);
  Trainer t(c, c10::Device(c10::kCPU));
  t.add_hook(std::make_shared<PoisonMomentum>(0));
  t.add_hook(std::make_shared<Poison>(std::set<int64_t>{1}, std::set<int64_t>{}));  // NaN losses at steps 1 and 2
  const auto result = t.run();
  EXPECT_EQ(result.position.iteration, 9);
  EXPECT_EQ(read_checkpoint_state(dir + "/run/last.pt").hooks.at("non_finite_loss"), "non_finite 2 0 1 0.5");
  EXPECT_TRUE(all_finite(dir + "/run/last.pt", c));
}

// The optimizer's state is checked as well as the weights: an infinite momentum is refused with its key.
TEST(NonFiniteLoss, ACheckpointRefusesANonFiniteOptimizerState) {
  const auto dir = test::temp_dir("non_finite_optimizer");
  auto model = model::build_ssd(test::tiny_model(), 3);
  config::SolverConfig solver;
  auto optimizer = optim::make_optimizer(solver, optim::make_param_groups(model->named_parameters().pairs(), solver, false));
  for (auto& p : model->parameters()) p.mutable_grad() = torch::ones_like(p);
  optimizer->step();  // momentum buffers now exist
  CheckpointState s;
  save_checkpoint(dir + "/a.pt", model, optimizer.get(), s);
  for (auto& p : model->parameters()) p.mutable_grad() = torch::full_like(p, INFINITY);
  const auto weights = model->parameters().front().detach().clone();
  optimizer->step();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.zero_();  // finite weights, infinite momentum
  }
  const auto msg = test::thrown_message<CheckpointError>([&] { save_checkpoint(dir + "/a.pt", model, optimizer.get(), s); });
  EXPECT_EQ(msg.rfind(dir + "/a.pt: not written: optimizer state '", 0), 0u) << msg;
  auto reloaded = model::build_ssd(test::tiny_model(), 3);
  load_checkpoint(dir + "/a.pt", reloaded, nullptr);  // the previous file is whole
  EXPECT_TRUE(reloaded->parameters().front().equal(weights));
}

}  // namespace
}  // namespace ssd::engine
