// ssd-micro-bench: Google Benchmark timings of the box operations around the network, for bench/micro.py, which
// times torchvision.ops on the same inputs (bench/reference_micro.py) and writes the comparison:
//   NMS on 8,732 and 24,564 boxes (SSD300's and SSD512's default-box counts), the IoU matrix 20 x 8,732, matching
//   and encoding a batch of 32 images, and the post-processing of one image (decode, score threshold, per-class
//   top-k and NMS, best 200).
//
// Inputs are low-discrepancy sequences, frac(i * step) computed in double precision, so that the Python side makes
// bit-identical ones (micro_inputs in reference_micro.py is the same formula).
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include "ssd/config/config.h"
#include "ssd/model/box_coder.h"
#include "ssd/model/matcher.h"
#include "ssd/model/postprocess.h"
#include "ssd/model/ssd.h"
#include "ssd/ops/boxes.h"
#include "ssd/ops/nms.h"

namespace {

at::Tensor sequence(int64_t n, double step) { return at::frac(at::arange(n, at::kDouble) * step); }

// n boxes of side 2%..22% of a 300-pixel image, centred anywhere in it (xyxy pixels), and their scores in [0, 1).
at::Tensor bench_boxes(int64_t n, double offset = 0) {
  const auto cx = sequence(n, 0.6180339887498949 + offset), cy = sequence(n, 0.7548776662466927 + offset);
  const auto side = 0.02 + 0.2 * sequence(n, 0.5698402909980532 + offset);
  return (at::stack({cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2}, 1) * 300).to(at::kFloat);
}
at::Tensor bench_scores(int64_t n) { return sequence(n, 0.4142135623730951).to(at::kFloat); }

// torchvision's ssd300_vgg16 default boxes (the "torchvision" prior preset), normalised cxcywh.
const at::Tensor& ssd300_priors() {
  static const at::Tensor priors = [] {
    ssd::config::ModelConfig c;
    c.priors.preset = "torchvision";
    return ssd::model::build_ssd(c, 21)->priors().clone();
  }();
  return priors;
}

void Nms(benchmark::State& state) {
  const auto boxes = bench_boxes(state.range(0));
  const auto scores = bench_scores(state.range(0));
  int64_t kept = 0;
  for (auto _ : state) kept = ssd::ops::nms(boxes, scores, 0.45).size(0);
  state.counters["kept"] = static_cast<double>(kept);
}
BENCHMARK(Nms)->Arg(8732)->Arg(24564)->Unit(benchmark::kMillisecond);

void BoxIou(benchmark::State& state) {
  const auto priors = bench_boxes(state.range(0));
  const auto truth = bench_boxes(20, 0.1);
  for (auto _ : state) benchmark::DoNotOptimize(ssd::ops::box_iou(truth, priors));
}
BENCHMARK(BoxIou)->Arg(8732)->Unit(benchmark::kMillisecond);

// Ground truth of image i: 8 objects of bench_boxes' family, normalised, labels 1..20.
void MatchAndEncode(benchmark::State& state) {
  const int64_t batch = state.range(0);
  std::vector<at::Tensor> boxes, labels;
  for (int64_t i = 0; i < batch; ++i) {
    boxes.push_back(bench_boxes(8, 0.01 * static_cast<double>(i)) / 300);
    labels.push_back(1 + (at::arange(8, at::kLong) + i) % 20);
  }
  const ssd::model::BoxCoder coder(0.1, 0.2);
  const auto& priors = ssd300_priors();  // built before the timing: it builds a whole SSD300 once
  for (auto _ : state) benchmark::DoNotOptimize(ssd::model::assign_targets(boxes, labels, priors, coder, 0.5).deltas);
}
BENCHMARK(MatchAndEncode)->Arg(32)->Unit(benchmark::kMillisecond);

// One image's raw head output: small box deltas; logits in [-3, 3) with background at 2, so that a few classes
// pass the 0.01 score threshold at each default box, as with a partly trained model.
void Postprocess(benchmark::State& state) {
  const auto& priors = ssd300_priors();
  const int64_t p = priors.size(0), classes = 21;
  const auto loc = (sequence(p * 4, 0.3819660112501051) - 0.5).to(at::kFloat).view({1, p, 4});
  auto conf = (6 * sequence(p * classes, 0.2360679774997897) - 3).to(at::kFloat).view({1, p, classes});
  conf.select(2, 0).fill_(2);
  const ssd::model::BoxCoder coder(0.1, 0.2);
  const ssd::config::PostprocessConfig config;  // torchvision's: 0.01, 0.45, 200 per class, 200 per image
  int64_t kept = 0;
  for (auto _ : state) kept = ssd::model::postprocess(loc, conf, priors, coder, config)[0].scores.size(0);
  state.counters["kept"] = static_cast<double>(kept);
}
BENCHMARK(Postprocess)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
