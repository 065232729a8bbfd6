#pragma once
// Models the export and interop tests build: an SSD-Lite config, and a model whose batch-norm statistics are unlike
// their initial values (an export that dropped them would still give the initial model's outputs).
#include <torch/csrc/autograd/grad_mode.h>

#include <string>

#include "ssd/config/config.h"
#include "ssd/model/ssd.h"

namespace ssd::test {

inline config::ModelConfig ssdlite_config(const std::string& backbone, int64_t image_size, double width_mult = 1.0) {
  config::ModelConfig c;
  c.backbone = backbone;
  c.head = "ssdlite";
  c.image_size = image_size;
  c.width_mult = width_mult;
  c.priors.preset = "scales";
  return c;
}

/// The model of `c` seeded with `seed`, running means N(0, 0.1) and variances U(0.5, 2), in eval mode.
inline model::Ssd model_with_statistics(const config::ModelConfig& c, int64_t num_classes, uint64_t seed) {
  torch::manual_seed(seed);
  auto model = model::build_ssd(c, num_classes);
  torch::NoGradGuard no_grad;
  for (auto& b : model->named_buffers())
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
    else if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0.0, 0.1);
  model->eval();
  return model;
}

}  // namespace ssd::test
