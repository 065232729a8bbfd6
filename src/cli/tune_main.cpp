// ssd-tune: successive halving / Hyperband over a search space of config keys; real, shortened training runs.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/common.h"
#include "ssd/builder/data.h"
#include "ssd/runtime/runtime.h"
#include "ssd/engine/loop.h"
#include "ssd/tune/tuner.h"
#include "ssd/util/error.h"

int main(int argc, char** argv) {
  CLI::App app{
      "ssd-tune: tune hyper-parameters (LR0, warm-up, schedule, optimizer, momentum, weight decay, batch size, any\n"
      "config key) by successive halving: every trial is a real, shortened training run in its own directory; at each\n"
      "rung the best 1/eta continue from their checkpoints. Every cut says whether it stands above the noise of its\n"
      "figure, and the tuning ends with a verdict: the best trial against the config as given, which is trial 0\n"
      "of the search and goes on until the reported figure (monitor auto: the mAP, once it has moved) beats it\n"
      "beyond its noise.\n"
      "Writes leaderboard.csv, leaderboard.png and best.yaml (the config as given when the search did not beat it).\n"
      "Run the same command again to resume an interrupted tuning.\n\n"
      "Example:\n"
      "  ssd-tune --config configs/shapes.yaml --space configs/tune_shapes.yaml --out runs/tune\n\n"
      "Search space file:\n"
      "  method: successive_halving     # or hyperband\n"
      "  trials: 9                      # successive halving: trials started\n"
      "  min_epochs: 1                  # first rung's budget; x eta per rung\n"
      "  max_epochs: 9                  # the largest budget (Hyperband's R)\n"
      "  schedule_epochs: 0             # the run every trial's schedule is planned for (0 = max_epochs);\n"
      "                                 # a rung trains its first part, not a compressed schedule\n"
      "  eta: 3\n"
      "  monitor: auto                  # auto: val/mAP once it has moved (map_floor) and separates the trials\n"
      "                                 # beyond its noise, else val/loss (early rungs); or val/mAP, val/mAP07, val/loss\n"
      "  map_floor: 0.05                # auto: the mAP the last trial kept must reach before the mAP ranks\n"
      "  confidence: 0.9                # a cut is above the noise when the last trial kept beats the first\n"
      "                                 # one cut in this share of bootstrap resamples of the validation images\n"
      "  bootstrap: 200                 # resamples per validation (0: noise not measured)\n"
      "  undecided: defer               # a cut no figure decides: defer (all go on to the next rung) or cut\n"
      "  baseline: search               # the verdict's reference, the config as given: search (trial 0, cut only\n"
      "                                 # when the reported figure beats it beyond its noise), train (apart, to\n"
      "                                 # the best's budget), none, or the run directory of an existing run of it\n"
      "  seed: 0\n"
      "  lr_from_range_test: false      # true: solver.lr in [recommended / 10, recommended x 3] from --find-lr\n"
      "  space:\n"
      "    solver.lr: loguniform(1e-4, 1e-2)\n"
      "    schedule.warmup.iters: int(0, 300)\n"
      "    schedule.name: choice([multistep, cosine])\n"
      "    solver.optimizer: grid([sgd, adamw])     # grid: trial i takes entry i mod n",
      "ssd-tune"};
  ssd::cli::CommonOptions common;
  ssd::cli::add_config_options(app, common, /*with_config_file=*/true);
  ssd::cli::add_reference_options(app, common);
  std::string space_path, out = "runs/tune";
  app.add_option("--space", space_path, "Search space YAML (see above)");
  app.add_option("--out", out, "Tuning directory: tuner.json (state), trial_NNN/ run directories, leaderboard, best.yaml")
      ->capture_default_str();
  return ssd::cli::run_tool("ssd-tune", app, argc, argv, [&] {
    if (ssd::cli::handle_reference_flags(common)) return 0;
    auto config = ssd::cli::load_config(common);
    if (ssd::cli::handle_print_config(common, config)) return 0;
    if (space_path.empty()) throw ssd::ConfigError("give --space SPACE.yaml, the search space");
    const auto space = ssd::tune::load_search_space(space_path);
    c10::Device device(c10::kCPU);
    spdlog::info("{}", ssd::runtime::apply_runtime(config.runtime, &device));
    // The training set's size gives each trial's warm-up in epochs (the first rung must end after it).
    const auto train_images = static_cast<int64_t>(ssd::builder::train_set(config)->size());
    ssd::engine::install_stop_signal_handlers();
    const auto result = ssd::tune::tune(config, space, out, device, {}, train_images);
    if (result.interrupted) {
      spdlog::warn("tuning interrupted: the state is in {}/tuner.json; run the same command to continue", out);
      return static_cast<int>(ssd::kExitInterrupted);
    }
    std::cout << "cuts:\n";
    for (const auto& line : result.decisions) std::cout << "  " << line << "\n";
    std::cout << "leaderboard (" << space.reported() << "):\n";
    for (size_t rank = 0; rank < result.ranking.size() && rank < 10; ++rank) {
      const auto& t = result.trials[result.ranking[rank]];
      std::cout << "  #" << rank + 1 << " trial " << t.id << ": " << (t.results.empty() ? NAN : t.results.back().value(space.reported())) << " at "
                << ssd::tune::epochs_trained(t) << " epochs; " << (t.given ? "the config as given" : ssd::tune::describe_params(t.params)) << "\n";
    }
    if (result.verdict)
      for (const auto& line : result.verdict->lines) std::cout << line << "\n";
    std::cout << "wrote " << result.leaderboard_csv << ", " << result.leaderboard_png << " and " << result.best_config << "\n";
    return 0;
  });
}
