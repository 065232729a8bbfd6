#include "ssd/eval/evaluator.h"

#include <ATen/ATen.h>
#include <cmath>
#include <torch/csrc/autograd/grad_mode.h>

#include "ssd/data/loader.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/model/matcher.h"
#include "ssd/model/postprocess.h"

namespace ssd::eval {

std::vector<Detection> to_pixel_detections(const std::string& image_id, const at::Tensor& boxes, const at::Tensor& scores,
                                           const at::Tensor& labels, int width, int height) {
  const auto b = boxes.to(at::kCPU, at::kFloat).contiguous();
  const auto s = scores.to(at::kCPU, at::kFloat).contiguous();
  const auto l = labels.to(at::kCPU, at::kLong).contiguous();
  std::vector<Detection> out;
  for (int64_t i = 0; i < b.size(0); ++i) {
    const float* r = b.data_ptr<float>() + 4 * i;
    out.push_back({image_id, l.data_ptr<int64_t>()[i], s.data_ptr<float>()[i], r[0] * width, r[1] * height, r[2] * width,
                   r[3] * height});
  }
  return out;
}

std::vector<Detection> predict(model::Ssd& model, const data::DetectionDataset& dataset, const EvalOptions& options, c10::Device device,
                               std::vector<data::Annotation>* evaluated, double* mean_loss) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  data::LoaderOptions loader_options;
  loader_options.batch_size = options.batch_size;
  loader_options.workers = options.workers;
  loader_options.shuffle = false;
  loader_options.drop_last = false;
  loader_options.refill = false;
  loader_options.pin_memory = device.is_cuda();
  const int size = static_cast<int>(model->image_size());
  const auto mean = model->pixel_mean(), stddev = model->pixel_std();
  data::DataLoader loader(dataset, loader_options,
                          [&](const data::Sample& s, std::mt19937_64&) { return data::prepare_for_eval(s, mean, stddev, size); });
  std::vector<Detection> all;
  const auto loss_fn = mean_loss && options.loss ? loss::make_loss(*options.loss) : nullptr;
  double loss_sum = 0;
  int64_t loss_images = 0;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    if (batch->size() == 0) continue;
    const auto out = model->forward(batch->images.to(device, /*non_blocking=*/true));
    if (loss_fn) {
      const auto targets = model->assign_targets(batch->boxes, batch->labels);
      loss_sum += loss::total((*loss_fn)(out, targets)).item<double>() * static_cast<double>(batch->size());
      loss_images += static_cast<int64_t>(batch->size());
    }
    const auto dets = model::postprocess(out.loc, out.conf, model->priors(), model->box_coder(), options.postprocess);
    for (size_t i = 0; i < batch->size(); ++i) {
      const auto& a = dataset.annotation(batch->indices[i]);
      if (evaluated) evaluated->push_back(a);
      auto d = to_pixel_detections(a.id, dets[i].boxes, dets[i].scores, dets[i].labels, batch->sizes[i].first,
                                   batch->sizes[i].second);
      all.insert(all.end(), d.begin(), d.end());
    }
  }
  if (was_training) model->train();
  if (mean_loss) *mean_loss = loss_images > 0 ? loss_sum / static_cast<double>(loss_images) : std::nan("");
  return all;
}

EvalReport evaluate(model::Ssd& model, const data::DetectionDataset& dataset, const EvalOptions& options, c10::Device device) {
  // Images that could not be read are left out of the ground truth too (counted in the data set's report),
  // rather than scored as misses.
  EvalReport r;
  r.loss = std::nan("");
  r.detections = predict(model, dataset, options, device, &r.ground_truth, options.loss ? &r.loss : nullptr);
  const auto classes = static_cast<int64_t>(dataset.classes().size());
  r.voc07 = evaluate_voc(r.ground_truth, r.detections, classes, true);
  r.voc = evaluate_voc(r.ground_truth, r.detections, classes, false);
  return r;
}

}  // namespace ssd::eval
