#include "ssd/tune/tuner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ssd/config/load.h"
#include "ssd/data/loader.h"
#include "ssd/engine/trainer.h"
#include "ssd/eval/bootstrap.h"
#include "ssd/lr/schedule.h"
#include "ssd/range_test/runner.h"
#include "ssd/tune/lr_race.h"
#include "ssd/tune/rung_cut.h"
#include "ssd/tune/rung_hook.h"
#include "ssd/util/csv.h"
#include "ssd/util/error.h"
#include "ssd/util/percent.h"
#include "ssd/util/plot.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace ssd::tune {

namespace {

nlohmann::json trial_json(const Trial& t) {
  const auto number = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); };
  nlohmann::json jt{{"id", t.id}, {"bracket", t.bracket}, {"run_dir", t.run_dir}, {"failure", t.failure}, {"seconds", t.seconds}};
  if (t.given) jt["given"] = true;
  for (const auto& [k, v] : t.params) jt["params"].push_back({k, v});
  jt["results"] = nlohmann::json::array();
  for (const auto& r : t.results) {
    nlohmann::json measures = nlohmann::json::object();
    for (const auto& [name, m] : r.measures) {
      nlohmann::json replicates = nlohmann::json::array();
      for (const double x : m.replicates) replicates.push_back(number(x));
      measures[name] = {{"value", number(m.value)}, {"replicates", replicates}};
    }
    jt["results"].push_back({r.epochs, measures});
  }
  return jt;
}

// A stored trial. `reported` names the figure of a result stored as [epochs, figure] (a state from before every
// validation figure was kept with its resamples).
Trial trial_from_json(const nlohmann::json& jt, const std::string& reported) {
  const auto number = [](const nlohmann::json& x) { return x.is_null() ? NAN : x.get<double>(); };
  Trial t;
  t.id = jt.at("id"), t.bracket = jt.at("bracket"), t.run_dir = jt.at("run_dir"), t.failure = jt.value("failure", "");
  t.seconds = jt.value("seconds", 0.0);
  t.given = jt.value("given", false);
  if (jt.contains("params"))
    for (const auto& p : jt["params"]) t.params.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
  for (const auto& jr : jt.at("results")) {
    RungResult r{jr[0].get<double>(), {}};
    const auto& stored = jr.back();
    if (!stored.is_object()) {
      if (!stored.is_null()) r.measures[reported].value = stored.get<double>();
    } else
      for (const auto& [name, jm] : stored.items()) {
        auto& m = r.measures[name];
        m.value = number(jm.at("value"));
        for (const auto& x : jm.at("replicates")) m.replicates.push_back(number(x));
      }
    t.results.push_back(r);
  }
  return t;
}

// What decides the cuts and budgets: a resumed tuning must decide as the one it continues.
nlohmann::json decision_settings(const SearchSpace& space) {
  nlohmann::json j = {{"method", space.method},     {"min_epochs", space.min_epochs}, {"max_epochs", space.max_epochs},
          {"schedule_epochs", space.schedule_epochs}, {"eta", space.eta}, {"monitor", space.monitor},
          {"mode", space.mode},         {"confidence", space.confidence}, {"map_floor", space.map_floor}, {"bootstrap", space.bootstrap},
          {"undecided", space.undecided}, {"given_in_search", space.given_in_search()}};
  if (space.rungs != "continue") j["rungs"] = space.rungs;  // (absent from tunings stored before it could be set)
  return j;
}

// The tuner's memory: what decides, the trials, their parameters, every rung result and the baseline's. Rewritten
// atomically after each training.
void save_state(const std::string& path, const SearchSpace& space, const std::vector<Trial>& trials, const std::optional<Trial>& baseline) {
  nlohmann::json j;
  j["decided_by"] = decision_settings(space);
  j["trials"] = nlohmann::json::array();
  for (const auto& t : trials) j["trials"].push_back(trial_json(t));
  if (baseline) j["baseline"] = trial_json(*baseline);
  util::write_text_file(path, j.dump(1) + "\n");
}

// The trials and baseline of a stored tuning; ConfigError when it was decided by other settings than `space`'s.
std::vector<Trial> load_state(const std::string& path, const SearchSpace& space, std::optional<Trial>& baseline) {
  std::ifstream in(path);
  std::vector<Trial> trials;
  nlohmann::json stored;
  try {
    const auto j = nlohmann::json::parse(in);
    for (const auto& jt : j.at("trials")) trials.push_back(trial_from_json(jt, space.reported()));
    if (j.contains("baseline")) baseline = trial_from_json(j["baseline"], space.reported());
    stored = j.value("decided_by", nlohmann::json());
  } catch (const std::exception& e) {
    throw ConfigError(path + ": not a readable tuner state (" + std::string(e.what()) + "); remove it to start over");
  }
  const auto now = decision_settings(space);
  // (A state from before the config as given could be a trial did not have it among its trials.)
  if (stored.is_object() && stored.value("given_in_search", false) != space.given_in_search())
    throw ConfigError(path + ": the tuning there was made " + (space.given_in_search() ? "without" : "with") + " the config as given "
                      "among its trials (baseline: search, the default since it was added); set baseline: " +
                      (space.given_in_search() ? "train" : "search") + " in the search space to resume it, or tune into another folder");
  // (rungs is stored only when not continue, the one kind before it could be set)
  if (stored.is_object() && stored.value("rungs", "continue") != space.rungs)
    throw ConfigError(path + ": the tuning there trained its rungs as " + stored.value("rungs", "continue") + ", now " + space.rungs +
                      "; remove the folder to start over, or tune into another one");
  for (const auto& [key, value] : now.items())
    if (stored.contains(key) && stored[key] != value)
      throw ConfigError(path + ": the tuning there was decided with " + key + " " + stored[key].dump() + ", the search space now says " +
                        value.dump() + "; remove the folder to start over, or tune into another one");
  return trials;
}

}  // namespace

config::Config trial_config(const config::Config& base, const Trial& trial, double budget, double schedule_epochs,
                            bool whole_schedule) {
  std::vector<std::string> overrides;
  for (const auto& [k, v] : trial.params) overrides.push_back(k + "=" + v);
  const auto epochs = whole_epochs(budget);
  if (whole_schedule) {
    overrides.push_back("train.run_dir=" + (fs::path(trial.run_dir) / ("rung_" + std::to_string(epochs))).string());
    overrides.push_back("train.epochs=" + std::to_string(epochs));
  } else {
    overrides.push_back("train.run_dir=" + trial.run_dir);
    overrides.push_back("train.epochs=" + std::to_string(std::max(whole_epochs(schedule_epochs), epochs)));
  }
  overrides.push_back("train.stop_epoch=" + std::to_string(epochs));
  overrides.push_back("train.eval_period=0");        // one validation, at the end of the rung
  overrides.push_back("early_stop.patience=0");      // the tuner decides who stops
  return config::load_config_text(config::to_yaml(base), "tuner trial " + std::to_string(trial.id), overrides);
}

std::vector<size_t> planned_survivors(size_t trials, double eta, int64_t rungs) {
  std::vector<size_t> planned{trials};
  for (int64_t k = 1; k < rungs; ++k)
    planned.push_back(std::max<size_t>(1, static_cast<size_t>(std::floor(static_cast<double>(planned.back()) / eta))));
  return planned;
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

double first_rung_after_warmup(const config::Config& base, const std::vector<Trial>& trials, double first, double most,
                               int64_t train_images) {
  if (train_images <= 0) return first;
  double needed = first;
  for (const auto& t : trials) {
    const auto c = trial_config(base, t, first, first);  // (its batch size and warm-up: the run's length does not matter)
    const int64_t iters_per_epoch = data::batches_per_epoch(train_images, c.train.batch_size, /*drop_last=*/true);
    if (iters_per_epoch <= 0) continue;
    const double warmup = static_cast<double>(lr::warmup_iters(c.schedule, iters_per_epoch)) / static_cast<double>(iters_per_epoch);
    if (warmup > 0 && first < warmup + 1) needed = std::max(needed, std::ceil(warmup) + 1);
  }
  return std::min(needed, std::max(first, most));
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
      const auto race = race_lr(probe, race_candidates(report.picks), device, {report.iters_per_epoch, report.seconds_per_iter});
      if (race.interrupted) return false;
      if (race.decided) centre = {"race", race.candidates[race.winner].lr, -1};
    }
    d.kind = "loguniform", d.lo = centre.lr / 10, d.hi = centre.lr * 3;
    spdlog::info("tuner: solver.lr interval from the range test ({} {:.3g}): loguniform({:.3g}, {:.3g})", centre.rule, centre.lr, d.lo, d.hi);
  }
  return true;
}

// <out>/trial_NNN, the run directory of trial `id`.
std::string trial_dir(const std::string& out, int64_t id) {
  char dir[32];
  std::snprintf(dir, sizeof(dir), "trial_%03lld", static_cast<long long>(id));
  return (fs::path(out) / dir).string();
}

// Trial `id` of bracket b, its parameters drawn (also when resuming: the same stream gives the same trials). A grid
// takes its entries in the order of the drawn trials (the config as given, trial 0 with baseline search, is none).
Trial draw_trial(const SearchSpace& space, int64_t id, int64_t bracket, const std::string& out, std::mt19937_64& rng) {
  Trial t;
  t.id = id;
  t.bracket = bracket;
  const int64_t drawn = space.given_in_search() ? id - 1 : id;
  for (const auto& d : space.params) t.params.emplace_back(d.key, d.sample(rng, drawn));
  t.run_dir = trial_dir(out, id);
  return t;
}

double schedule_epochs_of(const SearchSpace& space) { return space.schedule_epochs > 0 ? space.schedule_epochs : space.max_epochs; }

std::string who(const Trial& t) { return t.id < 0 ? std::string("the config as given") : describe_trial(t); }

// The config as given as trial `id` of the search (baseline: search): no parameters of its own.
Trial given_trial(int64_t id, int64_t bracket, const std::string& out) {
  Trial t;
  t.id = id;
  t.bracket = bracket;
  t.given = true;
  t.run_dir = trial_dir(out, id);
  return t;
}

// Trains trial t up to `budget` epochs (continuing its own checkpoint) and records its figures there. False when the
// run was interrupted (SIGINT / SIGTERM).
bool run_trial(const config::Config& base, const SearchSpace& space, Trial& t, double budget, c10::Device device,
               const TrialRunner& runner) {
  const auto config = trial_config(base, t, budget, schedule_epochs_of(space), space.rungs == "restart");
  TrialRun run;
  const auto started = std::chrono::steady_clock::now();
  try {
    run = runner(config, space, device);
  } catch (const ConfigError&) {
    throw;  // bad config, data or checkpoint: the user's to fix, for every trial alike
  } catch (const DataError&) {
    throw;
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::runtime_error& e) {
    t.failure = e.what();  // e.g. a diverged loss: this trial ranks last, the others go on
    spdlog::warn("tuner: {} failed: {}", who(t), t.failure);
  }
  t.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (run.interrupted) return false;  // the trial wrote last.pt; the same command continues
  RungResult r{budget, {}};
  if (t.failure.empty()) {
    r.measures = run.measures;
    if (r.measures.empty() && !std::isnan(run.metric)) r.measures[space.reported()].value = run.metric;  // a runner that gave only it
  }
  t.results.push_back(r);
  std::string figures;
  for (const auto& signal : space.signals()) {
    const auto m = measure_at(t, budget, signal);
    const double se = eval::standard_error(m.replicates);
    figures += fmt::format("{}{} {:.4f}{}", figures.empty() ? "" : ", ", signal, m.value, std::isnan(se) ? "" : fmt::format(" (+-{:.2g})", se));
  }
  spdlog::info("tuner: {} at {} epochs: {}", who(t), whole_epochs(budget), figures);
  return true;
}

// The budgets of a bracket's rungs: the plan's, the first lengthened past the warm-ups of its trials (and every later
// one at least as long), none beyond the bracket's largest budget.
std::vector<double> rung_budgets(const config::Config& base, const SearchSpace& space, const Bracket& plan, const std::vector<Trial>& trials,
                                 const std::vector<size_t>& alive, int64_t train_images) {
  std::vector<Trial> first_rung;
  for (size_t idx : alive) first_rung.push_back(trials[idx]);
  const double last = plan.first_budget * std::pow(space.eta, static_cast<double>(plan.rungs - 1));
  const double needed = first_rung_after_warmup(base, first_rung, plan.first_budget, std::numeric_limits<double>::max(), train_images);
  const double first = std::min(needed, std::max(last, plan.first_budget));
  std::vector<double> budgets;
  for (int64_t k = 0; k < plan.rungs; ++k) budgets.push_back(std::max(plan.first_budget * std::pow(space.eta, static_cast<double>(k)), first));
  if (first > plan.first_budget) {
    const auto merged = std::count_if(budgets.begin(), budgets.end(), [&](double x) { return whole_epochs(x) == whole_epochs(first); });
    spdlog::info("tuner: the first rung lengthened from {} to {} epochs, to end an epoch after the longest warm-up of its trials: "
                 "none is judged before its LR has reached LR0{}", whole_epochs(plan.first_budget), whole_epochs(first),
                 merged == plan.rungs ? fmt::format(" (all {} rungs are that one rung: no trial is cut, every one trains to it)", merged)
                 : merged > 1         ? fmt::format(" (rungs 1 to {} are that one rung, and its cut keeps what theirs would have)", merged)
                                      : "");
  }
  if (needed > first)
    spdlog::warn("tuner: a warm-up of the first rung's trials lasts past the bracket's largest budget ({} epochs): those trials are "
                 "judged inside their warm-up; shorten schedule.warmup in the space or raise max_epochs", whole_epochs(last));
  return budgets;
}

// Runs one bracket's rungs over `alive` (trial indices); false when interrupted.
bool run_bracket(const config::Config& base, const SearchSpace& space, const Bracket& plan, size_t b, size_t brackets,
                 std::vector<Trial>& trials, std::vector<size_t> alive, const std::optional<Trial>& baseline,
                 const std::string& state_path, c10::Device device, const TrialRunner& runner, int64_t train_images,
                 std::vector<std::string>& decisions) {
  const auto budgets = rung_budgets(base, space, plan, trials, alive, train_images);
  const auto planned = planned_survivors(alive.size(), space.eta, plan.rungs);
  for (int64_t k = 0; k < plan.rungs && !alive.empty(); ++k) {
    const double budget = budgets[static_cast<size_t>(k)];
    if (k == 0 || whole_epochs(budgets[static_cast<size_t>(k) - 1]) != whole_epochs(budget)) {  // (a merged rung: trained)
      spdlog::info("tuner: bracket {}/{}, rung {}/{}: {} trials x {} epochs", b + 1, brackets, k + 1, plan.rungs, alive.size(),
                   whole_epochs(budget));
      for (size_t idx : alive) {
        auto& t = trials[idx];
        if (result_at(t, budget) || !t.failure.empty()) continue;  // done before a resume, or failed
        const bool finished = run_trial(base, space, t, budget, device, runner);
        save_state(state_path, space, trials, baseline);
        if (!finished) return false;
      }
    }
    if (k + 1 == plan.rungs) break;
    // Rungs merged by a lengthened first rung: one cut, at the last of them, down to what it keeps.
    if (whole_epochs(budgets[static_cast<size_t>(k) + 1]) == whole_epochs(budget)) continue;
    // The last cut is made whatever the noise: deferring it would train every trial left to the largest budget.
    // The config as given (baseline: search) takes no searched trial's place: it is judged beside the ones kept.
    std::vector<size_t> searched;
    std::optional<size_t> given;
    for (size_t idx : alive) {
      if (trials[idx].given)
        given = idx;
      else
        searched.push_back(idx);
    }
    const auto cut = decide_cut(trials, searched, budget, planned[static_cast<size_t>(k) + 1], space, /*may_defer=*/k + 2 < plan.rungs);
    alive.assign(cut.order.begin(), cut.order.begin() + static_cast<std::ptrdiff_t>(cut.keep));
    std::string line = cut.line;
    if (given && !alive.empty()) {
      // (against the kept trial that is worst by the reported figure, which need not be the last by the cut's)
      const auto worst = rank_by(trials, alive, budget, space.reported(), space).back();
      const auto decision = decide_config_as_given(trials[*given], trials[worst], budget, space);
      line += "; " + decision.line;
      if (decision.goes_on) alive.push_back(*given);
    } else if (given) {
      alive.push_back(*given);
    }
    decisions.push_back(fmt::format("bracket {}, rung {} ({} epochs): {}", b + 1, k + 1, whole_epochs(budget), line));
    spdlog::info("tuner: {}", decisions.back());
  }
  return true;
}

RungResult final_of(const Trial& t) { return t.results.empty() ? RungResult{} : t.results.back(); }

// The leaderboard's order: by the largest budget reached, then by the reported figure there.
std::vector<size_t> leaderboard_order(const std::vector<Trial>& trials, const SearchSpace& space) {
  std::vector<size_t> order;
  for (size_t i = 0; i < trials.size(); ++i) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t c) {
    const auto fa = final_of(trials[a]), fc = final_of(trials[c]);
    if (whole_epochs(fa.epochs) != whole_epochs(fc.epochs)) return fa.epochs > fc.epochs;
    const double ma = measure_at(trials[a], fa.epochs, space.reported()).value;
    const double mc = measure_at(trials[c], fc.epochs, space.reported()).value;
    if (std::isnan(ma) || std::isnan(mc)) return !std::isnan(ma) && std::isnan(mc);
    return space.maximise() ? ma > mc : ma < mc;
  });
  return order;
}

// The leaderboard as CSV and chart, and best.yaml: the best trial, or the config as given when the verdict says the
// search did not beat it.
void write_leaderboard(const config::Config& base, const SearchSpace& space, const std::string& out, TuneResult& result) {
  const auto& trials = result.trials;
  const auto reported = space.reported();
  result.leaderboard_csv = (fs::path(out) / "leaderboard.csv").string();
  std::ostringstream csv;
  csv << "rank,trial,bracket,epochs," << reported << "," << reported << "_se";
  for (const auto& d : space.params) csv << "," << d.key;
  csv << ",seconds,run_dir,failure\n";
  const auto row = [&](const std::string& rank, const Trial& t) {
    const auto f = final_of(t);
    const auto m = measure_at(t, f.epochs, reported);
    csv << rank << "," << (t.id < 0 ? std::string("baseline") : t.given ? std::string("given") : std::to_string(t.id)) << "," << (t.id < 0 ? std::string() : std::to_string(t.bracket))
        << "," << whole_epochs(f.epochs) << "," << m.value << "," << eval::standard_error(m.replicates);
    for (size_t i = 0; i < space.params.size(); ++i) csv << "," << (i < t.params.size() ? t.params[i].second : std::string());
    csv << "," << fmt::format("{:.0f}", t.seconds) << "," << t.run_dir << "," << util::csv_quoted(t.failure) << "\n";
  };
  for (size_t rank = 0; rank < result.ranking.size(); ++rank) row(std::to_string(rank + 1), trials[result.ranking[rank]]);
  const bool baseline_apart = result.verdict && !result.verdict->baseline.given && !result.verdict->baseline.results.empty();
  if (baseline_apart) row("", result.verdict->baseline);
  util::write_text_file(result.leaderboard_csv, csv.str());
  util::Panel panel;
  panel.title = reported + " per trial against its training budget (successive halving)";
  panel.x_label = "epochs";
  panel.y_label = reported;
  for (size_t rank = 0; rank < result.ranking.size() && rank < 12; ++rank) {
    const auto& t = trials[result.ranking[rank]];
    util::Series series{"#" + std::to_string(rank + 1) + " trial " + std::to_string(t.id) + (t.given ? " (the config as given)" : ""), {}, {}};
    for (const auto& x : t.results) series.x.push_back(static_cast<double>(whole_epochs(x.epochs))), series.y.push_back(x.value(reported));
    panel.series.push_back(series);
  }
  if (baseline_apart) {
    const auto f = final_of(result.verdict->baseline);
    panel.series.push_back({"the config as given", {static_cast<double>(whole_epochs(f.epochs))},
                            {measure_at(result.verdict->baseline, f.epochs, reported).value}});
  }
  result.leaderboard_png = (fs::path(out) / "leaderboard.png").string();
  util::save_chart(result.leaderboard_png, {panel}, 900, 420);
  result.best_config = (fs::path(out) / "best.yaml").string();
  std::ostringstream best_yaml;
  if (result.verdict && !result.verdict->beaten) {
    best_yaml << "# ssd-tune: the config as given (" << reported << " " << result.verdict->reference << " at " << result.verdict->epochs
              << " epochs): the search's best trial " << trials[result.verdict->winner].id << " did not beat it ("
              << result.verdict->search << ")\n"
              << config::to_yaml(base);
  } else {
    const auto& best = trials[result.verdict ? result.verdict->winner : result.ranking.front()];
    std::vector<std::string> overrides;
    for (const auto& [k, v] : best.params) overrides.push_back(k + "=" + v);
    const auto config = config::load_config_text(config::to_yaml(base), "tuner best", overrides);
    best_yaml << "# ssd-tune: best trial " << best.id << " (" << reported << " " << final_of(best).value(reported) << " at "
              << whole_epochs(final_of(best).epochs) << " epochs)\n"
              << config::to_yaml(config);
  }
  util::write_text_file(result.best_config, best_yaml.str());
}

}  // namespace

TrialRun train_trial(const config::Config& config, const SearchSpace& space, c10::Device device) {
  const bool has_checkpoint = fs::exists(fs::path(config.train.run_dir) / "last.pt");
  auto rung = std::make_shared<RungHook>(space.signals(), space.bootstrap);
  engine::Trainer trainer(config, device, has_checkpoint ? config.train.run_dir : "");
  trainer.add_hook(rung);
  const auto run = trainer.run();
  TrialRun result;
  result.measures = rung->measures();
  result.interrupted = run.interrupted;
  return result;
}

TuneResult tune(const config::Config& base, const SearchSpace& input_space, const std::string& out, c10::Device device,
                const TrialRunner& given_runner, int64_t train_images) {
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
  // An existing run as the verdict's reference: checked now, not after hours of trials.
  if (space.baseline != "search" && space.baseline != "train" && space.baseline != "none") baseline_from_run(space.baseline, whole_epochs(space.max_epochs));
  const auto signals = space.signals();
  for (const auto& d : space.params)
    if (d.key == "train.batch_size" && std::find(signals.begin(), signals.end(), "val/loss") != signals.end())
      spdlog::warn("tuner: train.batch_size is searched, and val/loss is a mean over batches of that size (each batch's loss is "
                   "normalised by its own matches): trials of other batch sizes compare by it only roughly; monitor val/mAP does not "
                   "depend on it");
  std::vector<Trial> trials;
  std::optional<Trial> baseline;
  if (resuming) {
    trials = load_state(state_path, space, baseline);
    spdlog::info("tuner: resuming {} ({} trials known)", state_path, trials.size());
  }
  std::mt19937_64 rng(static_cast<uint64_t>(space.seed));
  int64_t next_id = 0;
  TuneResult result;
  for (size_t b = 0; b < brackets.size(); ++b) {
    std::vector<size_t> alive;
    for (int64_t i = 0; i < brackets[b].trials; ++i) {
      // baseline: search: the first bracket's first trial is the config as given; the others are drawn.
      Trial fresh = b == 0 && i == 0 && space.given_in_search() ? given_trial(next_id++, static_cast<int64_t>(b), out)
                                                                : draw_trial(space, next_id++, static_cast<int64_t>(b), out, rng);
      if (static_cast<size_t>(fresh.id) >= trials.size()) trials.push_back(fresh);
      // (solver.lr's interval from a range test is not recomputed on a resume: the stored draws stand for it.)
      else if (trials[static_cast<size_t>(fresh.id)].given != fresh.given ||
               (!space.lr_from_range_test && trials[static_cast<size_t>(fresh.id)].params != fresh.params))
        throw ConfigError(state_path + ": trial " + std::to_string(fresh.id) + " was drawn with other parameters than this search "
                          "space and seed give (" + describe_trial(trials[static_cast<size_t>(fresh.id)]) + ", now " +
                          describe_trial(fresh) + "); remove " + out + " to start over, or tune into another folder");
      alive.push_back(static_cast<size_t>(fresh.id));
    }
    if (!run_bracket(base, space, brackets[b], b, brackets.size(), trials, alive, baseline, state_path, device, runner, train_images,
                     result.decisions)) {
      result.trials = trials;
      result.interrupted = true;
      return result;
    }
  }
  result.trials = trials;
  result.ranking = leaderboard_order(trials, space);
  // The best against the runner-up at the largest budget: is the winner's lead above the noise?
  if (result.ranking.size() > 1) {
    const auto& first = trials[result.ranking[0]];
    const auto& second = trials[result.ranking[1]];
    if (epochs_trained(first) == epochs_trained(second)) {
      const double share = agreement(first, second, static_cast<double>(epochs_trained(first)), space.reported(), space);
      result.decisions.push_back(fmt::format("the best (trial {}) against the runner-up (trial {}) at {} epochs: better by {} in {} of the "
                                             "resamples", first.id, second.id, epochs_trained(first), space.reported(),
                                             util::percent(share)));
      spdlog::info("tuner: {}", result.decisions.back());
    }
  }
  // The verdict: the config as given, trained to the best trial's budget (or an existing run of it).
  const auto winner = result.ranking.front();
  const int64_t budget = epochs_trained(trials[winner]);
  if (space.given_in_search()) {
    // The search's best is its best other trial; the config as given, cut before that trial's budget, trains on to it.
    const auto best = std::find_if(result.ranking.begin(), result.ranking.end(), [&](size_t i) { return !trials[i].given; });
    const auto given = std::find_if(trials.begin(), trials.end(), [](const Trial& t) { return t.given; });
    if (best != result.ranking.end() && given != trials.end()) {
      const size_t best_trial = *best;
      const int64_t at = epochs_trained(trials[best_trial]);
      if (!result_at(*given, static_cast<double>(at)) && given->failure.empty()) {
        spdlog::info("tuner: training the config as given (trial {}) on to {} epochs, the reference of the verdict", given->id, at);
        const bool finished = run_trial(base, space, *given, static_cast<double>(at), device, runner);
        save_state(state_path, space, trials, baseline);
        result.trials = trials;
        if (!finished) {
          result.interrupted = true;
          return result;
        }
        result.ranking = leaderboard_order(trials, space);
      }
      result.verdict = judge(trials, best_trial, *given, "trial " + std::to_string(given->id) + " of the search", space);
    }
  } else if (space.baseline == "train") {
    if (!baseline) baseline = Trial{-1, -1, {}, {}, (fs::path(out) / "baseline").string(), "", 0};
    if (!result_at(*baseline, static_cast<double>(budget))) {
      spdlog::info("tuner: training the config as given for {} epochs, the reference of the verdict (baseline: none skips it)", budget);
      const bool finished = run_trial(base, space, *baseline, static_cast<double>(budget), device, runner);
      save_state(state_path, space, trials, baseline);
      if (!finished) {
        result.interrupted = true;
        return result;
      }
    }
    result.verdict = judge(trials, winner, *baseline, "trained in " + baseline->run_dir, space);
  } else if (space.baseline != "none") {
    result.verdict = judge(trials, winner, baseline_from_run(space.baseline, budget), "the run " + space.baseline, space);
  }
  if (result.verdict)
    for (const auto& line : result.verdict->lines) spdlog::info("tuner: {}", line);
  write_leaderboard(base, space, out, result);
  return result;
}

}  // namespace ssd::tune
