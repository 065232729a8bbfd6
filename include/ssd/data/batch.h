#pragma once
// One batch as a training step consumes it: the images stacked, each image's boxes and labels. Its own header so
// that the model, the loss and the training step need nothing of the data pipeline (OpenCV included) to take one.
#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ssd::data {

struct Batch {
  at::Tensor images;                ///< [B, 3, H, W], the model's input size
  std::vector<at::Tensor> boxes;    ///< per image [N_i, 4] xyxy in [0, 1]
  std::vector<at::Tensor> labels;   ///< per image [N_i] int64
  std::vector<size_t> indices;      ///< data set indices
  std::vector<std::pair<int, int>> sizes;  ///< original (width, height) per image
  int64_t index_in_epoch = 0;       ///< position of this batch in its epoch
  std::vector<at::Tensor> pending_images;  ///< per-image inputs until next() stacks them (internal)
  size_t size() const { return indices.size(); }
};

}  // namespace ssd::data
