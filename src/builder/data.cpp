#include "ssd/builder/data.h"

#include <spdlog/spdlog.h>

#include <cmath>

#include "ssd/data/augment_pipeline.h"
#include "ssd/data/tiles.h"
#include "ssd/util/error.h"

namespace ssd::builder {

data::DatasetOptions dataset_options(const config::Config& c, const config::SplitConfig& split, const std::string& role,
                                     bool keep_difficult) {
  data::DatasetOptions o;
  o.split = split;
  o.classes = c.data.classes;
  o.keep_difficult = keep_difficult;
  o.strict = c.data.strict;
  o.val_fraction = c.data.val_fraction;
  o.seed = static_cast<uint64_t>(c.runtime.seed);
  o.role = role;
  return o;
}

std::unique_ptr<data::DetectionDataset> train_set(const config::Config& c) {
  return std::make_unique<data::DetectionDataset>(dataset_options(c, c.data.train, "train", c.data.train_difficult));
}

std::unique_ptr<data::DetectionDataset> val_set(const config::Config& c) {
  if (c.data.val.roots.empty()) return nullptr;
  return std::make_unique<data::DetectionDataset>(dataset_options(c, c.data.val, "val", /*keep_difficult=*/true));
}

namespace {

// What a training sample is before its augmentation: a tile of the image (tiling.train), drawn from the sample's own
// generator. Null: the image itself.
using Cut = std::function<data::Sample(const data::Sample& sample, std::mt19937_64& rng)>;

// Another sample of the data set (cut as the training samples are) for the steps that mix images: drawn with the
// sample's generator, a file that cannot be read counted in the skip report and passed over for another (or,
// data.strict, an error).
data::augment_steps::OtherSample other_sample(const data::DetectionDataset& dataset, Cut cut) {
  return [&dataset, cut = std::move(cut)](std::mt19937_64& rng) {
    for (int attempt = 0;; ++attempt) {
      const auto i = std::uniform_int_distribution<size_t>(0, dataset.size() - 1)(rng);
      try {
        const auto sample = dataset.load(i);
        return data::as_float(cut ? cut(sample, rng) : sample);
      } catch (const DataError& e) {
        if (dataset.strict() || attempt == 9) throw;
        dataset.report().skip(e.what());
      }
    }
  };
}

}  // namespace

TrainView train_view(const config::Config& c, const model::SsdImpl& model, const data::DetectionDataset& dataset) {
  Cut cut;
  if (c.tiling.train) {
    // The tile is drawn from the sample's own generator before the augmentation: resume and workers stay exact.
    const cv::Size tile = data::tile_size(model.image_size(), c.tiling.scale);
    spdlog::info("training on tiles of {} source px (model.image_size {} at tiling.scale {:g}), {:g} of them drawn to hold no object",
                 data::tile_text(tile), model.image_size().str(), c.tiling.scale, c.tiling.empty_share);
    if (!c.tiling.infer)
      spdlog::warn("tiling.train without tiling.infer: validation, ssd-eval and ssd-detect run on the whole image resized, "
                   "which the tiles did not train for (set tiling.infer: true)");
    const auto mean = model.pixel_mean();
    const cv::Scalar fill(std::lround(mean[0]), std::lround(mean[1]), std::lround(mean[2]));
    cut = [tile, fill, tiling = c.tiling](const data::Sample& s, std::mt19937_64& rng) {
      const auto rect = data::sample_tile(s.annotation.objects, s.image.cols, s.image.rows, tile, tiling.empty_share, tiling.min_visible, rng);
      return data::cut_tile(s, rect, tiling.min_visible, fill);
    };
  }
  const auto augmentation =
      data::make_train_augmentation(c.augment, model.pixel_mean(), model.pixel_std(), model.image_size(), model.resize_policy(),
                                    other_sample(dataset, cut));
  if (!cut) return [augmentation](const data::Sample& s, std::mt19937_64& rng) { return augmentation->augment(s, rng); };
  return [augmentation, cut](const data::Sample& s, std::mt19937_64& rng) { return augmentation->augment(cut(s, rng), rng); };
}

std::unique_ptr<data::DataLoader> train_loader(const config::Config& c, const data::DetectionDataset& dataset, const model::SsdImpl& model,
                                               c10::Device device, uint64_t seed, int rank, int world_size) {
  if (c.train.batch_size % world_size != 0)
    throw ConfigError("train.batch_size: " + std::to_string(c.train.batch_size) + " is the whole batch of a step and must split evenly among the " +
                      std::to_string(world_size) + " processes of the run (each takes batch_size / processes images)");
  data::LoaderOptions options;
  options.batch_size = c.train.batch_size;
  options.rank = rank;
  options.world_size = world_size;
  options.workers = c.data.workers;
  options.seed = seed;
  options.pin_memory = device.is_cuda();  // page-locked batches: the copy to the GPU overlaps compute
  const auto view = train_view(c, model, dataset);
  data::PrepareFn prepare = [view, mean = model.pixel_mean(), std = model.pixel_std()](const data::Sample& s, std::mt19937_64& rng) {
    return data::prepared(view(s, rng), mean, std, s.image.cols, s.image.rows);
  };
  auto loader = std::make_unique<data::DataLoader>(dataset, options, std::move(prepare));
  if (loader->batches_per_epoch() == 0)
    throw ConfigError("train.batch_size: " + std::to_string(c.train.batch_size) + " is larger than the training set (" +
                      std::to_string(dataset.size()) + " images)");
  return loader;
}

eval::EvalOptions eval_options(const config::Config& c, int64_t batch_size, bool with_loss) {
  eval::EvalOptions o;
  o.batch_size = batch_size;
  o.workers = c.data.workers;
  o.postprocess = c.postprocess;
  if (with_loss) o.loss = c.loss;
  if (c.tiling.infer) o.tiling = c.tiling;
  return o;
}

}  // namespace ssd::builder
