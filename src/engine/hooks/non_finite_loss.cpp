#include "ssd/engine/hooks/non_finite_loss.h"

#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/serialize.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "ssd/engine/finite_state.h"
#include "ssd/optim/optimizer.h"
#include "ssd/util/error.h"

namespace ssd::engine {

NonFiniteLossHook::NonFiniteLossHook(const config::NonFiniteConfig& config, std::shared_ptr<lr::LrController> control)
    : config_(config), control_(std::move(control)) {}

void NonFiniteLossHook::before_train(TrainContext& c) {
  if (config_.action == "skip") keep_good_state(c);
}

void NonFiniteLossHook::after_step(TrainContext& c) {
  if (c.step.finite()) {
    in_a_row_ = 0;
    return;
  }
  char terms[160];
  std::snprintf(terms, sizeof(terms), "loss_loc %g, loss_conf %g, lr %.4g", c.step.loc, c.step.conf, optim::get_lr(*c.optimizer));
  if (config_.action != "skip") stop(c, std::string("loss is not finite (") + terms + ")");
  ++skipped_, ++in_a_row_;
  if (in_a_row_ == 1)
    spdlog::warn("iteration {}: loss is not finite ({}): step skipped (non_finite.action skip; {} skipped in this run)",
                 c.position.iteration, terms, skipped_);
  if (in_a_row_ >= config_.restore_after) restore(c, std::to_string(in_a_row_) + " steps in a row with a non-finite loss");
}

void NonFiniteLossHook::after_epoch(TrainContext& c) {
  if (config_.action != "skip") return;
  // Before the checkpoint hook writes last.pt, which would refuse non-finite values.
  if (const auto bad = first_non_finite(c.model, c.optimizer); !bad.empty())
    restore(c, bad + " holds NaN or infinite values at the epoch's end");
  // Not in the middle of a streak of non-finite losses: the weights may have gone astray without being NaN yet.
  if (in_a_row_ == 0) keep_good_state(c);
}

void NonFiniteLossHook::after_train(TrainContext&) {
  if (skipped_ == 0 && restores_ == 0) return;
  spdlog::warn("non-finite losses: {} steps skipped, {} restores of the last good state; LR x{:.4g} of the schedule's", skipped_,
               restores_, lr_scale_);
}

void NonFiniteLossHook::stop(const TrainContext& c, const std::string& why) const {
  const std::string last = (std::filesystem::path(c.run_dir) / "last.pt").string();
  throw std::runtime_error("iteration " + std::to_string(c.position.iteration) + ": " + why +
                           (std::filesystem::exists(last) ? "; the last good checkpoint is " + last : std::string()) +
                           ". Lower solver.lr or lengthen the warm-up" +
                           (config_.action == "skip" ? "" : ", or let non_finite.action skip steps like it") + ".");
}

void NonFiniteLossHook::keep_good_state(const TrainContext& c) {
  good_weights_.clear();
  for (const auto& p : c.model->parameters()) good_weights_.push_back(p.detach().clone());
  for (const auto& b : c.model->buffers()) good_weights_.push_back(b.detach().clone());
  torch::serialize::OutputArchive archive;
  c.optimizer->save(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  good_optimizer_ = bytes.str();
  good_iteration_ = c.position.iteration;
}

void NonFiniteLossHook::restore(TrainContext& c, const std::string& why) {
  if (restores_ >= config_.max_restores)
    stop(c, why + ", after " + std::to_string(restores_) + " restores (non_finite.max_restores)");
  {
    torch::NoGradGuard no_grad;
    size_t i = 0;
    for (auto& p : c.model->parameters()) p.copy_(good_weights_.at(i++));
    for (auto& b : c.model->buffers()) b.copy_(good_weights_.at(i++));
  }
  torch::serialize::InputArchive archive;
  std::istringstream bytes(good_optimizer_);
  archive.load_from(bytes, c.device);
  // load() only overwrites the entries the snapshot has: a parameter without state there (the run's start) would
  // keep its diverged momentum.
  c.optimizer->state().clear();
  c.optimizer->load(archive);
  ++restores_;
  in_a_row_ = 0;
  lr_scale_ *= config_.lr_factor;
  control_->set_lr_scale(lr_scale_);
  spdlog::warn("iteration {}: {}: restored the weights and optimizer state of iteration {} and lowered the LR to x{:.4g} of the "
               "schedule's for the rest of the run (restore {} of at most {}, non_finite.max_restores)",
               c.position.iteration, why, good_iteration_, lr_scale_, restores_, config_.max_restores);
}

// Nothing to keep until something happened, so that runs without a non-finite loss write the checkpoints they did.
std::string NonFiniteLossHook::state() const {
  if (skipped_ == 0 && restores_ == 0) return "";
  char buf[128];
  std::snprintf(buf, sizeof(buf), "non_finite %lld %lld %lld %.17g", static_cast<long long>(skipped_), static_cast<long long>(in_a_row_),
                static_cast<long long>(restores_), lr_scale_);
  return buf;
}

void NonFiniteLossHook::load_state(const std::string& state) {
  if (state.empty()) return;
  std::istringstream in(state);
  std::string tag;
  long long skipped = 0, in_a_row = 0, restores = 0;
  double scale = 1.0;
  in >> tag >> skipped >> in_a_row >> restores >> scale;
  if (tag != "non_finite" || in.fail() || !(scale > 0)) throw CheckpointError("non-finite-loss state '" + state + "' is not readable");
  skipped_ = skipped, in_a_row_ = in_a_row, restores_ = restores, lr_scale_ = scale;
  control_->set_lr_scale(lr_scale_);
}

}  // namespace ssd::engine
