#include "ssd/eval/evaluator.h"

#include <ATen/ATen.h>
#include <cmath>
#include <torch/csrc/autograd/grad_mode.h>

#include <cstring>
#include <map>
#include <tuple>

#include "ssd/data/augment.h"
#include "ssd/data/input_fit.h"
#include "ssd/data/loader.h"
#include "ssd/eval/sliced_inference.h"
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
    // The corners in the model's float; the bbox [x, y, w, h] that ssd-detect writes takes w = x2 - x1 in double, where
    // it is exact, so x + w gives back x2: scored from here or from that file, a detection has the model's corners and
    // the same area to the last bit.
    const double x1 = r[0] * static_cast<float>(width), y1 = r[1] * static_cast<float>(height);
    const double x2 = r[2] * static_cast<float>(width), y2 = r[3] * static_cast<float>(height);
    out.push_back(detection_from_xywh(image_id, l.data_ptr<int64_t>()[i], s.data_ptr<float>()[i], x1, y1, x2 - x1, y2 - y1));
  }
  return out;
}

namespace {

// What one batch gave, in a form that crosses processes: its images (data set indices) and their detections.
struct BatchResult {
  int64_t batch = 0;
  double loss = 0;  ///< the batch's loss times its images
  int64_t loss_images = 0;
  std::vector<uint64_t> images;
  std::vector<double> image_loss;  ///< per image, its share of `loss` (empty without the loss)
  std::vector<std::vector<Detection>> detections;  ///< per image, image_id left empty
};

class Bytes {
 public:
  template <typename T>
  void put(const T& v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  std::string& text() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(const std::string& in) : in_(in) {}
  template <typename T>
  T get() {
    T v;
    if (at_ + sizeof(T) > in_.size()) throw std::runtime_error("distributed evaluation: a process sent a short result");
    std::memcpy(&v, in_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }
  bool done() const { return at_ == in_.size(); }

 private:
  const std::string& in_;
  size_t at_ = 0;
};

std::string encode(const std::vector<BatchResult>& results) {
  Bytes b;
  for (const auto& r : results) {
    b.put(r.batch), b.put(r.loss), b.put(r.loss_images), b.put(static_cast<uint64_t>(r.images.size()));
    for (size_t i = 0; i < r.images.size(); ++i) {
      b.put(r.images[i]), b.put(static_cast<uint8_t>(i < r.image_loss.size())), b.put(i < r.image_loss.size() ? r.image_loss[i] : 0.0);
      b.put(static_cast<uint64_t>(r.detections[i].size()));
      for (const auto& d : r.detections[i])
        b.put(d.label), b.put(d.score), b.put(d.x1), b.put(d.y1), b.put(d.x2), b.put(d.y2), b.put(d.area);
    }
  }
  return std::move(b.text());
}

void decode(const std::string& bytes, std::map<int64_t, BatchResult>& out) {
  Reader in(bytes);
  while (!in.done()) {
    BatchResult r;
    r.batch = in.get<int64_t>(), r.loss = in.get<double>(), r.loss_images = in.get<int64_t>();
    const auto images = in.get<uint64_t>();
    for (uint64_t i = 0; i < images; ++i) {
      r.images.push_back(in.get<uint64_t>());
      const bool has_loss = in.get<uint8_t>() != 0;
      const auto loss = in.get<double>();
      if (has_loss) r.image_loss.push_back(loss);
      std::vector<Detection> dets(in.get<uint64_t>());
      for (auto& d : dets) {
        d.label = in.get<int64_t>(), d.score = in.get<double>();
        d.x1 = in.get<double>(), d.y1 = in.get<double>(), d.x2 = in.get<double>(), d.y2 = in.get<double>(), d.area = in.get<double>();
      }
      r.detections.push_back(std::move(dets));
    }
    const int64_t k = r.batch;
    out[k] = std::move(r);
  }
}

// Sliced inference of the one image of `batch` (its views stacked): its merged detections and, with loss_fn, its loss
// into r: the image's views as one batch, each view against the objects it holds, normalised by their positives together
// (the loss a batch of these tiles has in training).
std::vector<Detection> sliced_image(model::Ssd& model, const data::Batch& batch, const EvalOptions& options,
                                    const loss::DetectionLoss* loss_fn, c10::Device device, BatchResult& r) {
  const auto [width, height] = batch.sizes[0];
  const config::ImageSize size = model->image_size();
  const auto plan = plan_slices(width, height, size, *options.tiling);
  model::Targets targets;
  at::Tensor normaliser, loss_sum;
  if (loss_fn) {
    // The objects as the data set loaded them (clipped to the image), back in pixels from the batch's targets.
    std::vector<data::Object> objects;
    const auto b = batch.boxes[0].to(at::kCPU).contiguous();
    const auto l = batch.labels[0].to(at::kCPU).contiguous();
    for (int64_t i = 0; i < b.size(0); ++i) {
      const float* q = b.data_ptr<float>() + 4 * i;
      objects.push_back({q[0] * static_cast<float>(width), q[1] * static_cast<float>(height), q[2] * static_cast<float>(width),
                         q[3] * static_cast<float>(height), l.data_ptr<int64_t>()[i]});
    }
    std::vector<at::Tensor> view_boxes, view_labels;
    for (const auto& held : view_objects(objects, plan, width, height, options.tiling->min_visible, size, model->resize_policy())) {
      auto [vb, vl] = data::normalized_targets(held, 1, 1);
      view_boxes.push_back(vb.to(device)), view_labels.push_back(vl.to(device));
    }
    targets = model->assign_targets(view_boxes, view_labels);
    normaliser = loss::DetectionLoss::normaliser(loss::DetectionLoss::positive_count(targets));
  }
  OnViews on_views = nullptr;
  if (loss_fn)
    on_views = [&](int64_t first, const model::HeadOutput& out) {
      const int64_t n = out.loc.size(0);
      const model::Targets chunk{targets.labels.narrow(0, first, n), targets.deltas.narrow(0, first, n), targets.priors, targets.coder};
      const auto chunk_loss = loss::total(loss_fn->terms(out, chunk, normaliser));
      loss_sum = loss_sum.defined() ? loss_sum + chunk_loss : chunk_loss;
    };
  auto dets = detect_sliced(model, batch.images[0], plan, width, height, options.postprocess, *options.tiling, options.batch_size,
                            device, on_views);
  if (loss_fn) {
    const double loss = loss_sum.item<double>();  // one transfer (one wait on a GPU) per image
    r.loss = loss, r.loss_images = 1;
    r.image_loss.push_back(loss);
  }
  return dets;
}

}  // namespace

std::vector<Detection> predict(model::Ssd& model, const data::DetectionDataset& dataset, const EvalOptions& options, c10::Device device,
                               std::vector<data::Annotation>* evaluated, double* mean_loss, std::vector<double>* image_losses) {
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
  const config::ImageSize size = model->image_size();
  const auto mean = model->pixel_mean(), stddev = model->pixel_std();
  const std::string resize = model->resize_policy();
  const auto* communicator = options.communicator && !options.communicator->alone() ? options.communicator.get() : nullptr;
  if (communicator) loader_options.first_batch = communicator->rank(), loader_options.batch_stride = communicator->world_size();
  data::PrepareFn prepare = [&](const data::Sample& s, std::mt19937_64&) { return data::prepare_for_eval(s, mean, stddev, size, resize); };
  if (options.tiling) {
    // One image per batch: its views, [1, V, 3, S, S]; two images ahead at most (an image's views can be hundreds of MiB).
    loader_options.batch_size = 1;
    loader_options.prefetch = 2;
    prepare = [&](const data::Sample& s, std::mt19937_64&) {
      data::Prepared p;
      p.width = s.image.cols, p.height = s.image.rows;
      p.image = slice_inputs(s.image, plan_slices(p.width, p.height, size, *options.tiling), size, mean, stddev, resize);
      std::tie(p.boxes, p.labels) = data::normalized_targets(s.annotation.objects, p.width, p.height);
      return p;
    };
  }
  data::DataLoader loader(dataset, loader_options, std::move(prepare));
  const auto loss_fn = mean_loss && options.loss ? loss::make_loss(*options.loss) : nullptr;
  std::vector<BatchResult> results;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    if (batch->size() == 0) continue;
    BatchResult r;
    r.batch = batch->index_in_epoch;
    if (options.tiling) {
      r.images.push_back(batch->indices[0]);
      r.detections.push_back(sliced_image(model, *batch, options, loss_fn.get(), device, r));
      results.push_back(std::move(r));
      continue;
    }
    const auto out = model->forward(batch->images.to(device, /*non_blocking=*/true));
    if (loss_fn) {
      const auto targets = model->assign_targets(batch->boxes, batch->labels);
      const auto images = static_cast<int64_t>(batch->size());
      r.loss = loss::total((*loss_fn)(out, targets)).item<double>() * static_cast<double>(images);
      r.loss_images = images;
      if (image_losses) {
        // Each image's share of the batch's loss (its terms over the batch's normaliser; the losses mine negatives per
        // image, so the shares add up to the batch's): what the image contributes to the mean, for its bootstrap.
        const auto n = loss::DetectionLoss::normaliser(loss::DetectionLoss::positive_count(targets));
        std::vector<at::Tensor> shares;
        for (int64_t i = 0; i < images; ++i) {
          const model::HeadOutput one{out.loc.narrow(0, i, 1), out.conf.narrow(0, i, 1)};
          const model::Targets its{targets.labels.narrow(0, i, 1), targets.deltas.narrow(0, i, 1), targets.priors, targets.coder};
          shares.push_back(loss::total(loss_fn->terms(one, its, n)).reshape({1}));
        }
        const auto on_host = at::cat(shares).to(at::kCPU, at::kDouble);  // one transfer (one wait on a GPU) per batch
        for (int64_t i = 0; i < images; ++i) r.image_loss.push_back(on_host[i].item<double>() * static_cast<double>(images));
      }
    }
    const auto dets = model::postprocess(out.loc, out.conf, model->priors(), model->box_coder(), options.postprocess);
    for (size_t i = 0; i < batch->size(); ++i) {
      r.images.push_back(batch->indices[i]);
      const auto [width, height] = batch->sizes[i];
      const auto boxes = data::input_boxes_to_image(dets[i].boxes, cv::Size(width, height), data::cv_size(size), resize);
      r.detections.push_back(to_pixel_detections("", boxes, dets[i].scores, dets[i].labels, width, height));
    }
    results.push_back(std::move(r));
  }
  if (was_training) model->train();
  if (communicator) {
    // Every process's batches, back in the order one process runs them: the same detections, ground truth and loss sum.
    std::map<int64_t, BatchResult> by_batch;
    for (const auto& bytes : communicator->gather_bytes(encode(results), "the evaluation's results")) decode(bytes, by_batch);
    results.clear();
    for (auto& [k, r] : by_batch) results.push_back(std::move(r));
  }
  std::vector<Detection> all;
  double loss_sum = 0;
  int64_t loss_images = 0;
  for (auto& r : results) {
    loss_sum += r.loss;
    loss_images += r.loss_images;
    for (size_t i = 0; i < r.images.size(); ++i) {
      const auto& a = dataset.annotation(r.images[i]);
      if (evaluated) evaluated->push_back(a);
      if (image_losses && i < r.image_loss.size()) image_losses->push_back(r.image_loss[i]);
      for (auto& d : r.detections[i]) {
        d.image_id = a.id;
        all.push_back(std::move(d));
      }
    }
  }
  if (mean_loss) *mean_loss = loss_images > 0 ? loss_sum / static_cast<double>(loss_images) : std::nan("");
  return all;
}

EvalReport evaluate(model::Ssd& model, const data::DetectionDataset& dataset, const EvalOptions& options, c10::Device device) {
  // Images that could not be read are left out of the ground truth too (counted in the data set's report),
  // rather than scored as misses.
  EvalReport r;
  r.loss = std::nan("");
  r.detections = predict(model, dataset, options, device, &r.ground_truth, options.loss ? &r.loss : nullptr,
                          options.loss && options.image_losses ? &r.image_losses : nullptr);
  const auto classes = static_cast<int64_t>(dataset.classes().size());
  r.voc07 = evaluate_voc(r.ground_truth, r.detections, classes, true);
  r.voc = evaluate_voc(r.ground_truth, r.detections, classes, false);
  return r;
}

}  // namespace ssd::eval
