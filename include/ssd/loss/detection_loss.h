#pragma once
// Loss interface and registry: model outputs + per-prior targets -> named loss terms.
// Every loss is normalised by N = max(1, number of positive default boxes in the batch), the SSD paper's
// normalisation (with max(1, .) so a batch without objects gives a finite loss).
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

#include "ssd/config/config.h"
#include "ssd/model/heads.h"
#include "ssd/model/matcher.h"
#include "ssd/util/registry.h"

namespace ssd::loss {

/// Named scalar terms, e.g. {"loss_loc", "loss_conf"}; the training objective is their sum.
using LossTerms = std::map<std::string, at::Tensor>;

/// Sum of all terms.
at::Tensor total(const LossTerms& terms);

class DetectionLoss {
 public:
  virtual ~DetectionLoss() = default;
  /// The terms of a batch, normalised by its own N.
  LossTerms operator()(const model::HeadOutput& output, const model::Targets& targets) const {
    return terms(output, targets, normaliser(positive_count(targets)));
  }
  /// The terms normalised by `n`. A process's share of a batch split across processes (distributed training) passes
  /// the whole batch's N, so that the shares' terms add up to the batch's.
  virtual LossTerms terms(const model::HeadOutput& output, const model::Targets& targets, const at::Tensor& n) const = 0;

  /// The number of positive default boxes in `targets`, as a float scalar tensor on their device.
  static at::Tensor positive_count(const model::Targets& targets);
  /// N = max(1, count).
  static at::Tensor normaliser(const at::Tensor& count);
};

using LossFactory = std::function<std::unique_ptr<DetectionLoss>(const config::LossConfig&)>;
const util::Registry<util::Plugin<LossFactory>>& loss_registry();

/// The loss named by config.name (ConfigError naming loss.name when unknown).
std::unique_ptr<DetectionLoss> make_loss(const config::LossConfig& config);

}  // namespace ssd::loss
