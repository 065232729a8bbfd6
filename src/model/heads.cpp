#include "ssd/model/heads.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>

#include "ssd/kernels/conv2d.h"
#include "ssd/kernels/relu6.h"
#include "ssd/model/sequential_block.h"
#include "ssd/util/check.h"

namespace ssd::model {

namespace nn = torch::nn;
using kernels::Conv2d;  // torch::nn::Conv2d with fast CPU paths, same weights and names
using kernels::ReLU6;

namespace {

/// Runs branch k on features[k] and flattens [B, A*D, H, W] -> [B, H*W*A, D], then concatenates the levels.
at::Tensor run_branch(nn::ModuleList& branch, const std::vector<at::Tensor>& features, int64_t depth) {
  SSD_CHECK(features.size() == branch->size(), "head: expected ", branch->size(), " feature maps, got ", features.size());
  std::vector<at::Tensor> parts;
  for (size_t k = 0; k < features.size(); ++k) {
    const auto y = branch[k]->as<nn::SequentialImpl>() ? branch[k]->as<nn::SequentialImpl>()->forward(features[k])
                                                       : branch[k]->as<kernels::Conv2dImpl>()->forward(features[k]);
    parts.push_back(y.permute({0, 2, 3, 1}).reshape({y.size(0), -1, depth}));
  }
  return at::cat(parts, 1);
}

void check_options(const HeadOptions& o) {
  SSD_CHECK(o.inputs.size() == o.anchors_per_cell.size(), "head: expected one anchor count per source (",
            o.inputs.size(), "), got ", o.anchors_per_cell.size());
  SSD_CHECK(o.num_classes >= 2, "head: expected at least 2 classes (background + 1), got ", o.num_classes);
}

}  // namespace

SsdHead::SsdHead(const HeadOptions& o) : num_classes_(o.num_classes) {
  check_options(o);
  loc_ = nn::ModuleList();
  conf_ = nn::ModuleList();
  for (size_t k = 0; k < o.inputs.size(); ++k) {
    const int64_t c = o.inputs[k].channels, a = o.anchors_per_cell[k];
    loc_->push_back(Conv2d(nn::Conv2dOptions(c, a * 4, 3).padding(1)));
    conf_->push_back(Conv2d(nn::Conv2dOptions(c, a * num_classes_, 3).padding(1)));
  }
  register_module("loc", loc_);
  register_module("conf", conf_);
  for (auto& m : modules(false))
    if (auto* conv = m->as<nn::Conv2dImpl>()) {
      nn::init::xavier_uniform_(conv->weight);
      nn::init::zeros_(conv->bias);
    }
}

HeadOutput SsdHead::forward(const std::vector<at::Tensor>& features) {
  return {run_branch(loc_, features, 4), run_branch(conf_, features, num_classes_)};
}

SsdLiteHead::SsdLiteHead(const HeadOptions& o) : num_classes_(o.num_classes) {
  check_options(o);
  loc_ = nn::ModuleList();
  conf_ = nn::ModuleList();
  auto block = [](int64_t c, int64_t out) {
    return SequentialBlock(
        SequentialBlock(Conv2d(nn::Conv2dOptions(c, c, 3).padding(1).groups(c).bias(false)),
                       nn::BatchNorm2d(nn::BatchNorm2dOptions(c).eps(0.001).momentum(0.03)),
                       ReLU6()),
        Conv2d(nn::Conv2dOptions(c, out, 1)));
  };
  for (size_t k = 0; k < o.inputs.size(); ++k) {
    const int64_t c = o.inputs[k].channels, a = o.anchors_per_cell[k];
    loc_->push_back(block(c, a * 4));
    conf_->push_back(block(c, a * num_classes_));
  }
  register_module("loc", loc_);
  register_module("conf", conf_);
  // torchvision's SSD-Lite initialisation: N(0, 0.03) weights, zero bias.
  for (auto& m : modules(false))
    if (auto* conv = m->as<nn::Conv2dImpl>()) {
      nn::init::normal_(conv->weight, 0.0, 0.03);
      if (conv->bias.defined()) nn::init::zeros_(conv->bias);
    }
}

HeadOutput SsdLiteHead::forward(const std::vector<at::Tensor>& features) {
  return {run_branch(loc_, features, 4), run_branch(conf_, features, num_classes_)};
}

}  // namespace ssd::model
