#pragma once
// The builder layer (builder/model.h says what it is): data sets, loaders and the evaluation's options.
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/data/dataset.h"
#include "ssd/data/loader.h"
#include "ssd/data/transforms.h"
#include "ssd/eval/evaluator.h"
#include "ssd/model/ssd.h"

namespace ssd::builder {

/// A split read with the config's classes and rules (data.strict, data.val_fraction, runtime.seed); role names the
/// keys in errors ("train", "val"); keep_difficult keeps VOC difficult objects and COCO crowd regions.
data::DatasetOptions dataset_options(const config::Config& config, const config::SplitConfig& split, const std::string& role,
                                     bool keep_difficult);

/// data.train (difficult objects left out unless data.train_difficult).
std::unique_ptr<data::DetectionDataset> train_set(const config::Config& config);

/// data.val with its difficult objects (the metrics need them marked), or null when data.val.roots is empty.
std::unique_ptr<data::DetectionDataset> val_set(const config::Config& config);

/// What training makes of a sample of `dataset` before normalisation: the tile (tiling.train) and the augmentation
/// (augment.*; mosaic draws its other images from `dataset`, which must outlive the view), an image of the model's
/// input size and its objects in pixels. ssd-data preview draws it.
using TrainView = std::function<data::Labeled(const data::Sample& sample, std::mt19937_64& rng)>;
TrainView train_view(const config::Config& config, const model::SsdImpl& model, const data::DetectionDataset& dataset);

/// The training loader over `dataset`: batches of train.batch_size shuffled with `seed`, each image augmented
/// (augment.*) into the model's input. ConfigError naming train.batch_size when one batch is more than the set holds,
/// or when it does not split evenly among `world_size` processes (then this process loads the share of `rank`).
std::unique_ptr<data::DataLoader> train_loader(const config::Config& config, const data::DetectionDataset& dataset,
                                               const model::SsdImpl& model, c10::Device device, uint64_t seed, int rank = 0,
                                               int world_size = 1);

/// How evaluation runs: batches of batch_size, data.workers, postprocess.*, and loss.* when with_loss.
eval::EvalOptions eval_options(const config::Config& config, int64_t batch_size, bool with_loss);

}  // namespace ssd::builder
