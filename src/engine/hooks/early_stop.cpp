#include "ssd/engine/hooks/early_stop.h"

#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <filesystem>

namespace ssd::engine {

EarlyStopHook::EarlyStopHook(const config::EarlyStopConfig& config, std::string run_dir)
    : early_stop_(config), restore_best_weights_(config.restore_best_weights), run_dir_(std::move(run_dir)) {}

void EarlyStopHook::after_validation(TrainContext& c, const Validation& v) {
  bool improved = false;
  const bool stop = early_stop_.update(v.metrics, &improved);
  if (improved && restore_best_weights_) {
    best_weights_.clear();
    for (const auto& p : c.model->parameters()) best_weights_.push_back(p.detach().clone());
    for (const auto& b : c.model->buffers()) best_weights_.push_back(b.detach().clone());
  }
  if (stop && early_stop_.enabled() && !c.finished()) {
    spdlog::info("iteration {}: {}", c.position.iteration, early_stop_.reason());
    stopped_ = true;
    c.request_stop(early_stop_.reason());
  }
}

void EarlyStopHook::after_train(TrainContext& c) {
  if (!stopped_ || !restore_best_weights_ || best_weights_.empty()) return;
  {
    torch::NoGradGuard no_grad;
    size_t i = 0;
    for (auto& p : c.model->parameters()) p.copy_(best_weights_[i++]);
    for (auto& b : c.model->buffers()) b.copy_(best_weights_[i++]);
  }
  const std::string final_path = (std::filesystem::path(run_dir_) / "final.pt").string();
  c.save_checkpoint(final_path);
  spdlog::info("restored the weights of the best {} ({:.6g}) and wrote them to {}; last.pt keeps the last weights", early_stop_.monitor(),
               early_stop_.best(), final_path);
}

}  // namespace ssd::engine
