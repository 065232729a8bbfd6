#include "ssd/tune/tuner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "ssd/config/load.h"
#include "ssd/engine/trainer.h"
#include "ssd/range_test/runner.h"
#include "ssd/tune/lr_race.h"
#include "ssd/tune/rung_hook.h"
#include "ssd/util/csv.h"
#include "ssd/util/error.h"
#include "ssd/util/plot.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace ssd::tune {

namespace {

std::string describe(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string text;
  for (const auto& [key, value] : params) text += (text.empty() ? "" : ", ") + key + "=" + value;
  return text;
}

// The tuner's memory: trials, their parameters and every rung result. Rewritten atomically after each trial.
void save_state(const std::string& path, const std::vector<Trial>& trials) {
  nlohmann::json j;
  j["trials"] = nlohmann::json::array();
  for (const auto& t : trials) {
    nlohmann::json jt{{"id", t.id}, {"bracket", t.bracket}, {"run_dir", t.run_dir}, {"failure", t.failure}};
    for (const auto& [k, v] : t.params) jt["params"].push_back({k, v});
    jt["results"] = nlohmann::json::array();
    for (const auto& r : t.results) jt["results"].push_back({r.epochs, std::isfinite(r.metric) ? nlohmann::json(r.metric) : nlohmann::json()});
    j["trials"].push_back(jt);
  }
  util::write_text_file(path, j.dump(1) + "\n");
}

std::vector<Trial> load_state(const std::string& path) {
  std::ifstream in(path);
  std::vector<Trial> trials;
  try {
    const auto j = nlohmann::json::parse(in);
    for (const auto& jt : j.at("trials")) {
      Trial t;
      t.id = jt.at("id"), t.bracket = jt.at("bracket"), t.run_dir = jt.at("run_dir"), t.failure = jt.value("failure", "");
      if (jt.contains("params"))
        for (const auto& p : jt["params"]) t.params.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
      for (const auto& r : jt.at("results")) t.results.push_back({r[0].get<double>(), r[1].is_null() ? NAN : r[1].get<double>()});
      trials.push_back(t);
    }
  } catch (const std::exception& e) {
    throw ConfigError(path + ": not a readable tuner state (" + std::string(e.what()) + "); remove it to start over");
  }
  return trials;
}

}  // namespace

int64_t whole_epochs(double epochs) { return std::max<int64_t>(1, std::llround(epochs)); }

config::Config trial_config(const config::Config& base, const Trial& trial, double budget, double schedule_epochs) {
  std::vector<std::string> overrides;
  for (const auto& [k, v] : trial.params) overrides.push_back(k + "=" + v);
  overrides.push_back("train.run_dir=" + trial.run_dir);
  overrides.push_back("train.epochs=" + std::to_string(std::max(whole_epochs(schedule_epochs), whole_epochs(budget))));
  overrides.push_back("train.stop_epoch=" + std::to_string(whole_epochs(budget)));
  overrides.push_back("train.eval_period=0");        // one validation, at the end of the rung
  overrides.push_back("early_stop.patience=0");      // the tuner decides who stops
  return config::load_config_text(config::to_yaml(base), "tuner trial " + std::to_string(trial.id), overrides);
}

std::vector<Bracket> plan_brackets(const SearchSpace& space) {
  const double r = space.min_epochs, R = space.max_epochs, eta = space.eta;
  std::vector<Bracket> brackets;
  if (space.method == "hyperband") {
    const auto s_max = static_cast<int64_t>(std::floor(std::log(R / r) / std::log(eta) + 1e-9));
    for (int64_t s = s_max; s >= 0; --s)
      brackets.push_back({static_cast<int64_t>(std::ceil(static_cast<double>(s_max + 1) / static_cast<double>(s + 1) * std::pow(eta, s))),
                          R * std::pow(eta, -static_cast<double>(s)), s + 1});
    return brackets;
  }
  int64_t rungs = 1;
  while (r * std::pow(eta, rungs) <= R + 1e-9 && std::floor(space.trials / std::pow(eta, rungs)) >= 1) ++rungs;
  brackets.push_back({space.trials, r, rungs});
  return brackets;
}

namespace {

// solver.lr's interval from a range test on the base config, when the space asks for it. False when its race was
// interrupted (SIGINT / SIGTERM; the same command resumes it).
bool lr_interval_from_range_test(const config::Config& base, SearchSpace& space, const std::string& out, c10::Device device) {
  for (auto& d : space.params) {
    if (d.key != "solver.lr") continue;
    auto probe = base;
    probe.train.run_dir = (fs::path(out) / "range_test").string();
    const auto report = range_test::run(probe, device, 1);
    auto centre = report.recommended;
    // With range_test.race set, the picks are raced as ssd-train --range-test --race races them.
    if (race_wanted(probe.range_test, report.picks)) {
      const auto race = race_lr(probe, race_candidates(report.picks), device, report.iters_per_epoch);
      if (race.interrupted) return false;
      if (race.decided) centre = {"race", race.candidates[race.winner].lr, -1};
    }
    d.kind = "loguniform", d.lo = centre.lr / 10, d.hi = centre.lr * 3;
    spdlog::info("tuner: solver.lr interval from the range test ({} {:.3g}): loguniform({:.3g}, {:.3g})", centre.rule, centre.lr, d.lo, d.hi);
  }
  return true;
}

// Trial `id` of bracket b, its parameters drawn (also when resuming: the same stream gives the same trials).
Trial draw_trial(const SearchSpace& space, int64_t id, int64_t bracket, const std::string& out, std::mt19937_64& rng) {
  Trial t;
  t.id = id;
  t.bracket = bracket;
  for (const auto& d : space.params) t.params.emplace_back(d.key, d.sample(rng, id));
  char dir[32];
  std::snprintf(dir, sizeof(dir), "trial_%03lld", static_cast<long long>(id));
  t.run_dir = (fs::path(out) / dir).string();
  return t;
}

// Trains trial t up to `budget` epochs (continuing its own checkpoint) and records its metric there. False when the
// run was interrupted (SIGINT / SIGTERM).
bool run_trial(const config::Config& base, const SearchSpace& space, Trial& t, double budget, c10::Device device,
               const TrialRunner& runner) {
  const auto config = trial_config(base, t, budget, space.schedule_epochs > 0 ? space.schedule_epochs : space.max_epochs);
  TrialRun run;
  try {
    run = runner(config, space.monitor, device);
  } catch (const ConfigError&) {
    throw;  // bad config, data or checkpoint: the user's to fix, for every trial alike
  } catch (const DataError&) {
    throw;
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::runtime_error& e) {
    t.failure = e.what();  // e.g. a diverged loss: this trial ranks last, the others go on
    spdlog::warn("tuner: trial {} failed: {}", t.id, t.failure);
  }
  if (run.interrupted) return false;  // the trial wrote last.pt; the same command continues
  t.results.push_back({budget, t.failure.empty() ? run.metric : NAN});
  spdlog::info("tuner: trial {} ({}) at {} epochs: {} {:.4f}", t.id, describe(t.params), whole_epochs(budget), space.monitor,
               t.results.back().metric);
  return true;
}

// true when metric a ranks below b; NaN ranks last.
bool ranks_below(double a, double b, bool maximise) {
  if (std::isnan(a)) return !std::isnan(b);
  if (std::isnan(b)) return false;
  return maximise ? a < b : a > b;
}

double metric_at(const Trial& t, double budget) {
  for (const auto& x : t.results)
    if (whole_epochs(x.epochs) == whole_epochs(budget)) return x.metric;
  return std::numeric_limits<double>::quiet_NaN();
}

// Runs one bracket's rungs over `alive` (trial indices); false when interrupted.
bool run_bracket(const config::Config& base, const SearchSpace& space, const Bracket& plan, size_t b, size_t brackets,
                 std::vector<Trial>& trials, std::vector<size_t> alive, const std::string& state_path, c10::Device device,
                 const TrialRunner& runner) {
  for (int64_t k = 0; k < plan.rungs && !alive.empty(); ++k) {
    const double budget = plan.first_budget * std::pow(space.eta, static_cast<double>(k));
    spdlog::info("tuner: bracket {}/{}, rung {}/{}: {} trials x {} epochs", b + 1, brackets, k + 1, plan.rungs, alive.size(),
                 whole_epochs(budget));
    for (size_t idx : alive) {
      auto& t = trials[idx];
      const bool done = std::any_of(t.results.begin(), t.results.end(), [&](const RungResult& x) { return whole_epochs(x.epochs) == whole_epochs(budget); });
      if (done || !t.failure.empty()) continue;  // done before a resume, or failed
      const bool finished = run_trial(base, space, t, budget, device, runner);
      save_state(state_path, trials);
      if (!finished) return false;
    }
    if (k + 1 == plan.rungs) break;
    std::stable_sort(alive.begin(), alive.end(),
                     [&](size_t a, size_t c) { return ranks_below(metric_at(trials[c], budget), metric_at(trials[a], budget), space.maximise()); });
    alive.resize(std::min(std::max<size_t>(1, static_cast<size_t>(std::floor(static_cast<double>(alive.size()) / space.eta))), alive.size()));
  }
  return true;
}

RungResult final_of(const Trial& t) { return t.results.empty() ? RungResult{0, NAN} : t.results.back(); }

// The leaderboard (by the largest budget reached, then by the metric there) as CSV and chart, and best.yaml.
void write_leaderboard(const config::Config& base, const SearchSpace& space, const std::string& out, TuneResult& result) {
  const auto& trials = result.trials;
  for (size_t i = 0; i < trials.size(); ++i) result.ranking.push_back(i);
  std::stable_sort(result.ranking.begin(), result.ranking.end(), [&](size_t a, size_t c) {
    const auto fa = final_of(trials[a]), fc = final_of(trials[c]);
    if (whole_epochs(fa.epochs) != whole_epochs(fc.epochs)) return fa.epochs > fc.epochs;
    return ranks_below(fc.metric, fa.metric, space.maximise());
  });
  result.leaderboard_csv = (fs::path(out) / "leaderboard.csv").string();
  std::ostringstream csv;
  csv << "rank,trial,bracket,epochs," << space.monitor;
  for (const auto& d : space.params) csv << "," << d.key;
  csv << ",run_dir,failure\n";
  for (size_t rank = 0; rank < result.ranking.size(); ++rank) {
    const auto& t = trials[result.ranking[rank]];
    const auto f = final_of(t);
    csv << rank + 1 << "," << t.id << "," << t.bracket << "," << whole_epochs(f.epochs) << "," << f.metric;
    for (const auto& [k, v] : t.params) csv << "," << v;
    csv << "," << t.run_dir << "," << util::csv_quoted(t.failure) << "\n";
  }
  util::write_text_file(result.leaderboard_csv, csv.str());
  util::Panel panel;
  panel.title = space.monitor + " per trial against its training budget (successive halving)";
  panel.x_label = "epochs";
  for (size_t rank = 0; rank < result.ranking.size() && rank < 12; ++rank) {
    const auto& t = trials[result.ranking[rank]];
    util::Series series{"#" + std::to_string(rank + 1) + " trial " + std::to_string(t.id), {}, {}};
    for (const auto& x : t.results) series.x.push_back(static_cast<double>(whole_epochs(x.epochs))), series.y.push_back(x.metric);
    panel.series.push_back(series);
  }
  result.leaderboard_png = (fs::path(out) / "leaderboard.png").string();
  util::save_chart(result.leaderboard_png, {panel}, 900, 420);
  result.best_config = (fs::path(out) / "best.yaml").string();
  const auto& best = trials[result.ranking.front()];
  std::vector<std::string> overrides;
  for (const auto& [k, v] : best.params) overrides.push_back(k + "=" + v);
  const auto config = config::load_config_text(config::to_yaml(base), "tuner best", overrides);
  std::ostringstream best_yaml;
  best_yaml << "# ssd-tune: best trial " << best.id << " (" << space.monitor << " " << final_of(best).metric << " at "
            << whole_epochs(final_of(best).epochs) << " epochs)\n"
            << config::to_yaml(config);
  util::write_text_file(result.best_config, best_yaml.str());
}

}  // namespace

TrialRun train_trial(const config::Config& config, const std::string& monitor, c10::Device device) {
  const bool has_checkpoint = fs::exists(fs::path(config.train.run_dir) / "last.pt");
  auto rung = std::make_shared<RungHook>(monitor);
  engine::Trainer trainer(config, device, has_checkpoint ? config.train.run_dir : "");
  trainer.add_hook(rung);
  const auto run = trainer.run();
  return {rung->metric(), run.interrupted};
}

TuneResult tune(const config::Config& base, const SearchSpace& input_space, const std::string& out, c10::Device device,
                const TrialRunner& given_runner) {
  const TrialRunner runner = given_runner ? given_runner : TrialRunner(train_trial);
  fs::create_directories(out);
  SearchSpace space = input_space;
  const std::string state_path = (fs::path(out) / "tuner.json").string();
  const bool resuming = fs::exists(state_path);
  if (space.lr_from_range_test && !resuming && !lr_interval_from_range_test(base, space, out, device)) {
    TuneResult interrupted;
    interrupted.interrupted = true;
    return interrupted;
  }
  const auto brackets = plan_brackets(space);
  std::vector<Trial> trials;
  if (resuming) {
    trials = load_state(state_path);
    spdlog::info("tuner: resuming {} ({} trials known)", state_path, trials.size());
  }
  std::mt19937_64 rng(static_cast<uint64_t>(space.seed));
  int64_t next_id = 0;
  TuneResult result;
  for (size_t b = 0; b < brackets.size(); ++b) {
    std::vector<size_t> alive;
    for (int64_t i = 0; i < brackets[b].trials; ++i) {
      Trial fresh = draw_trial(space, next_id++, static_cast<int64_t>(b), out, rng);
      if (static_cast<size_t>(fresh.id) >= trials.size()) trials.push_back(fresh);
      // (solver.lr's interval from a range test is not recomputed on a resume: the stored draws stand for it.)
      else if (!space.lr_from_range_test && trials[static_cast<size_t>(fresh.id)].params != fresh.params)
        throw ConfigError(state_path + ": trial " + std::to_string(fresh.id) + " was drawn with other parameters than this search "
                          "space and seed give (" + describe(trials[static_cast<size_t>(fresh.id)].params) + ", now " +
                          describe(fresh.params) + "); remove " + out + " to start over, or tune into another folder");
      alive.push_back(static_cast<size_t>(fresh.id));
    }
    if (!run_bracket(base, space, brackets[b], b, brackets.size(), trials, alive, state_path, device, runner)) {
      result.trials = trials;
      result.interrupted = true;
      return result;
    }
  }
  result.trials = trials;
  write_leaderboard(base, space, out, result);
  return result;
}

}  // namespace ssd::tune
