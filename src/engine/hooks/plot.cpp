#include "ssd/engine/hooks/plot.h"

#include <spdlog/spdlog.h>

namespace ssd::engine {

PlotHook::PlotHook(std::string path, const MetricsLogHook& metrics, std::vector<int64_t> boundaries)
    : path_(std::move(path)), metrics_(metrics), boundaries_(std::move(boundaries)) {}

void PlotHook::after_epoch(TrainContext& c) {
  if (!c.interrupted) draw(c);
}

void PlotHook::after_train(TrainContext& c) {
  if (!c.interrupted && drawn_at_ != c.position.iteration) draw(c);
}

void PlotHook::draw(const TrainContext& c) {
  drawn_at_ = c.position.iteration;
  if (!metrics_.log()) return;
  try {
    metrics_.log()->plot(path_, boundaries_);
  } catch (const std::exception& e) {
    spdlog::warn("could not write the training plot: {}", e.what());
  }
}

}  // namespace ssd::engine
