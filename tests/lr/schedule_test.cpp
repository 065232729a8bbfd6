// Schedules against SPEC-LR.md's closed forms and golden values, and against torch.optim.lr_scheduler
// (tests/golden/lr_schedules.json, written by scripts/make_goldens.py from Debian's python3-torch).
#include <gtest/gtest.h>

#include <cmath>

#include "ssd/config/load.h"
#include "ssd/lr/batch_scaling.h"
#include "ssd/lr/controller.h"
#include "ssd/builder/solver.h"
#include "ssd/lr/schedules/constant.h"
#include "ssd/lr/schedules/cosine.h"
#include "ssd/lr/schedules/cosine_restarts.h"
#include "ssd/lr/schedules/cyclic.h"
#include "ssd/lr/schedules/exponential.h"
#include "ssd/lr/schedules/linear.h"
#include "ssd/lr/schedules/multistep.h"
#include "ssd/lr/schedules/one_cycle.h"
#include "ssd/lr/schedules/plateau.h"
#include "ssd/lr/schedules/polynomial.h"
#include "ssd/lr/schedules/step.h"
#include "ssd/lr/warmup.h"
#include "ssd/util/error.h"
#include "test_support.h"

namespace ssd::lr {
namespace {

config::Config from_yaml(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return config::load_config_text(yaml, "test.yaml", overrides);
}

// The controller a run of `c` gets (builder::lr_controller): per_epoch iterations an epoch, total in all, a global batch.
LrController controller(const config::Config& c, int64_t per_epoch, int64_t total, int64_t batch, std::vector<GroupInfo> groups = {}) {
  return std::move(*builder::lr_controller(c, per_epoch, total, batch, std::move(groups)));
}

void expect_sequence(const Schedule& s, const std::vector<double>& expected, double base = 1.0, double tol = 1e-5, int64_t from = 0) {
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(s.lr_at(from + static_cast<int64_t>(i), base), expected[i], tol) << "t = " << from + static_cast<int64_t>(i);
}

// ---- SPEC-LR.md's golden values ----

TEST(ScheduleSpecGoldens, Linear) { expect_sequence(LinearSchedule(1.0 / 3, 1.0, 5), {0.33333, 0.46667, 0.6, 0.73333, 0.86667, 1.0, 1.0}); }

TEST(ScheduleSpecGoldens, Polynomial) { expect_sequence(PolynomialSchedule(4, 1.0, 0.0), {1, 0.75, 0.5, 0.25, 0, 0}); }

TEST(ScheduleSpecGoldens, CosineHeldAndPeriodic) {
  expect_sequence(CosineSchedule(4, 0.0, false), {1, 0.85355, 0.5, 0.14645, 0, 0, 0});
  expect_sequence(CosineSchedule(4, 0.0, true), {0.14645, 0.5, 0.85355, 1.0}, 1.0, 1e-5, 5);
}

TEST(ScheduleSpecGoldens, CosineRestarts) {
  expect_sequence(CosineRestartsSchedule(3, 2, 0.0, 1.0, 100),
                  {1, 0.75, 0.25, 1, 0.93301, 0.75, 0.5, 0.25, 0.06699, 1, 0.98296, 0.93301});
}

TEST(ScheduleSpecGoldens, Cyclic) {
  CyclicParams c;
  c.base_lr = 1e-3, c.max_lr = 6e-3;
  expect_sequence(CyclicSchedule(c, 4, 4, 1e-3, 100), {1e-3, 2.25e-3, 3.5e-3, 4.75e-3, 6e-3, 4.75e-3, 3.5e-3, 2.25e-3, 1e-3, 2.25e-3},
                  1e-3, 1e-9);
  c.base_lr = 1e-9, c.max_lr = 1.0, c.mode = "triangular2";
  expect_sequence(CyclicSchedule(c, 2, 2, 1.0, 100), {0, .5, 1, .5, 0, .25, .5, .25, 0, .125, .25, .125, 0}, 1.0, 1e-8);
}

TEST(ScheduleSpecGoldens, OneCycle) {
  OneCycleParams c;
  c.max_lr = 0.01;
  expect_sequence(OneCycleSchedule(c, 10, 0.01), {4e-4, 5.2e-3, 1e-2, 9.505e-3, 8.117e-3, 6.113e-3, 3.887e-3, 1.883e-3, 4.95e-4, 4e-8},
                  0.01, 2e-6);
  c.three_phase = true;
  expect_sequence(OneCycleSchedule(c, 10, 0.01), {4e-4, 5.2e-3, 1e-2, 5.2e-3, 4e-4, 3.62e-4, 2.62e-4, 1.38e-4, 3.8e-5, 4e-8}, 0.01, 2e-6);
}

// ---- closed forms at many iterations ----

TEST(ScheduleClosedForm, StepMultistepExponentialAtManyIterations) {
  const StepSchedule step(7, 0.5, 1000);
  const MultiStepSchedule multi({30, 10, 20}, 0.1);  // unsorted on purpose
  const ExponentialSchedule expo(0.99);
  for (int64_t t = 0; t < 500; t += 3) {
    EXPECT_DOUBLE_EQ(step.lr_at(t, 2.0), 2.0 * std::pow(0.5, std::floor(t / 7.0)));
    const int passed = (t >= 10) + (t >= 20) + (t >= 30);
    EXPECT_NEAR(multi.lr_at(t, 1.0), std::pow(0.1, passed), 1e-15) << t;
    EXPECT_NEAR(expo.lr_at(t, 1.0), std::pow(0.99, t), 1e-12);
  }
  EXPECT_NEAR(multi.lr_at(10, 1.0), 0.1, 1e-15);  // decayed *at* the milestone (PyTorch)
  EXPECT_NEAR(multi.lr_at(9, 1.0), 1.0, 1e-15);
}

TEST(ScheduleClosedForm, CosineRestartsTmultWalkMatchesLogFormula) {
  const CosineRestartsSchedule s(5, 3, 0.01, 0.5, 100000);
  for (int64_t t = 0; t < 3000; t += 7) {
    const double i = std::floor(std::log(t * (3.0 - 1) / 5.0 + 1) / std::log(3.0));
    const double tcur = t - 5.0 * (std::pow(3.0, i) - 1) / (3.0 - 1), ti = 5.0 * std::pow(3.0, i);
    int64_t cycle, position, length;
    s.locate(t, &cycle, &position, &length);
    EXPECT_EQ(cycle, static_cast<int64_t>(i)) << t;
    EXPECT_EQ(position, static_cast<int64_t>(std::llround(tcur))) << t;
    const double expected = 0.01 + (std::pow(0.5, i) - 0.01) * (1 + std::cos(M_PI * tcur / ti)) / 2;
    EXPECT_NEAR(s.lr_at(t, 1.0), expected, 1e-9) << t;
  }
}

TEST(ScheduleClosedForm, PastTheEndHoldsTheFinalValue) {
  OneCycleParams c;
  const OneCycleSchedule one(c, 10, 0.01);
  EXPECT_DOUBLE_EQ(one.lr_at(9, 0.01), one.lr_at(50, 0.01));
  EXPECT_DOUBLE_EQ(PolynomialSchedule(10, 2.0, 0.001).lr_at(99, 1.0), 0.001);
  EXPECT_DOUBLE_EQ(CosineSchedule(10, 0.05, false).lr_at(99, 1.0), 0.05);
}

// ---- against torch.optim.lr_scheduler ----

TEST(ScheduleTorchGoldens, EveryCaseMatchesPyTorch) {
  const auto golden = test::golden("lr_schedules.json");
  ASSERT_GE(golden["cases"].size(), 15u);
  for (const auto& c : golden["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    const auto cfg = from_yaml(c["yaml"].get<std::string>());
    const int64_t total = c["total_iters"];
    auto control = controller(cfg, 1, total, cfg.train.reference_batch);
    const auto lrs = c["lr"].get<std::vector<double>>();
    const bool has_metrics = c.contains("metrics");
    for (size_t t = 0; t < lrs.size(); ++t) {
      EXPECT_NEAR(control.lr(static_cast<int64_t>(t)), lrs[t], 1e-9 + 1e-7 * std::abs(lrs[t])) << name << " t = " << t;
      if (c.contains("momentum")) {
        const auto m = control.momentum(static_cast<int64_t>(t));
        ASSERT_TRUE(m.has_value()) << name;
        EXPECT_NEAR(*m, c["momentum"][t].get<double>(), 1e-9) << name << " momentum t = " << t;
      }
      if (has_metrics) {
        const std::string monitor = cfg.schedule.params.get<PlateauParams>("plateau").monitor;
        control.on_validation({{monitor, c["metrics"][t].get<double>()}}, static_cast<int64_t>(t));
      }
    }
  }
}

// ---- warm-up ----

TEST(Warmup, FactorsOfTheThreeMethods) {
  auto make = [](const std::string& method) {
    return WarmupSchedule(std::make_unique<ConstantSchedule>(), method, 10, 0.01, false);
  };
  for (int64_t t = 0; t < 15; ++t) {
    const double p = std::min(t, int64_t{10}) / 10.0;
    EXPECT_NEAR(make("linear").lr_at(t, 2.0), 2.0 * (t < 10 ? 0.01 + 0.99 * p : 1.0), 1e-12);
    EXPECT_NEAR(make("constant").lr_at(t, 2.0), 2.0 * (t < 10 ? 0.01 : 1.0), 1e-12);
    EXPECT_NEAR(make("exponential").lr_at(t, 2.0), 2.0 * (t < 10 ? std::pow(0.01, 1 - p) : 1.0), 1e-12);
  }
}

TEST(Warmup, ComposesWithEverySchedule) {
  // Not prefix: lr(t) = main(t) x factor(t); prefix: main(0) x factor(t), then main(t - W).
  for (const auto& entry : schedule_registry().entries()) {
    SCOPED_TRACE(entry.name);
    const std::string base = "solver: {lr: 0.01}\nschedule:\n  name: " + entry.name +
                             "\n  sequential: {schedules: [linear, cosine], lengths: [40]}\n  cyclic: {base_lr: 0.001, max_lr: 0.01, step_size_up: 15}\n"
                             "  step: {step_size: 25}\n  cosine_restarts: {T_0: 30}\n";
    const auto plain = from_yaml(base + "  warmup: {iters: 0}\n");
    const auto warm = from_yaml(base + "  warmup: {iters: 20, method: linear, start_factor: 0.1}\n");
    const auto prefix = from_yaml(base + "  warmup: {iters: 20, method: linear, start_factor: 0.1, prefix: true}\n");
    auto p = controller(plain, 10, 200, 32), w = controller(warm, 10, 200, 32), x = controller(prefix, 10, 200, 32);
    auto main_of_prefix = controller(plain, 10, 180, 32);  // prefix: the main schedule spans the run minus W
    for (int64_t t = 0; t < 200; ++t) {
      const double f = t < 20 ? 0.1 + 0.9 * t / 20.0 : 1.0;
      EXPECT_NEAR(w.lr(t), p.lr(t) * f, 1e-12) << t;
      const double expected_prefix = t < 20 ? main_of_prefix.lr(0) * f : main_of_prefix.lr(t - 20);
      EXPECT_NEAR(x.lr(t), expected_prefix, 1e-12) << t;
    }
  }
}

TEST(Warmup, FromZeroStartsAtLrZero) {
  const auto c = from_yaml("schedule: {warmup: {iters: 10, start_factor: 0.0}}");
  auto control = controller(c, 100, 1000, 32);
  EXPECT_EQ(control.lr(0), 0.0);
  EXPECT_NEAR(control.lr(5), 0.5e-3, 1e-15);
}

TEST(Warmup, EpochsAreConvertedWithTheLoaderLength) {
  const auto c = from_yaml("schedule: {warmup: {epochs: 1.5, iters: 7}}");
  auto control = controller(c, 40, 4000, 32);
  EXPECT_EQ(control.warmup_iters(), 60);
}

TEST(Warmup, MomentumAndBiasLrUltralyticsStyle) {
  const auto c = from_yaml("solver: {lr: 0.01, momentum: 0.937}\nschedule: {name: constant, warmup: {iters: 100, momentum: 0.8, bias_lr: 0.1}}");
  auto control = controller(c, 10, 1000, 32, {{"default", 1.0, false}, {"bias", 1.0, true}});
  for (int64_t t : {0, 25, 50, 99, 100, 500}) {
    const double p = std::min<double>(t, 100) / 100.0;
    EXPECT_NEAR(*control.momentum(t), 0.8 + (0.937 - 0.8) * p, 1e-12);
    EXPECT_NEAR(control.lr(t, 1), t < 100 ? 0.1 + (0.01 - 0.1) * p : 0.01, 1e-12) << t;  // falls to the scheduled LR
    EXPECT_NEAR(control.lr(t, 0), 0.01 * (t < 100 ? 0.001 + 0.999 * p : 1.0), 1e-12);
  }
}

// ---- durations, intervals, groups, scaling ----

TEST(ScheduleDurations, EpochUnitAndEpochInterval) {
  // unit: epochs converts durations; interval: epoch evaluates once per epoch (PyTorch's habit).
  const auto by_unit = from_yaml("schedule: {name: step, unit: epochs, step: {step_size: 2, gamma: 0.5}, warmup: {iters: 0}}");
  const auto by_interval = from_yaml("schedule: {name: step, interval: epoch, step: {step_size: 2, gamma: 0.5}, warmup: {iters: 0}}");
  auto u = controller(by_unit, 5, 100, 32), e = controller(by_interval, 5, 100, 32);
  for (int64_t t = 0; t < 100; ++t) {
    EXPECT_NEAR(u.lr(t), 1e-3 * std::pow(0.5, std::floor(t / 10.0)), 1e-15);
    EXPECT_NEAR(e.lr(t), 1e-3 * std::pow(0.5, std::floor((t / 5) / 2.0)), 1e-15);
  }
  const auto cosine_epochs = from_yaml("schedule: {name: cosine, interval: epoch, warmup: {iters: 0}}");
  auto ce = controller(cosine_epochs, 4, 40, 32);  // 10 epochs: the value changes only at epoch starts
  for (int64_t t = 0; t < 40; ++t)
    EXPECT_NEAR(ce.lr(t), 1e-3 * (1 + std::cos(M_PI * (t / 4) / 10.0)) / 2, 1e-15);
}

TEST(ScheduleDurations, FractionsFollowTheRunLength) {
  const auto c = from_yaml("schedule: {name: multistep, warmup: {iters: 0}}");
  auto a = controller(c, 10, 1200, 32), b = controller(c, 10, 2400, 32);
  ASSERT_EQ(a.phases().size(), 2u);
  EXPECT_EQ(a.phases()[0].start, 800);
  EXPECT_EQ(a.phases()[1].start, 1000);
  EXPECT_EQ(b.phases()[0].start, 1600);  // an extended run recomputes fraction-based milestones
  const auto absolute = from_yaml("schedule: {name: multistep, multistep: {milestones: [500]}, warmup: {iters: 0}}");
  EXPECT_EQ(controller(absolute, 10, 2400, 32).phases()[0].start, 500);
}

TEST(ScheduleComposition, SequentialContinueStartsWhereThePreviousEnded) {
  const auto c = from_yaml(
      "schedule: {name: sequential, sequential: {schedules: [cosine, linear], lengths: [10], continue: true},"
      " cosine: {eta_min: 0.0002}, linear: {start_factor: 1.0, end_factor: 0.5}, warmup: {iters: 0}}");
  auto control = controller(c, 1, 30, 32);
  EXPECT_NEAR(control.lr(10), 0.0002, 1e-15);          // the cosine's end value, carried over
  EXPECT_NEAR(control.lr(30), 0.0001, 1e-15);          // linear to half of it over the last 20
  const auto bad = from_yaml("schedule: {name: sequential, sequential: {schedules: [cosine, linear], lengths: [10, 5]}}");
  EXPECT_NE(test::thrown_message<ConfigError>([&] { controller(bad, 1, 30, 32); }).find("schedule.sequential.lengths"),
            std::string::npos);
}

TEST(ScheduleComposition, GroupMultipliersScaleEveryShapeIncludingAbsoluteOnes) {
  const auto c = from_yaml("solver: {lr: 0.002}\nschedule: {name: cyclic, cyclic: {base_lr: 0.001, max_lr: 0.004, step_size_up: 5}, warmup: {iters: 0}}");
  auto control = controller(c, 1, 100, 32, {{"default", 1.0, false}, {"backbone", 0.1, false}});
  for (int64_t t = 0; t < 30; ++t) EXPECT_NEAR(control.lr(t, 1), 0.1 * control.lr(t, 0), 1e-15);
  EXPECT_NEAR(control.lr(5, 0), 0.004, 1e-15);
}

TEST(BatchScaling, LinearAndSqrtAgainstTheReferenceBatch) {
  std::string line;
  EXPECT_NEAR(scaled_base_lr(0.001, "linear", 32, 128, &line), 0.004, 1e-15);
  EXPECT_NE(line.find("128 / 32"), std::string::npos);
  EXPECT_NEAR(scaled_base_lr(0.001, "sqrt", 32, 128), 0.002, 1e-15);
  EXPECT_NEAR(scaled_base_lr(0.001, "none", 32, 128), 0.001, 1e-15);
  // What a run gets: solver.lr through train.lr_scaling for its global batch.
  const auto c = from_yaml("solver: {lr: 0.001}\ntrain: {lr_scaling: linear, reference_batch: 32}");
  EXPECT_NEAR(controller(c, 10, 100, 128).base_lr(), 0.004, 1e-15);
}

// ---- plateau and state ----

TEST(Plateau, PatienceMeansReductionAfterPatiencePlusOneBadEvaluations) {
  PlateauParams p;
  p.monitor = "val/mAP", p.mode = "auto", p.patience = 2, p.factor = 0.5;
  PlateauSchedule s(std::make_unique<ConstantSchedule>(), p, 1.0);
  EXPECT_TRUE(s.maximise());
  s.on_validation({{"val/mAP", 0.5}}, 0);
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(s.on_validation({{"val/mAP", 0.4}}, i), "");
    EXPECT_DOUBLE_EQ(s.lr_at(i, 1.0), 1.0);
  }
  EXPECT_NE(s.on_validation({{"val/mAP", 0.4}}, 3).find("plateau"), std::string::npos);
  EXPECT_DOUBLE_EQ(s.lr_at(3, 1.0), 0.5);
  EXPECT_EQ(s.on_validation({{"val/loss", 0.1}}, 4), "");  // another metric does not count
}

TEST(Plateau, StateRoundTripContinuesIdentically) {
  PlateauParams p;
  p.patience = 1, p.cooldown = 2, p.factor = 0.3, p.min_lr = 0.05;
  const std::vector<double> losses = {1.0, 1.1, 1.2, 1.3, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
  PlateauSchedule straight(std::make_unique<ConstantSchedule>(), p, 1.0);
  std::vector<double> expected;
  for (size_t i = 0; i < losses.size(); ++i) {
    straight.on_validation({{"val/loss", losses[i]}}, static_cast<int64_t>(i));
    expected.push_back(straight.lr_at(0, 1.0));
  }
  PlateauSchedule first(std::make_unique<ConstantSchedule>(), p, 1.0);
  for (size_t i = 0; i < 5; ++i) first.on_validation({{"val/loss", losses[i]}}, static_cast<int64_t>(i));
  PlateauSchedule resumed(std::make_unique<ConstantSchedule>(), p, 1.0);
  resumed.load_state(first.state());
  for (size_t i = 5; i < losses.size(); ++i) {
    resumed.on_validation({{"val/loss", losses[i]}}, static_cast<int64_t>(i));
    EXPECT_DOUBLE_EQ(resumed.lr_at(0, 1.0), expected[i]) << i;
  }
  EXPECT_GE(expected.back(), 0.05);  // min_lr bounds the reductions
  EXPECT_THROW(resumed.load_state("garbage"), CheckpointError);
}

TEST(ScheduleResume, MidWarmupAndMidCycleSequencesAreIdentical) {
  // A schedule is a pure function of t (plus plateau's state): a controller rebuilt at resume gives the very
  // sequence of the uninterrupted one, whatever the resume point.
  for (const std::string yaml : {"schedule: {name: one_cycle, warmup: {iters: 0}}",
                                 "schedule: {name: cyclic, cyclic: {step_size_up: 7}, warmup: {iters: 30}}",
                                 "schedule: {name: cosine_restarts, cosine_restarts: {T_0: 13, T_mult: 2}, warmup: {iters: 40, method: exponential}}"}) {
    const auto c = from_yaml(yaml);
    auto straight = controller(c, 9, 300, 32);
    for (int64_t resume_at : {17, 35, 120}) {
      auto resumed = controller(c, 9, 300, 32);
      resumed.load_state(straight.state());
      for (int64_t t = resume_at; t < 300; ++t) ASSERT_EQ(resumed.lr(t), straight.lr(t)) << yaml << " t = " << t;
    }
  }
}

// Refused when the config is read, with its place and the registry's names.
TEST(ScheduleConfig, UnknownScheduleNamesTheKeyAndSuggests) {
  const auto message = test::thrown_message<ConfigError>([&] { from_yaml("schedule: {name: cosin}"); });
  EXPECT_NE(message.find("schedule.name: value cosin is not allowed: expected one of"), std::string::npos) << message;
  EXPECT_NE(message.find("cosine"), std::string::npos);
}

}  // namespace
}  // namespace ssd::lr
