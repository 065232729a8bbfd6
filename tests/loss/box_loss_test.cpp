// The box terms (loss.box), multibox's label smoothing, and the sigmoid focal and BCE losses against torch's and
// torchvision.ops' own losses (tests/golden/losses.json, by scripts/make_goldens.py): for the box terms random offsets,
// a prediction equal to its target, and predictions that miss their targets; finite gradients everywhere.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "ssd/config/config.h"
#include "ssd/loss/box_loss.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/loss/multibox_loss.h"
#include "ssd/util/error.h"
#include "test_support.h"
#include "loss/targets.h"

namespace ssd::loss {
namespace {

at::Tensor floats(const nlohmann::json& values, std::vector<int64_t> shape) {
  return torch::tensor(values.get<std::vector<float>>()).view(shape);
}

TEST(BoxLoss, EveryTermMatchesTorchAndTorchvision) {
  const auto golden = test::golden("losses.json");
  const auto variances = golden["variances"].get<std::vector<double>>();
  ASSERT_EQ(golden["box"].size(), 3u);
  for (const auto& c : golden["box"]) {
    const auto name = c["name"].get<std::string>();
    const auto priors = floats(c["priors"], {-1, 4});
    const int64_t n = priors.size(0);
    auto targets = test::targets(torch::ones({1, n}, torch::kLong), floats(c["deltas"], {1, n, 4}), priors);
    targets.coder = model::BoxCoder(variances[0], variances[1]);
    const auto positive = targets.labels > 0;
    for (const auto& [key, expected] : c["expected"].items()) {
      const bool half_beta = key == "smooth_l1_beta_0.5";
      const std::string box = half_beta ? "smooth_l1" : key;
      const auto loc = floats(c["loc"], {1, n, 4}).requires_grad_(true);
      const auto value = box_loss_sum(box, half_beta ? 0.5 : 1.0, loc, targets, positive);
      const double want = expected.get<double>();
      EXPECT_NEAR(value.item<double>(), want, 2e-4 + 1e-4 * std::abs(want)) << name << ": " << key;
      value.backward();
      EXPECT_TRUE(torch::isfinite(loc.grad()).all().item<bool>()) << name << ": " << key;
    }
  }
}

// Only the positive default boxes count, and a box term on decoded boxes needs the default boxes the targets carry.
TEST(BoxLoss, CountsThePositivesOnly) {
  const auto priors = torch::tensor({0.5f, 0.5f, 0.2f, 0.2f, 0.3f, 0.3f, 0.1f, 0.1f}).view({2, 4});
  const auto targets = test::targets(torch::tensor({1, 0}).view({1, 2}), torch::zeros({1, 2, 4}), priors);
  const auto loc = torch::tensor({0.f, 0.f, 0.f, 0.f, 9.f, 9.f, 9.f, 9.f}).view({1, 2, 4});
  for (const auto& name : box_loss_registry().names())
    EXPECT_NEAR(box_loss_sum(name, 1.0, loc, targets, targets.labels > 0).item<double>(), 0.0, 1e-4) << name;
  const auto bare = test::targets(targets.labels, targets.deltas);
  EXPECT_THROW(box_loss_sum("giou", 1.0, loc, bare, bare.labels > 0), std::logic_error);
  EXPECT_EQ(box_loss_sum("l1", 1.0, loc, bare, bare.labels > 0).item<double>(), 0.0);
}

// Multibox with label smoothing: every default box positive, so its confidence term is the smoothed cross-entropy
// summed, over N; and the focal loss refuses it.
TEST(BoxLoss, MultiboxLabelSmoothingMatchesTorch) {
  const auto ce = test::golden("losses.json")["cross_entropy"];
  const auto labels = torch::tensor(ce["labels"].get<std::vector<int64_t>>()).view({1, -1});
  const int64_t n = labels.size(1);
  const auto logits = floats(ce["logits"], {1, n, 5});
  const auto targets = test::targets(labels, torch::zeros({1, n, 4}), torch::rand({n, 4}) * 0.5 + 0.1);
  config::LossConfig c;
  c.label_smoothing = ce["label_smoothing"].get<double>();
  const auto terms = (*make_loss(c))({torch::zeros({1, n, 4}), logits}, targets);
  EXPECT_NEAR(terms.at("loss_conf").item<double>(), ce["sum"].get<double>() / static_cast<double>(n), 1e-5);
  c.name = "focal";
  EXPECT_THROW(make_loss(c), ConfigError);
}

// RetinaNet's classification: sigmoid focal and per-class binary cross-entropy over every default box (background ones
// negatives for every class), against torchvision.ops.sigmoid_focal_loss; N = the 9 positive boxes.
TEST(BoxLoss, SigmoidFocalAndBceMatchTorchvision) {
  const auto golden = test::golden("losses.json");
  const auto s = golden["sigmoid"];
  const auto labels = torch::tensor(s["labels"].get<std::vector<int64_t>>()).view({1, -1});
  const int64_t n = labels.size(1);
  const auto logits = floats(golden["cross_entropy"]["logits"], {1, n, 5}).requires_grad_(true);
  const auto targets = test::targets(labels, torch::zeros({1, n, 4}), torch::rand({n, 4}) * 0.5 + 0.1);
  const double positives = (labels > 0).sum().item<double>();
  for (const char* name : {"sigmoid_focal", "bce"}) {
    config::LossConfig c;
    c.name = name, c.focal_alpha = s["alpha"].get<double>(), c.focal_gamma = s["gamma"].get<double>();
    const auto terms = (*make_loss(c))({torch::zeros({1, n, 4}), logits}, targets);
    const double want = s[std::string(name) == "bce" ? "bce_sum" : "focal_sum"].get<double>() / positives;
    EXPECT_NEAR(terms.at("loss_conf").item<double>(), want, 1e-5 * want) << name;
    terms.at("loss_conf").backward();
    EXPECT_TRUE(torch::isfinite(logits.grad()).all().item<bool>()) << name;
    logits.grad().zero_();
    c.label_smoothing = 0.1;
    EXPECT_THROW(make_loss(c), ConfigError) << name;
  }
}

}  // namespace
}  // namespace ssd::loss
