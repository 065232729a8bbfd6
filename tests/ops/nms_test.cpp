#include <gtest/gtest.h>

#include <torch/torch.h>

#include "ssd/ops/boxes.h"
#include "ssd/ops/nms.h"
#include "test_support.h"

namespace ssd::ops {
namespace {

std::vector<int64_t> to_vector(const at::Tensor& t) {
  const auto c = t.to(at::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

// The definition, written as plainly as possible: full IoU matrix, stable descending order, greedy.
std::vector<int64_t> brute_force_nms(const at::Tensor& boxes, const at::Tensor& scores, double thr) {
  const auto iou = box_iou(boxes, boxes);
  const auto order = to_vector(std::get<1>(scores.sort(true, 0, true)));
  std::vector<int64_t> keep;
  for (int64_t i : order) {
    bool suppressed = false;
    for (int64_t k : keep) suppressed = suppressed || iou[k][i].item<float>() > thr;
    if (!suppressed) keep.push_back(i);
  }
  return keep;
}

TEST(BoxIou, HandWorkedValues) {
  const auto a = torch::tensor({0.f, 0.f, 2.f, 2.f, 0.f, 0.f, 0.f, 0.f}).view({2, 4});
  const auto b = torch::tensor({1.f, 1.f, 3.f, 3.f, 0.f, 0.f, 2.f, 2.f}).view({2, 4});
  const auto iou = box_iou(a, b);
  EXPECT_NEAR(iou[0][0].item<float>(), 1.f / 7.f, 1e-6);  // intersection 1, union 4 + 4 - 1
  EXPECT_FLOAT_EQ(iou[0][1].item<float>(), 1.f);
  EXPECT_FLOAT_EQ(iou[1][0].item<float>(), 0.f);  // an empty box overlaps nothing (no NaN)
}

// The CPU loop and the tensor expression (taken for inputs that need gradients, and on other devices) agree,
// degenerate boxes included.
TEST(BoxIou, CpuLoopEqualsTheTensorExpression) {
  torch::manual_seed(3);
  auto random_boxes = [](int64_t n) {
    const auto xy = torch::rand({n, 2}) * 100, wh = torch::rand({n, 2}) * 40;
    auto boxes = torch::cat({xy, xy + wh}, 1);
    boxes.slice(0, 0, 3).slice(1, 2, 4).copy_(boxes.slice(0, 0, 3).slice(1, 0, 2));  // three empty boxes
    return boxes;
  };
  const auto a = random_boxes(17), b = random_boxes(300);
  const auto loop = box_iou(a, b);
  const auto expression = box_iou(a.clone().requires_grad_(true), b).detach();
  EXPECT_TRUE(torch::allclose(loop, expression, 1e-6, 1e-7)) << (loop - expression).abs().max();
  EXPECT_TRUE(torch::allclose(box_iou(a.to(torch::kDouble), b.to(torch::kDouble)), expression.to(torch::kDouble), 1e-5, 1e-7));
  EXPECT_EQ(loop.slice(0, 0, 3).abs().sum().item<float>(), 0.f);
}

TEST(Nms, MatchesTorchvisionOnGoldenCases) {
  const auto golden = test::golden("nms.json");
  ASSERT_GE(golden["cases"].size(), 5u);
  for (const auto& c : golden["cases"]) {
    const auto boxes = torch::tensor(c["boxes"].get<std::vector<float>>()).view({-1, 4});
    const auto scores = torch::tensor(c["scores"].get<std::vector<float>>());
    const auto idxs = torch::tensor(c["idxs"].get<std::vector<int64_t>>());
    const double thr = c["iou_threshold"].get<double>();
    SCOPED_TRACE("n=" + std::to_string(boxes.size(0)) + " thr=" + std::to_string(thr));
    EXPECT_EQ(to_vector(nms(boxes, scores, thr)), c["keep"].get<std::vector<int64_t>>());
    // batched: the same kept set; the order among equal scores is not specified by torchvision (unstable sort).
    auto ours = to_vector(batched_nms(boxes, scores, idxs, thr));
    auto theirs = c["batched_keep"].get<std::vector<int64_t>>();
    std::sort(ours.begin(), ours.end());
    std::sort(theirs.begin(), theirs.end());
    EXPECT_EQ(ours, theirs);
  }
}

TEST(Nms, MatchesBruteForceOnRandomBoxes) {
  torch::manual_seed(3);
  for (int trial = 0; trial < 5; ++trial) {
    const int64_t n = 100 + 150 * trial;
    const auto xy = torch::rand({n, 2}) * 200;
    const auto boxes = torch::cat({xy, xy + torch::rand({n, 2}) * 60 + 1}, 1);
    const auto scores = torch::rand({n});
    const double thr = 0.2 + 0.15 * trial;
    EXPECT_EQ(to_vector(nms(boxes, scores, thr)), brute_force_nms(boxes, scores, thr)) << "trial " << trial;
  }
}

TEST(Nms, IouExactlyAtThresholdIsKept) {
  // Box 1 overlaps box 0 with IoU exactly 0.5 (intersection 2, union 4): not suppressed (strictly greater).
  const auto boxes = torch::tensor({0.f, 0.f, 3.f, 1.f, 1.f, 0.f, 4.f, 1.f, 0.f, 0.f, 3.f, 1.f}).view({3, 4});
  const auto scores = torch::tensor({0.9f, 0.8f, 0.7f});
  EXPECT_EQ(to_vector(nms(boxes, scores, 0.5)), (std::vector<int64_t>{0, 1}));  // box 2 duplicates box 0
}

TEST(Nms, TiedScoresKeepInputOrder) {
  const auto boxes = torch::tensor({0.f, 0.f, 1.f, 1.f, 0.f, 0.f, 1.f, 1.f, 5.f, 5.f, 6.f, 6.f}).view({3, 4});
  const auto scores = torch::tensor({0.5f, 0.5f, 0.5f});
  EXPECT_EQ(to_vector(nms(boxes, scores, 0.5)), (std::vector<int64_t>{0, 2}));
}

TEST(Nms, EmptyInput) {
  EXPECT_EQ(nms(torch::zeros({0, 4}), torch::zeros({0}), 0.5).numel(), 0);
  EXPECT_EQ(batched_nms(torch::zeros({0, 4}), torch::zeros({0}), torch::zeros({0}, torch::kLong), 0.5).numel(), 0);
}

TEST(BatchedNms, CategoriesNeverSuppressEachOther) {
  const auto boxes = torch::tensor({0.f, 0.f, 1.f, 1.f, 0.f, 0.f, 1.f, 1.f}).view({2, 4});
  const auto scores = torch::tensor({0.9f, 0.8f});
  EXPECT_EQ(to_vector(batched_nms(boxes, scores, torch::tensor({1, 2}), 0.5)), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(to_vector(batched_nms(boxes, scores, torch::tensor({1, 1}), 0.5)), (std::vector<int64_t>{0}));
}

}  // namespace
}  // namespace ssd::ops
