#include "ssd/engine/loop.h"

#include <csignal>

namespace ssd::engine {

namespace {
// Namespace scope and constant-initialised: touching it from a signal handler runs no initialisation code.
std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the stop flag must be usable from a signal handler");
}  // namespace

std::atomic<bool>& TrainLoop::stop_requested() { return g_stop_requested; }

void install_stop_signal_handlers() {
  // The first signal asks for a clean stop (last.pt); the handler then steps aside, so a second one ends the
  // process at once if the run is stuck.
  auto handler = [](int sig) {
    g_stop_requested = true;
    std::signal(sig, SIG_DFL);
  };
  std::signal(SIGINT, handler);
  std::signal(SIGTERM, handler);
}

TrainLoop::TrainLoop(TrainContext context, StepFunction step, std::vector<std::shared_ptr<Hook>> hooks)
    : context_(std::move(context)), step_(std::move(step)), hooks_(std::move(hooks)) {
  context_.publish_validation = [this](const Validation& v) { for_each_hook([&](Hook& h) { h.after_validation(context_, v); }); };
}

template <typename Call>
void TrainLoop::for_each_hook(const Call& call) {
  for (auto& hook : hooks_)
    if (context_.rank == 0 || hook->every_rank()) call(*hook);
}

void TrainLoop::run() {
  for_each_hook([&](Hook& h) { h.before_train(context_); });
  agree_on_stop(/*signal=*/false);  // a resume's catch-up validation may have ended the run in rank 0 (early stopping)
  while (!context_.ending()) {
    run_epoch();
    share_batch_norm_statistics();
    for_each_hook([&](Hook& h) { h.after_epoch(context_); });
    agree_on_stop(/*signal=*/false);
  }
  for_each_hook([&](Hook& h) { h.after_train(context_); });
}

void TrainLoop::run_epoch() {
  auto& at = context_.position;
  auto& loader = *context_.loader;
  loader.start_epoch(at.epoch, at.batch_in_epoch);
  while (at.iteration < context_.plan.stop_at && !context_.interrupted && context_.stop_reason.empty()) {
    const auto batch = loader.next();
    if (!batch) break;  // the epoch's end
    ++at.batch_in_epoch;
    // Every sample of this batch failed to load (counted in the data set's report): no step. In a distributed run a
    // process's share may be empty alone; then no process steps, so that they stay in step with each other.
    if (any_process(batch->size() == 0, "the check for an empty batch")) continue;
    context_.batch = &*batch;
    for_each_hook([&](Hook& h) { h.before_step(context_); });
    context_.step = step_(*batch);
    for_each_hook([&](Hook& h) { h.after_step(context_); });
    context_.batch = nullptr;
    ++at.iteration;
    agree_on_stop(context_.stops_on_signal && stop_requested());
  }
  context_.epoch_finished = at.batch_in_epoch >= context_.plan.iters_per_epoch;
  if (context_.epoch_finished) ++at.epoch, at.batch_in_epoch = 0;
  loader.stop();  // no batches of the next epoch are prepared while the epoch's hooks run (evaluation)
}

bool TrainLoop::any_process(bool flag, const std::string& what) const {
  const auto& communicator = context_.communicator;
  return communicator && !communicator->alone() ? communicator->any(flag, what) : flag;
}

void TrainLoop::agree_on_stop(bool signal) {
  const auto& communicator = context_.communicator;
  if (!communicator || communicator->alone()) {
    context_.interrupted = context_.interrupted || signal;
    return;
  }
  // A signal may reach one process only, or the processes a step apart; a hook's request (early stopping) is taken
  // in rank 0 alone. Each process stops when any one asks, after the same step.
  const auto asked = communicator->sum(std::vector<double>{signal ? 1.0 : 0.0, context_.stop_reason.empty() ? 0.0 : 1.0}, "the stop decision");
  context_.interrupted = context_.interrupted || asked[0] > 0;
  if (asked[1] > 0) context_.request_stop("rank 0 ended the run");
}

void TrainLoop::share_batch_norm_statistics() {
  const auto& communicator = context_.communicator;
  if (!communicator || communicator->alone()) return;
  // Each process's BatchNorm layers saw only its share of each batch: rank 0's running statistics (what its
  // checkpoint holds) become every process's, so that evaluation and a later resume agree.
  auto buffers = context_.model->buffers();
  if (!buffers.empty()) communicator->broadcast(buffers, "the BatchNorm statistics");
}

void TrainLoop::restore(const LoopPosition& position, const std::map<std::string, std::string>& hook_states) {
  context_.position = position;
  for (auto& hook : hooks_)
    if (const auto it = hook_states.find(hook->name()); it != hook_states.end()) hook->load_state(it->second);
}

std::map<std::string, std::string> TrainLoop::hook_states() const {
  std::map<std::string, std::string> out;
  for (const auto& hook : hooks_)
    if (auto s = hook->state(); !s.empty()) out[hook->name()] = std::move(s);
  return out;
}

}  // namespace ssd::engine
