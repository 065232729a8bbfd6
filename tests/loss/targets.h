#pragma once
// Per-default-box targets written inline in the loss tests.
#include <ATen/core/Tensor.h>

#include "ssd/model/matcher.h"

namespace ssd::test {

/// labels [B, P], deltas [B, P, 4]; priors [P, 4] cxcywh where a box term decodes (none: the offset terms only).
inline model::Targets targets(at::Tensor labels, at::Tensor deltas, at::Tensor priors = {}) {
  model::Targets t;
  t.labels = std::move(labels), t.deltas = std::move(deltas), t.priors = std::move(priors);
  return t;
}

}  // namespace ssd::test
