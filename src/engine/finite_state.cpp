#include "ssd/engine/finite_state.h"

#include <sstream>
#include <torch/serialize.h>

namespace ssd::engine {

namespace {

bool finite(const at::Tensor& t) { return !t.defined() || !t.is_floating_point() || at::isfinite(t).all().item<bool>(); }

// Every tensor of an archive, nested archives included, in key order.
std::string first_non_finite_in(torch::serialize::InputArchive& archive, const std::string& prefix) {
  for (const auto& key : archive.keys()) {
    torch::serialize::InputArchive nested;
    if (archive.try_read(key, nested)) {
      if (auto bad = first_non_finite_in(nested, prefix + key + "/"); !bad.empty()) return bad;
      continue;
    }
    c10::IValue value;
    if (archive.try_read(key, value) && value.isTensor() && !finite(value.toTensor())) return prefix + key;
  }
  return "";
}

}  // namespace

std::string first_non_finite(model::Ssd& model, torch::optim::Optimizer* optimizer) {
  for (const auto& p : model->named_parameters())
    if (!finite(p.value())) return "parameter '" + p.key() + "'";
  for (const auto& b : model->named_buffers())
    if (!finite(b.value())) return "buffer '" + b.key() + "'";
  if (!optimizer) return "";
  // Each optimizer keeps its state in its own types; its serialised form is the one view of it they all share.
  torch::serialize::OutputArchive out;
  optimizer->save(out);
  std::stringstream bytes;
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  in.load_from(bytes);
  if (auto bad = first_non_finite_in(in, ""); !bad.empty()) return "optimizer state '" + bad + "'";
  return "";
}

}  // namespace ssd::engine
