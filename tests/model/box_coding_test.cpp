#include <gtest/gtest.h>

#include <torch/torch.h>

#include "ssd/model/box_coder.h"
#include "ssd/model/matcher.h"
#include "ssd/ops/boxes.h"

namespace ssd::model {
namespace {

// Four priors tiling the unit square: p0 top-left, p1 top-right, p2 bottom-left, p3 bottom-right (cxcywh).
at::Tensor quadrant_priors() {
  return torch::tensor({0.25f, 0.25f, 0.5f, 0.5f, 0.75f, 0.25f, 0.5f, 0.5f, 0.25f, 0.75f, 0.5f, 0.5f, 0.75f, 0.75f, 0.5f, 0.5f})
      .view({4, 4});
}

std::vector<int64_t> to_vector(const at::Tensor& t) {
  const auto c = t.contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

TEST(BoxCoder, HandWorkedEncoding) {
  const BoxCoder coder(0.1, 0.2);
  const auto prior = torch::tensor({0.5f, 0.5f, 0.2f, 0.2f}).view({1, 4});
  // Ground truth shifted right by 0.05 with twice the width: d_cx = 0.05 / (0.1 * 0.2) = 2.5,
  // d_w = log(0.4 / 0.2) / 0.2 = 5 log 2.
  const auto gt = torch::tensor({0.35f, 0.4f, 0.75f, 0.6f}).view({1, 4});
  const auto d = coder.encode(gt, prior);
  EXPECT_NEAR(d[0][0].item<float>(), 2.5f, 1e-5);
  EXPECT_NEAR(d[0][1].item<float>(), 0.f, 1e-6);
  EXPECT_NEAR(d[0][2].item<float>(), 5 * std::log(2.f), 1e-5);
  EXPECT_NEAR(d[0][3].item<float>(), 0.f, 1e-6);
}

TEST(BoxCoder, DecodeInvertsEncodeOnRandomBoxes) {
  torch::manual_seed(0);
  const BoxCoder coder(0.1, 0.2);
  const auto priors = torch::cat({torch::rand({500, 2}), torch::rand({500, 2}) * 0.5 + 0.05}, 1);
  const auto xy = torch::rand({3, 500, 2});
  const auto boxes = torch::cat({xy, xy + torch::rand({3, 500, 2}) * 0.5 + 0.01}, -1);
  const auto back = coder.decode(coder.encode(boxes, priors), priors);
  EXPECT_LT((back - boxes).abs().max().item<float>(), 1e-5);
}

TEST(Matcher, HandBuiltAssignmentWithIouExactlyAtThreshold) {
  const auto priors = quadrant_priors();
  // gt 0 = exactly p0 (IoU 1). gt 1 covers the bottom half: IoU 0.5 with p2 and with p3 (0.25 / 0.5).
  const auto gt = torch::tensor({0.f, 0.f, 0.5f, 0.5f, 0.f, 0.5f, 1.f, 1.f}).view({2, 4});
  const auto labels = torch::tensor({3, 1});
  auto m = match(gt, labels, priors, 0.5);
  // p2 is gt 1's best prior (first of the tie) and p3 reaches the threshold exactly: both positive.
  EXPECT_EQ(to_vector(m.labels), (std::vector<int64_t>{3, 0, 1, 1}));
  EXPECT_TRUE(torch::equal(m.boxes[3], gt[1]));
  // Just above 0.5: p3 falls back to background, p2 stays (forced as the best prior of gt 1).
  m = match(gt, labels, priors, 0.51);
  EXPECT_EQ(to_vector(m.labels), (std::vector<int64_t>{3, 0, 1, 0}));
}

TEST(Matcher, EveryGroundTruthGetsItsBestPriorEvenBelowThreshold) {
  const auto priors = quadrant_priors();
  // A small box inside p1: IoU 0.01 / 0.25 = 0.04, far below 0.5, yet p1 must be matched to it.
  const auto gt = torch::tensor({0.6f, 0.1f, 0.7f, 0.2f}).view({1, 4});
  const auto m = match(gt, torch::tensor({7}), priors, 0.5);
  EXPECT_EQ(to_vector(m.labels), (std::vector<int64_t>{0, 7, 0, 0}));
}

TEST(Matcher, TwoGroundTruthsSharingABestPriorLaterOneWins) {
  const auto priors = quadrant_priors();
  const auto gt = torch::tensor({0.6f, 0.1f, 0.7f, 0.2f, 0.8f, 0.3f, 0.9f, 0.4f}).view({2, 4});  // both inside p1
  const auto m = match(gt, torch::tensor({1, 2}), priors, 0.5);
  EXPECT_EQ(to_vector(m.labels), (std::vector<int64_t>{0, 2, 0, 0}));
}

TEST(Matcher, NoGroundTruthAndDegenerateBoxesGiveBackgroundOnly) {
  const auto priors = quadrant_priors();
  auto m = match(torch::zeros({0, 4}), torch::zeros({0}, torch::kLong), priors, 0.5);
  EXPECT_EQ(m.labels.sum().item<int64_t>(), 0);
  EXPECT_EQ(m.boxes.sizes(), (std::vector<int64_t>{4, 4}));
  // Zero-width box: overlaps nothing, so nothing is forced onto it.
  m = match(torch::tensor({0.3f, 0.3f, 0.3f, 0.6f}).view({1, 4}), torch::tensor({1}), priors, 0.5);
  EXPECT_EQ(m.labels.sum().item<int64_t>(), 0);
  const BoxCoder coder(0.1, 0.2);
  const auto t = assign_targets({torch::tensor({0.3f, 0.3f, 0.3f, 0.6f}).view({1, 4})}, {torch::tensor({1})}, priors,
                                coder, 0.5);
  EXPECT_TRUE(torch::isfinite(t.deltas).all().item<bool>());
}

TEST(AssignTargets, BatchesImagesWithDifferentBoxCounts) {
  const auto priors = quadrant_priors();
  const BoxCoder coder(0.1, 0.2);
  const auto t = assign_targets({torch::tensor({0.f, 0.f, 0.5f, 0.5f}).view({1, 4}), torch::zeros({0, 4})},
                                {torch::tensor({2}), torch::zeros({0}, torch::kLong)}, priors, coder, 0.5);
  EXPECT_EQ(t.labels.sizes(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(t.deltas.sizes(), (std::vector<int64_t>{2, 4, 4}));
  EXPECT_EQ(t.labels[0][0].item<int64_t>(), 2);
  EXPECT_LT(t.deltas[0][0].abs().max().item<float>(), 1e-6);  // a perfect prior encodes to zeros
  EXPECT_EQ(t.labels[1].sum().item<int64_t>(), 0);
}

}  // namespace
}  // namespace ssd::model
