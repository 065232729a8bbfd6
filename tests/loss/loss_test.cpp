#include <gtest/gtest.h>

#include <torch/torch.h>

#include "ssd/config/config.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/loss/focal_loss.h"
#include "ssd/loss/multibox_loss.h"
#include "ssd/model/matcher.h"
#include "ssd/model/ssd.h"
#include "ssd/util/error.h"
#include "test_support.h"
#include "loss/targets.h"

namespace ssd::loss {
namespace {

TEST(MultiboxLoss, HardNegativeMiningHandWorked) {
  // One image, 6 priors, 2 classes. Prior 0 is positive; ratio 2 keeps the 2 negatives with the highest loss.
  const auto conf = torch::tensor({0.f, 1.f,    // positive, label 1
                                   0.f, 3.f,    // negative, CE = log(1 + e^3) = 3.0486 (hardest)
                                   0.f, -2.f,   // easy negative
                                   0.f, 2.f,    // CE = log(1 + e^2) = 2.1269 (second hardest)
                                   0.f, 0.f,    // CE = log 2
                                   0.f, -1.f})
                        .view({1, 6, 2});
  const auto labels = torch::tensor({1, 0, 0, 0, 0, 0}).view({1, 6});
  const auto loc = torch::tensor({0.5f, 0.f, 0.f, 2.f}).view({1, 1, 4}).repeat({1, 6, 1});
  const auto targets = test::targets(labels, torch::zeros({1, 6, 4}));
  const auto terms = MultiboxLoss(/*neg_pos_ratio=*/2.0)({loc, conf}, targets);
  const double ce_pos = std::log(1 + std::exp(-1.0));  // softmax CE of logits (0, 1) for class 1
  const double expected_conf = ce_pos + std::log(1 + std::exp(3.0)) + std::log(1 + std::exp(2.0));
  EXPECT_NEAR(terms.at("loss_conf").item<double>(), expected_conf, 1e-5);  // N = 1
  // Smooth-L1 of (0.5, 0, 0, 2): 0.5 * 0.25 + (2 - 0.5) = 1.625, only for the positive.
  EXPECT_NEAR(terms.at("loss_loc").item<double>(), 1.625, 1e-6);
}

TEST(MultiboxLoss, NoPositivesGivesAFiniteLoss) {
  const auto conf = torch::randn({2, 10, 3}, torch::requires_grad());
  const auto loc = torch::randn({2, 10, 4}, torch::requires_grad());
  const auto targets = test::targets(torch::zeros({2, 10}, torch::kLong), torch::zeros({2, 10, 4}));
  for (const char* name : {"multibox", "focal"}) {
    config::LossConfig c;
    c.name = name;
    const auto terms = (*make_loss(c))({loc, conf}, targets);
    const auto sum = total(terms);
    EXPECT_TRUE(std::isfinite(sum.item<double>())) << name;
    sum.backward();
    EXPECT_TRUE(torch::isfinite(conf.grad()).all().item<bool>()) << name;
  }
}

TEST(FocalLoss, MatchesItsFormula) {
  const auto conf = torch::tensor({2.f, 0.f, 0.f, 1.f}).view({1, 2, 2});
  const auto targets = test::targets(torch::tensor({0, 1}).view({1, 2}), torch::zeros({1, 2, 4}));
  const auto terms = FocalLoss(0.25, 2.0)({torch::zeros({1, 2, 4}), conf}, targets);
  // Prior 0 background: p = sigmoid-like softmax(2, 0)[0]; prior 1 class 1: p = softmax(0, 1)[1]. N = 1.
  const double p0 = std::exp(2.0) / (std::exp(2.0) + 1), p1 = std::exp(1.0) / (1 + std::exp(1.0));
  const double expected = -(0.75 * std::pow(1 - p0, 2) * std::log(p0)) - (0.25 * std::pow(1 - p1, 2) * std::log(p1));
  EXPECT_NEAR(terms.at("loss_conf").item<double>(), expected, 1e-6);
}

TEST(LossRegistry, UnknownNameSuggests) {
  config::LossConfig c;
  c.name = "multibx";
  EXPECT_EQ(test::thrown_message<ConfigError>([&] { make_loss(c); }),
            "loss.name: unknown loss 'multibx' (did you mean 'multibox'?); available: multibox, focal, sigmoid_focal, bce");
}

// The whole chain on one image: targets from the matcher, loss, backward, optimizer step. Training on a single
// image must drive the loss down to at most half of its start within 50 steps. The batch holds the image and
// its mirror image, because batch norm in training mode needs more than one value per channel on the 1x1 maps.
TEST(OneImageOverfit, LossFallsByHalfWithin50Steps) {
  torch::manual_seed(0);
  config::ModelConfig mc;
  mc.backbone = "mobilenet_v2";
  mc.width_mult = 0.25;
  mc.image_size = 96;
  auto model = model::build_ssd(mc, 3);
  model->train();
  const auto image = torch::rand({1, 3, 96, 96});
  const auto batch = torch::cat({image, image.flip({3})});
  const auto boxes = torch::tensor({0.1f, 0.1f, 0.45f, 0.5f, 0.5f, 0.55f, 0.9f, 0.85f}).view({2, 4});
  const auto mirrored = torch::stack({1 - boxes.select(1, 2), boxes.select(1, 1), 1 - boxes.select(1, 0), boxes.select(1, 3)}, 1);
  const std::vector<at::Tensor> box_lists = {boxes, mirrored};
  const std::vector<at::Tensor> labels = {torch::tensor({1, 2}), torch::tensor({1, 2})};
  const model::BoxCoder coder(0.1, 0.2);
  const auto targets = model::assign_targets(box_lists, labels, model->priors(), coder, 0.5);
  const auto loss_fn = make_loss(config::LossConfig{});
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
  double first = 0, last = 0;
  for (int step = 0; step < 50; ++step) {
    opt.zero_grad();
    const auto loss = total((*loss_fn)(model->forward(batch), targets));
    loss.backward();
    opt.step();
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  EXPECT_TRUE(std::isfinite(last));
  EXPECT_LE(last, 0.5 * first) << "first " << first << ", last " << last;
}

}  // namespace
}  // namespace ssd::loss
