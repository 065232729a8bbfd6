#include <gtest/gtest.h>

#include <torch/torch.h>

#include "ssd/model/postprocess.h"

namespace ssd::model {
namespace {

// Three priors; zero deltas decode to the priors themselves. Priors 0 and 1 overlap heavily (IoU 0.81),
// prior 2 is elsewhere.
struct Fixture {
  at::Tensor priors = torch::tensor({0.3f, 0.3f, 0.2f, 0.2f, 0.31f, 0.3f, 0.2f, 0.2f, 0.8f, 0.8f, 0.1f, 0.1f}).view({3, 4});
  at::Tensor loc = torch::zeros({1, 3, 4});
  BoxCoder coder{0.1, 0.2};
};

at::Tensor logits(std::vector<std::vector<float>> probs) {
  std::vector<float> flat;
  for (auto& row : probs)
    for (float p : row) flat.push_back(std::log(p));
  return torch::tensor(flat).view({1, static_cast<int64_t>(probs.size()), -1});
}

TEST(Postprocess, PerClassNmsThresholdAndOrder) {
  Fixture f;
  // Class 1 on priors 0 and 1 (overlapping: the weaker is suppressed); class 2 on prior 1 (kept: another class);
  // prior 2 has nothing above the threshold except background.
  const auto conf = logits({{0.1f, 0.8f, 0.1f}, {0.1f, 0.5f, 0.4f}, {0.995f, 0.004f, 0.001f}});
  config::PostprocessConfig c;
  c.score_threshold = 0.01;
  const auto d = postprocess(f.loc, conf, f.priors, f.coder, c);
  ASSERT_EQ(d.size(), 1u);
  ASSERT_EQ(d[0].scores.size(0), 2);
  EXPECT_NEAR(d[0].scores[0].item<float>(), 0.8f, 1e-5);
  EXPECT_EQ(d[0].labels[0].item<int64_t>(), 1);
  EXPECT_NEAR(d[0].scores[1].item<float>(), 0.4f, 1e-5);
  EXPECT_EQ(d[0].labels[1].item<int64_t>(), 2);
  EXPECT_NEAR(d[0].boxes[0][0].item<float>(), 0.2f, 1e-5);  // prior 0 as xyxy
}

TEST(Postprocess, MaxPerImageAndEmptyResult) {
  Fixture f;
  const auto conf = logits({{0.1f, 0.8f, 0.1f}, {0.1f, 0.5f, 0.4f}, {0.1f, 0.3f, 0.6f}});
  config::PostprocessConfig c;
  c.max_per_image = 1;
  auto d = postprocess(f.loc, conf, f.priors, f.coder, c);
  ASSERT_EQ(d[0].scores.size(0), 1);
  EXPECT_NEAR(d[0].scores[0].item<float>(), 0.8f, 1e-5);
  c.score_threshold = 0.9;
  d = postprocess(f.loc, conf, f.priors, f.coder, c);
  EXPECT_EQ(d[0].boxes.sizes(), (std::vector<int64_t>{0, 4}));
}

}  // namespace
}  // namespace ssd::model
