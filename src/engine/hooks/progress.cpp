#include "ssd/engine/hooks/progress.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "ssd/optim/optimizer.h"

namespace ssd::engine {

std::string format_duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
  else std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

ProgressHook::ProgressHook(int64_t log_period, bool tty) : log_period_(log_period), tty_(tty) {}

void ProgressHook::before_train(TrainContext& c) {
  run_start_ = std::chrono::steady_clock::now();
  start_iteration_ = c.position.iteration;
  window_.restart(c.loader->wait_seconds());
}

void ProgressHook::after_step(TrainContext& c) {
  window_.add(c.step, c.batch->size() * static_cast<size_t>(c.world_size));  // every process holds its share of the batch
  const bool log_now = ends_log_window(c, log_period_);
  if (!log_now && !tty_) return;
  const int64_t done = c.position.iteration + 1;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start_).count();
  const double eta = elapsed / static_cast<double>(done - start_iteration_) * static_cast<double>(c.plan.stop_at - done);
  const double wait = c.loader->wait_seconds();
  const auto w = window_.summary(wait);
  char line[320];
  std::snprintf(line, sizeof(line), "epoch %lld/%lld iter %lld/%lld loss %.4f (loc %.4f conf %.4f) lr %.3e %.1f img/s eta %s",
                static_cast<long long>(c.position.epoch + 1), static_cast<long long>(c.plan.epochs), static_cast<long long>(done),
                static_cast<long long>(c.plan.stop_at), w.loss, w.loss_loc, w.loss_conf, optim::get_lr(*c.optimizer),
                w.images_per_second, format_duration(eta).c_str());
  if (!log_now) {
    std::printf("\r\033[K%s", line);
    std::fflush(stdout);
    return;
  }
  if (tty_) std::printf("\r\033[K");
  // This line's "key value" form is parsed by scripts/ and tests: keep it.
  spdlog::info("{} data-wait {:.0f}%", line, 100 * w.data_wait_share);
  window_.restart(wait);
}

}  // namespace ssd::engine
