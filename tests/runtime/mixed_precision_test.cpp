#include <gtest/gtest.h>

#include <ATen/autocast_mode.h>
#include <cmath>
#include <limits>
#include <torch/torch.h>

#include "ssd/data/augment.h"
#include "ssd/data/dataset.h"
#include "ssd/data/loader.h"
#include "ssd/engine/checkpoint.h"
#include "ssd/runtime/mixed_precision.h"
#include "ssd/runtime/runtime.h"
#include "ssd/engine/train_step.h"
#include "ssd/optim/optimizer.h"
#include "ssd/util/error.h"
#include "test_data.h"
#include "test_support.h"

namespace ssd::runtime {
namespace {

const c10::Device kCpu(c10::kCPU);

// torch.cuda.amp.GradScaler's rule, step by step: x backoff on a non-finite step (and the count restarts),
// x growth after growth_interval finite steps in a row.
TEST(GradientScaler, FollowsTorchsDynamicLossScale) {
  GradientScaler::Options o;
  o.init_scale = 1024;
  o.growth_interval = 3;
  GradientScaler s(true, o);
  s.update(true);
  s.update(true);
  EXPECT_EQ(s.scale(), 1024);
  EXPECT_EQ(s.clean_steps(), 2);
  s.update(false);
  EXPECT_EQ(s.scale(), 512);
  EXPECT_EQ(s.clean_steps(), 0);
  for (int i = 0; i < 3; ++i) s.update(true);
  EXPECT_EQ(s.scale(), 1024);
  EXPECT_EQ(s.clean_steps(), 0);
  // Growth never reaches float32's infinity: the scale stays where it is.
  o.init_scale = 3e38;
  o.growth_interval = 1;
  GradientScaler top(true, o);
  top.update(true);
  EXPECT_EQ(top.scale(), 3e38);

  GradientScaler off(false);
  const auto loss = at::tensor(2.0f);
  EXPECT_TRUE(off.scale_loss(loss).equal(loss));
  off.update(false);
  EXPECT_EQ(off.scale(), 65536);
}

TEST(GradientScaler, UnscalesGradientsAndFindsInfAndNaN) {
  GradientScaler s(true, {/*init_scale=*/8.0, 2.0, 0.5, 2000});
  auto a = at::ones({3}).requires_grad_(), b = at::ones({2, 2}).requires_grad_(), unused = at::ones({1}).requires_grad_();
  (s.scale_loss((a * at::tensor({1.f, 2.f, 3.f})).sum() + (b * 4).sum())).backward();
  EXPECT_TRUE(a.grad().allclose(at::tensor({8.f, 16.f, 24.f})));
  EXPECT_TRUE(s.unscale({a, b, unused}));  // a parameter without a gradient is left alone
  EXPECT_TRUE(a.grad().allclose(at::tensor({1.f, 2.f, 3.f})));
  EXPECT_TRUE(b.grad().allclose(at::full({2, 2}, 4.f)));
  for (const float bad : {std::numeric_limits<float>::infinity(), std::nanf("")}) {
    b.grad().fill_(1.f);
    b.grad()[1][0] = bad;
    EXPECT_FALSE(s.unscale({a, b})) << bad;
  }
}

TEST(GradientScaler, StateRoundTripsThroughACheckpoint) {
  GradientScaler s(true, {/*init_scale=*/256.0, 2.0, 0.5, 10});
  s.update(true), s.update(true), s.update(false), s.update(true);
  GradientScaler restored(true);
  restored.load_state(s.state());
  EXPECT_EQ(restored.scale(), 128);
  EXPECT_EQ(restored.clean_steps(), 1);
  EXPECT_THROW(restored.load_state("half"), CheckpointError);

  const auto dir = test::temp_dir("amp_state");
  config::ModelConfig mc;
  mc.backbone = "mobilenet_v2", mc.width_mult = 0.25, mc.image_size = 96;
  auto model = model::build_ssd(mc, 3);
  engine::CheckpointState state;
  state.hooks["loss_scale"] = s.state();  // engine/hooks/loss_scale.h keeps it under its name
  engine::save_checkpoint(dir + "/amp.pt", model, nullptr, state);
  EXPECT_EQ(engine::read_checkpoint_state(dir + "/amp.pt").hooks.at("loss_scale"), s.state());
}

TEST(MixedPrecision, DtypeFollowsTheDeviceAndFloat16NeedsCuda) {
  EXPECT_EQ(resolve_amp_dtype("auto", kCpu), at::kBFloat16);
  EXPECT_EQ(resolve_amp_dtype("bfloat16", kCpu), at::kBFloat16);
  EXPECT_EQ(resolve_amp_dtype("auto", c10::Device(c10::kCUDA, 0)), at::kHalf);
  EXPECT_NE(test::thrown_message<ConfigError>([] { resolve_amp_dtype("float16", kCpu); }).find("train.amp_dtype"), std::string::npos);
  config::TrainConfig t;
  EXPECT_EQ(MixedPrecision(t, kCpu).describe(), "float32");
  t.amp = true;
  const MixedPrecision bf16(t, kCpu);
  EXPECT_FALSE(bf16.scaler.enabled());  // bfloat16 has float32's exponent range: nothing to scale
  EXPECT_EQ(bf16.describe(), "mixed precision (bfloat16 autocast)");
  EXPECT_TRUE(MixedPrecision(t, c10::Device(c10::kCUDA, 0)).scaler.enabled());
}

TEST(MixedPrecision, AutocastScopeRunsConvolutionsInHalfPrecisionAndRestoresTheState) {
  auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3));
  const auto x = at::randn({1, 3, 8, 8});
  {
    AutocastScope scope(true, kCpu, at::kBFloat16);
    EXPECT_EQ(conv->forward(x).scalar_type(), at::kBFloat16);
  }
  EXPECT_FALSE(at::autocast::is_cpu_enabled());
  EXPECT_EQ(conv->forward(x).scalar_type(), at::kFloat);
  {
    AutocastScope off(false, kCpu, at::kBFloat16);
    EXPECT_EQ(conv->forward(x).scalar_type(), at::kFloat);
  }
}

// A train step on the shapes data: in bfloat16 autocast the loss is close to float32's, the weights stay float32
// and move the way float32's do; channels-last weights take float32's step to rounding.
class TrainStepPrecision : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = test::temp_dir("amp_step");
    config_ = test::tiny_config(test::make_shapes(dir), dir + "/run");
    // Focal loss: smooth in the outputs. Hard negative mining ranks the negatives, and a rounding difference
    // between near-equal losses picks other negatives and so another gradient.
    config_.loss.name = "focal";
    data::DetectionDataset set(test::dataset_options(config_.data.train, config_.data.classes));
    data::TrainAugmentation augment(config_.augment, config_.model.pixel_mean, config_.model.pixel_std, 96, "stretch");
    std::mt19937_64 rng(3);
    std::vector<at::Tensor> images;
    for (size_t i = 0; i < 4; ++i) {
      auto p = augment(set.load(i), rng);
      images.push_back(p.image);
      batch_.boxes.push_back(p.boxes);
      batch_.labels.push_back(p.labels);
      batch_.indices.push_back(i);
    }
    batch_.images = at::stack(images);
  }

  // What train_step needs, from the seeded model on, on `device`.
  struct Trainer {
    explicit Trainer(const config::Config& c, c10::Device on = kCpu)
        : config(c),
          device(on),
          model(seeded_model(c)),
          precision(c.train, on),
          loss(loss::make_loss(c.loss)) {
      place_model(*model, c.runtime.memory_format, c.train.amp, device);
      // Batch norm on its running statistics: in training mode a width-0.25 network normalises 3x3 maps of 4
      // images, which amplifies float32 rounding until two equal computations no longer agree to more than a few
      // digits.
      model->eval();
      optimizer = optim::make_optimizer(c.solver, model->parameters());
    }
    static model::Ssd seeded_model(const config::Config& c) {
      torch::manual_seed(5);
      return model::build_ssd(c.model, static_cast<int64_t>(c.data.classes.size()) + 1);
    }
    engine::StepLoss step(const data::Batch& batch) {
      return engine::train_step(model, *optimizer, batch, *loss, config.solver.clip_grad_norm, device, precision);
    }

    config::Config config;
    c10::Device device;
    model::Ssd model;
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    MixedPrecision precision;
    std::unique_ptr<loss::DetectionLoss> loss;
  };

  // Loss of one step, and the weights after it (float32 copies in the contiguous layout).
  std::pair<engine::StepLoss, std::vector<at::Tensor>> step(const config::Config& c) {
    Trainer t(c);
    const auto result = t.step(batch_);
    std::vector<at::Tensor> weights;
    for (const auto& p : t.model->parameters()) {
      EXPECT_EQ(p.scalar_type(), at::kFloat);
      weights.push_back(p.detach().contiguous().clone());
    }
    return {result, weights};
  }

  config::Config config_;
  data::Batch batch_;
};

// Every parameter's change from `start`, flattened into one vector.
at::Tensor update(const std::vector<at::Tensor>& weights, const std::vector<at::Tensor>& start) {
  std::vector<at::Tensor> v;
  for (size_t i = 0; i < start.size(); ++i) v.push_back((weights[i] - start[i]).flatten());
  return at::cat(v);
}

TEST_F(TrainStepPrecision, Bfloat16AutocastStepsLikeFloat32) {
  auto fp32 = config_;
  fp32.runtime.memory_format = "contiguous";
  auto amp = fp32;
  amp.train.amp = true;
  const auto [loss32, weights32] = step(fp32);
  const auto [loss16, weights16] = step(amp);
  ASSERT_TRUE(loss16.finite());
  EXPECT_FALSE(loss16.skipped);
  EXPECT_NEAR(loss16.total, loss32.total, 0.03 * loss32.total);  // bfloat16 keeps 8 bits of mantissa
  // Same initial weights (seeded): each update points the same way as float32's.
  torch::manual_seed(5);
  auto initial = model::build_ssd(fp32.model, static_cast<int64_t>(fp32.data.classes.size()) + 1);
  const auto start = initial->parameters();
  // (A function, not a lambda: C++17 lambdas cannot capture structured bindings.)
  const at::Tensor d32 = update(weights32, start), d16 = update(weights16, start);
  const double cosine = (d32 * d16).sum().item<double>() / (d32.norm().item<double>() * d16.norm().item<double>());
  EXPECT_GT(cosine, 0.95);
}

TEST_F(TrainStepPrecision, ChannelsLastStepsAsContiguousDoes) {
  auto nchw = config_;
  nchw.runtime.memory_format = "contiguous";
  auto nhwc = config_;
  nhwc.runtime.memory_format = "channels_last";
  const auto [loss_a, weights_a] = step(nchw);
  const auto [loss_b, weights_b] = step(nhwc);
  EXPECT_NEAR(loss_a.total, loss_b.total, 1e-4 * loss_a.total);
  for (size_t i = 0; i < weights_a.size(); ++i)
    EXPECT_TRUE(weights_a[i].allclose(weights_b[i], 1e-4, 1e-5)) << "tensor " << i << ": " << (weights_a[i] - weights_b[i]).abs().max().item<float>();
}

// Each step's gradients are its own, not added to the last step's: with a zero learning rate the weights stay, so
// two steps on the same batch must leave the same gradients.
TEST_F(TrainStepPrecision, EachStepsGradientsAreItsOwn) {
  auto c = config_;
  c.solver.lr = 0.0;
  Trainer t(c);
  std::vector<at::Tensor> first;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(t.step(batch_).finite());
    const auto params = t.model->parameters();
    for (size_t k = 0; k < params.size(); ++k) {
      ASSERT_TRUE(params[k].grad().defined()) << "tensor " << k;
      if (i == 0) first.push_back(params[k].grad().clone());
      else EXPECT_TRUE(params[k].grad().allclose(first[k], 1e-5, 1e-7)) << "tensor " << k;
    }
  }
}

// The CUDA paths (float16 autocast with loss scaling, channels-last weights, page-locked loader batches copied
// without blocking): skipped where LibTorch sees no GPU, run by the device check on one.
TEST_F(TrainStepPrecision, Float16OnCudaScalesTheLossAndKeepsFloat32Weights) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const c10::Device cuda(c10::kCUDA, 0);
  auto c = config_;
  c.train.amp = true;
  Trainer t(c, cuda);
  EXPECT_EQ(t.model->memory_format(), at::MemoryFormat::ChannelsLast);  // auto: channels-last with AMP on CUDA
  ASSERT_TRUE(t.precision.scaler.enabled());
  for (int i = 0; i < 3; ++i) {
    const auto step = t.step(batch_);
    ASSERT_TRUE(step.finite());
    EXPECT_FALSE(step.skipped);
  }
  for (const auto& p : t.model->parameters()) EXPECT_EQ(p.scalar_type(), at::kFloat);
  EXPECT_EQ(t.precision.scaler.clean_steps(), 3);

  data::DetectionDataset set(test::dataset_options(c.data.train, c.data.classes));
  data::TrainAugmentation augment(c.augment, c.model.pixel_mean, c.model.pixel_std, 96, "stretch");
  data::LoaderOptions options;
  options.batch_size = 4;
  options.workers = 2;
  options.pin_memory = true;
  data::DataLoader loader(set, options, [&](const data::Sample& s, std::mt19937_64& rng) { return augment(s, rng); });
  loader.start_epoch(0);
  const auto batch = loader.next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_TRUE(batch->images.is_pinned());
  EXPECT_TRUE(batch->images.to(cuda, /*non_blocking=*/true).cpu().equal(batch->images));
}

}  // namespace
}  // namespace ssd::runtime
