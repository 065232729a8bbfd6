#include "ssd/kernels/packed_convolution.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "ssd/kernels/conv2d.h"

namespace {

namespace nn = torch::nn;

// ATen's own convolution of `x` by `conv`'s parameters: the reference the packed path must equal.
at::Tensor aten_convolution(nn::Conv2dImpl& conv, const at::Tensor& x) { return conv.nn::Conv2dImpl::forward(x); }

// The weights in the layout the trainer gives them on the CPU (runtime::place_model).
void channels_last(nn::Conv2dImpl& conv) {
  conv.weight.set_data(conv.weight.contiguous(at::MemoryFormat::ChannelsLast));
}

}  // namespace

// Every kind of convolution the SSD models hold, without gradients on channels-last input: plain 3x3, strided,
// dilated (fc6), 1x1, depthwise (SSD-Lite), without bias, at batch 1 and 3; the same output as ATen's path, in the
// same layout; a second batch size shares the first one's packed weights.
TEST(PackedConvolution, InferenceConvolutionsEqualAtensInEveryShapeTheModelsUse) {
  if (!ssd::kernels::packed_convolution_available()) GTEST_SKIP() << "built without oneDNN's headers (libdnnl-dev)";
  at::manual_seed(0);
  const std::vector<nn::Conv2dOptions> shapes{
      nn::Conv2dOptions(16, 32, 3).padding(1), nn::Conv2dOptions(16, 24, 3).stride(2).padding(1),
      nn::Conv2dOptions(16, 32, 3).padding(6).dilation(6), nn::Conv2dOptions(16, 8, 1),
      nn::Conv2dOptions(16, 16, 3).padding(1).groups(16), nn::Conv2dOptions(16, 32, 3).padding(1).bias(false),
      nn::Conv2dOptions(16, 12, 3)};
  torch::NoGradGuard no_grad;
  for (const auto& options : shapes) {
    ssd::kernels::Conv2d conv(options);
    channels_last(*conv);
    const auto vec = [](const torch::ExpandingArray<2>& a) { return std::vector<int64_t>(a->begin(), a->end()); };
    ssd::kernels::PackedConvolution packed(vec(options.stride()), vec(c10::get<torch::ExpandingArray<2>>(options.padding())),
                                         vec(options.dilation()), options.groups());
    for (int64_t batch : {1, 3}) {
      const auto x = at::randn({batch, 16, 19, 19}).contiguous(at::MemoryFormat::ChannelsLast);
      ASSERT_TRUE(ssd::kernels::prefers_packed_convolution(x, conv->weight, conv->bias));
      const auto ours = conv->forward(x), aten = aten_convolution(*conv, x);
      ASSERT_EQ(ours.sizes(), aten.sizes());
      EXPECT_TRUE(ours.is_contiguous(at::MemoryFormat::ChannelsLast));
      EXPECT_TRUE(at::allclose(ours, aten, 1e-4, 1e-4)) << "groups " << options.groups() << " batch " << batch;
      // The packed path itself, whatever Conv2d's routing does; both batch sizes on one packed copy.
      EXPECT_TRUE(at::allclose(packed.run(x, conv->weight, conv->bias), aten, 1e-4, 1e-4));
      EXPECT_EQ(packed.packs(), 1) << "groups " << options.groups() << " batch " << batch;
      EXPECT_EQ(packed.weight_copies(), 1);
    }
  }
}

// The weights are packed once and packed again when they change: a second pass reuses them, and so does another
// batch size (oneDNN's layout for a layer's weights follows the ISA and the channels, not the batch: one copy for
// both shapes); a weight update in place (a training step, a checkpoint loaded) or contiguous weights make it pack
// afresh, and the output follows the new weights.
TEST(PackedConvolution, PacksOnceAndAgainWhenTheWeightsChange) {
  if (!ssd::kernels::packed_convolution_available()) GTEST_SKIP() << "built without oneDNN's headers (libdnnl-dev)";
  at::manual_seed(1);
  ssd::kernels::Conv2d conv(nn::Conv2dOptions(64, 64, 3).padding(1));
  channels_last(*conv);
  ssd::kernels::PackedConvolution packed({1, 1}, {1, 1}, {1, 1}, 1);
  const auto x = at::randn({2, 64, 19, 19}).contiguous(at::MemoryFormat::ChannelsLast);
  const auto x1 = x.narrow(0, 0, 1).contiguous(at::MemoryFormat::ChannelsLast);
  torch::NoGradGuard no_grad;
  packed.run(x, conv->weight, conv->bias);
  packed.run(x, conv->weight, conv->bias);
  EXPECT_EQ(packed.packs(), 1);
  EXPECT_TRUE(at::allclose(packed.run(x1, conv->weight, conv->bias), aten_convolution(*conv, x1), 1e-4, 1e-4));
  EXPECT_EQ(packed.packs(), 1) << "batch 1 and batch 2 asked for different weight layouts";
  EXPECT_EQ(packed.weight_copies(), 1);
  conv->weight.mul_(-2.0);
  const auto after = packed.run(x, conv->weight, conv->bias);
  EXPECT_EQ(packed.packs(), 2);
  EXPECT_EQ(packed.weight_copies(), 1);  // the stale copy is gone with its primitives
  EXPECT_TRUE(at::allclose(after, aten_convolution(*conv, x), 1e-4, 1e-4));
  const auto contiguous = conv->weight.contiguous();
  EXPECT_TRUE(at::allclose(packed.run(x, contiguous, conv->bias), after, 1e-4, 1e-4));
  EXPECT_EQ(packed.packs(), 3);
}

// Conv2d routes an inference call on channels-last input to the packed path (one pack, reused by the next call)
// and drops the packed copy on the next training pass, which records gradients on another path.
TEST(PackedConvolution, Conv2dRunsInferenceOnItAndDropsItWhenTraining) {
  if (!ssd::kernels::packed_convolution_available()) GTEST_SKIP() << "built without oneDNN's headers (libdnnl-dev)";
  at::manual_seed(2);
  ssd::kernels::Conv2d conv(nn::Conv2dOptions(16, 16, 3).padding(1));
  channels_last(*conv);
  const auto x = at::randn({2, 16, 12, 12}).contiguous(at::MemoryFormat::ChannelsLast);
  EXPECT_EQ(conv->packed_convolution(), nullptr);
  {
    torch::NoGradGuard no_grad;
    conv->forward(x);
    conv->forward(x);
  }
  ASSERT_NE(conv->packed_convolution(), nullptr);
  EXPECT_EQ(conv->packed_convolution()->packs(), 1);
  const auto y = conv->forward(x);
  EXPECT_TRUE(y.requires_grad());
  EXPECT_EQ(conv->packed_convolution(), nullptr);
}

// Whatever records gradients, runs under autocast, comes contiguous or is empty takes the other paths.
TEST(PackedConvolution, TrainingAutocastAndContiguousInputKeepTheOtherPaths) {
  const auto w = at::randn({8, 8, 3, 3}).contiguous(at::MemoryFormat::ChannelsLast);
  const auto x = at::randn({1, 8, 10, 10}).contiguous(at::MemoryFormat::ChannelsLast);
  const bool available = ssd::kernels::packed_convolution_available();
  EXPECT_EQ(ssd::kernels::prefers_packed_convolution(x, w, at::Tensor()), available);
  EXPECT_FALSE(ssd::kernels::prefers_packed_convolution(x.contiguous(), w, at::Tensor()));
  EXPECT_FALSE(ssd::kernels::prefers_packed_convolution(x.to(at::kDouble), w, at::Tensor()));
  EXPECT_FALSE(ssd::kernels::prefers_packed_convolution(x.narrow(0, 0, 0), w, at::Tensor()));
  const auto w_grad = w.clone().requires_grad_(true);
  EXPECT_FALSE(ssd::kernels::prefers_packed_convolution(x, w_grad, at::Tensor()));
  {
    torch::NoGradGuard no_grad;
    EXPECT_EQ(ssd::kernels::prefers_packed_convolution(x, w_grad, at::Tensor()), available);
  }
  EXPECT_FALSE(ssd::kernels::prefers_packed_convolution(x, w, at::zeros({8}).requires_grad_(true)));
  at::autocast::set_cpu_enabled(true);
  EXPECT_FALSE(ssd::kernels::prefers_packed_convolution(x, w, at::Tensor()));
  at::autocast::set_cpu_enabled(false);
}
