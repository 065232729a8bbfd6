#include "ssd/tune/lr_race.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ssd/config/load.h"
#include "ssd/lr/schedule.h"
#include "ssd/range_test/runner.h"
#include "ssd/util/error.h"
#include "ssd/util/plot.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace ssd::tune {

namespace {

constexpr double kDisagreement = 3.0;  // the factor above which the rules are said to disagree (SPEC-LR.md)

// solver.lr on a grid of the candidates: trial i trains candidate i.
Distribution lr_grid(const std::vector<RaceCandidate>& candidates) {
  Distribution lr;
  lr.key = "solver.lr";
  lr.kind = "grid";
  for (const auto& c : candidates) lr.choices.push_back(fmt::format("{}", c.lr));  // the shortest text of the same double
  return lr;
}

}  // namespace

std::vector<RaceCandidate> race_candidates(const std::vector<range_test::Suggestion>& picks, double max_gap) {
  std::vector<RaceCandidate> sorted;
  for (const auto& p : picks) sorted.push_back({p.rule, p.lr});
  std::stable_sort(sorted.begin(), sorted.end(), [](const RaceCandidate& a, const RaceCandidate& b) { return a.lr < b.lr; });
  std::vector<RaceCandidate> joined;
  for (const auto& c : sorted) {
    if (!joined.empty() && c.lr <= joined.back().lr * 1.01) joined.back().rule += " = " + c.rule;
    else joined.push_back(c);
  }
  std::vector<RaceCandidate> out;
  for (size_t i = 0; i < joined.size(); ++i) {
    if (i > 0) {
      // Between neighbours further apart than max_gap: the fewest geometric steps that are each at most max_gap.
      const double ratio = joined[i].lr / joined[i - 1].lr;
      const auto steps = static_cast<int>(std::ceil(std::log(ratio) / std::log(max_gap) - 1e-9));
      for (int k = 1; k < steps; ++k)
        out.push_back({"midpoint", joined[i - 1].lr * std::pow(ratio, static_cast<double>(k) / steps)});
    }
    out.push_back(joined[i]);
  }
  return out;
}

double disagreement(const std::vector<range_test::Suggestion>& picks) {
  if (picks.size() < 2) return 1.0;
  const auto [lo, hi] = std::minmax_element(picks.begin(), picks.end(), [](const auto& a, const auto& b) { return a.lr < b.lr; });
  return hi->lr / lo->lr;
}

bool race_wanted(const config::RangeTestConfig& config, const std::vector<range_test::Suggestion>& picks) {
  if (race_candidates(picks).size() < 2) return false;  // one LR (or picks within 1%): nothing to race
  if (config.race == "always") return true;
  return config.race == "disagree" && disagreement(picks) > kDisagreement;
}

namespace {

// A restarted rung is meant to be the planned run shrunk, ending as the run ends with its LR come down. Durations
// given in iterations or epochs (milestones, step sizes, cycle lengths, schedule.total) do not shrink with it: when
// the rung ends at more than twice the LR the run has at the same fraction of its length, its candidates are judged
// nearer their peak than the run will leave them, and the user is told why and what to change. LRs relative to
// solver.lr (batch scaling aside), so that absolute floors such as eta_min count as they will. Advisory: a schedule
// that cannot be built for the rung is the rung's own error, raised when it trains.
void warn_unscaled_schedule(const config::Config& config, int64_t iters_per_epoch, int64_t rung_epochs) {
  const int64_t rung_total = rung_epochs * iters_per_epoch, run_total = config.train.epochs * iters_per_epoch;
  if (rung_epochs >= config.train.epochs || rung_total < 2) return;
  const double lr0 = config.solver.lr;
  double rung = 0, run = 0;
  try {
    rung = lr::make_schedule(config.schedule, {rung_total, iters_per_epoch, lr0})->lr_at(rung_total - 1, lr0) / lr0;
    const auto same_point = static_cast<int64_t>(std::llround(static_cast<double>(rung_total - 1) / static_cast<double>(rung_total) *
                                                              static_cast<double>(run_total)));
    run = lr::make_schedule(config.schedule, {run_total, iters_per_epoch, lr0})->lr_at(std::min(same_point, run_total - 1), lr0) / lr0;
  } catch (const std::exception&) {
    return;
  }
  if (rung > 2 * run)
    spdlog::warn("LR race: a restarted rung of {} epochs ends at {:.3g} x LR0, where the planned {}-epoch run is at {:.3g} x LR0: "
                 "durations of schedule.* given in iterations or epochs (milestones, step sizes, cycle lengths, schedule.total) "
                 "do not shrink with the rung, so its candidates are judged nearer their peak LR than the run will be. Give them "
                 "as fractions of the run where the schedule has them (schedule.multistep.fractions; schedule.total 0), or race "
                 "with range_test.race_rungs continue",
                 rung_epochs, rung, config.train.epochs, run);
}

// The race whose last rung trains max_epochs (see race_space); `say` logs a lengthened first rung.
SearchSpace race_ending_at(const config::Config& config, const std::vector<RaceCandidate>& candidates, int64_t iters_per_epoch,
                           double max_epochs, bool say) {
  SearchSpace space;
  space.method = "successive_halving";
  space.trials = static_cast<int64_t>(candidates.size());
  space.eta = config.range_test.race_eta;
  space.schedule_epochs = static_cast<double>(config.train.epochs);
  space.rungs = config.range_test.race_rungs;
  space.max_epochs = max_epochs;
  // Rungs while at least two candidates are left to compare (the winner of the last pair is not trained further), and
  // none shorter than an epoch.
  auto rungs = std::max(1, static_cast<int>(std::floor(std::log(static_cast<double>(candidates.size())) / std::log(space.eta) + 1e-9)));
  rungs = std::max(1, std::min(rungs, 1 + static_cast<int>(std::floor(std::log(space.max_epochs) / std::log(space.eta) + 1e-9))));
  const double span = std::pow(space.eta, rungs - 1);
  space.min_epochs = space.max_epochs / span;
  if (iters_per_epoch > 0) {
    const double warmup = static_cast<double>(lr::warmup_iters(config.schedule, iters_per_epoch)) / static_cast<double>(iters_per_epoch);
    // Restarted rungs hold the whole schedule: the warm-up takes at most half the rung, so that it ends before the
    // first decay (2/3 of the way by default) and LR0 is reached.
    const bool restart = space.rungs == "restart";
    const double first = restart ? std::max(std::ceil(warmup) + 1, std::ceil(2 * warmup)) : std::ceil(warmup) + 1;
    if (space.min_epochs < first) {
      space.max_epochs = std::min(first * span, std::max(space.max_epochs, static_cast<double>(config.train.epochs)));
      space.min_epochs = std::min(first, space.max_epochs);
      if (say)
        spdlog::info("LR race: the first rung lengthened to {:g} epochs, {} the warm-up's {:.3g}: no candidate is judged before "
                     "its LR has reached LR0", space.min_epochs, restart ? "at least twice" : "one past", warmup);
    }
    if (restart && say) warn_unscaled_schedule(config, iters_per_epoch, whole_epochs(space.min_epochs));
  }
  space.monitor = config.range_test.race_monitor;
  // The race's budget is its own: a cut no figure decides beyond its noise is made anyway (marked in the log), and
  // its verdict is the race table itself (no baseline).
  space.undecided = "cut";
  space.baseline = "none";
  space.seed = config.runtime.seed;
  space.params = {lr_grid(candidates)};
  return space;
}

}  // namespace

double race_epochs_in_all(const SearchSpace& space) {
  const auto plan = plan_brackets(space).front();
  const auto alive = planned_survivors(static_cast<size_t>(space.trials), space.eta, plan.rungs);
  double in_all = 0;
  int64_t trained = 0;  // the epochs every survivor has behind it
  for (int64_t k = 0; k < plan.rungs; ++k) {
    const int64_t budget = whole_epochs(plan.first_budget * std::pow(space.eta, static_cast<double>(k)));
    // (a rung as long as the last one is that rung; restart trains each rung from scratch)
    const auto survivors = static_cast<double>(alive[static_cast<size_t>(k)]);
    if (budget > trained) in_all += survivors * static_cast<double>(space.rungs == "restart" ? budget : budget - trained);
    trained = std::max(trained, budget);
  }
  return in_all;
}

SearchSpace race_space(const config::Config& config, const std::vector<RaceCandidate>& candidates, const TrainingPace& pace) {
  const auto& rt = config.range_test;
  const auto epochs = static_cast<double>(config.train.epochs);
  config::validate(config);  // (race_epochs and race_minutes together)
  if (rt.race_minutes <= 0)
    return race_ending_at(config, candidates, pace.iters_per_epoch, rt.race_epochs > 0 ? rt.race_epochs : std::max(1.0, epochs / 4), true);
  if (pace.iters_per_epoch <= 0 || !(pace.seconds_per_iter > 0) || !std::isfinite(pace.seconds_per_iter)) {
    spdlog::warn("LR race: range_test.race_minutes needs the pace the range test measures, and it is unknown here: the race's last rung "
                 "is a quarter of train.epochs");
    return race_ending_at(config, candidates, pace.iters_per_epoch, std::max(1.0, epochs / 4), true);
  }
  // The longest last rung, in whole epochs, whose whole race fits the minutes; at least the shortest race there is.
  const double epoch_seconds = static_cast<double>(pace.iters_per_epoch) * pace.seconds_per_iter;
  const auto minutes_of = [&](const SearchSpace& s) { return race_epochs_in_all(s) * epoch_seconds / 60; };
  double fitting = 1;
  for (double last = 1; last <= epochs + 1e-9; last += 1)
    if (minutes_of(race_ending_at(config, candidates, pace.iters_per_epoch, last, false)) <= rt.race_minutes * (1 + 1e-9)) fitting = last;
  auto space = race_ending_at(config, candidates, pace.iters_per_epoch, fitting, true);
  const double minutes = minutes_of(space);
  if (minutes > rt.race_minutes * (1 + 1e-9))
    spdlog::warn("LR race: range_test.race_minutes {:g} holds no race of these {} candidates; the shortest takes about {:.2g} minutes of "
                 "training", rt.race_minutes, candidates.size(), minutes);
  const auto plan = plan_brackets(space).front();
  const int64_t last = whole_epochs(plan.first_budget * std::pow(space.eta, static_cast<double>(plan.rungs - 1)));
  spdlog::info("LR race: range_test.race_minutes {:g}: the last rung {} epoch{}, {:g} epochs in all, about {:.2g} minutes of "
               "training at the range test's {:.3g} s a step ({} steps an epoch), each rung's validation on top",
               rt.race_minutes, last, last == 1 ? "" : "s", race_epochs_in_all(space), minutes, pace.seconds_per_iter, pace.iters_per_epoch);
  return space;
}

namespace {

void write_race_files(const RaceResult& race, const std::vector<int64_t>& budgets) {
  std::ostringstream csv;
  csv << "candidate,rule,lr,epochs," << race.monitor << ",winner\n";
  for (size_t i = 0; i < race.candidates.size(); ++i)
    for (const auto& r : race.tuning.trials[i].results)
      csv << i << "," << race.candidates[i].rule << "," << fmt::format("{}", race.candidates[i].lr) << "," << whole_epochs(r.epochs) << ","
          << (std::isfinite(r.value(race.monitor)) ? fmt::format("{}", r.value(race.monitor)) : "") << "," << (i == race.winner ? 1 : 0) << "\n";
  util::write_text_file(race.csv_path, csv.str());

  // Above: the metric against the LR, one line per rung (the shape of the LR's effect as the budget grows); below:
  // each candidate's metric against its training budget.
  util::Panel by_lr;
  by_lr.title = std::string(race.monitor) + " against LR at each rung of the race (winner marked)";
  by_lr.x_label = "learning rate (log scale)";
  by_lr.y_label = race.monitor;
  by_lr.log_x = true;
  for (const int64_t epochs : budgets) {
    util::Series s{std::to_string(epochs) + (epochs == 1 ? " epoch" : " epochs"), {}, {}};
    for (size_t i = 0; i < race.candidates.size(); ++i) {
      const double m = measure_at(race.tuning.trials[i], static_cast<double>(epochs), race.monitor).value;
      if (!std::isnan(m)) s.x.push_back(race.candidates[i].lr), s.y.push_back(m);
    }
    by_lr.series.push_back(s);
  }
  by_lr.markers_x = {race.candidates[race.winner].lr};
  by_lr.marker_labels = {fmt::format("winner {:.2g}", race.candidates[race.winner].lr)};
  util::Panel by_epochs;
  by_epochs.title = std::string(race.monitor) + " per candidate against its training budget";
  by_epochs.x_label = "epochs";
  by_epochs.y_label = race.monitor;
  for (size_t i = 0; i < race.candidates.size(); ++i) {
    util::Series s{fmt::format("{:.3g} ({})", race.candidates[i].lr, race.candidates[i].rule), {}, {}};
    for (const auto& r : race.tuning.trials[i].results) s.x.push_back(static_cast<double>(whole_epochs(r.epochs))), s.y.push_back(r.value(race.monitor));
    by_epochs.series.push_back(s);
  }
  util::save_chart(race.png_path, {by_lr, by_epochs}, 900, 320);
}

// The candidates of the race in `out`: those it was started with (candidates.json), so that the same command resumes it
// even when the range test's picks moved in their last digits; a race of other candidates or budgets is an error.
// A race budgeted in minutes resumes with the rungs it began with (the pace measured now differs a little), unless
// its minutes changed.
std::vector<RaceCandidate> resumed_candidates(const std::string& out, const std::vector<RaceCandidate>& candidates, SearchSpace& space,
                                              double minutes) {
  const auto path = (fs::path(out) / "candidates.json").string();
  nlohmann::json now{{"min_epochs", space.min_epochs}, {"max_epochs", space.max_epochs}, {"schedule_epochs", space.schedule_epochs},
                     {"eta", space.eta}, {"monitor", space.monitor}, {"minutes", minutes}, {"candidates", nlohmann::json::array()}};
  if (space.rungs != "continue") now["rungs"] = space.rungs;  // (absent from races stored before it could be set)
  for (const auto& c : candidates) now["candidates"].push_back({{"rule", c.rule}, {"lr", c.lr}});
  if (!fs::exists(path)) {
    fs::create_directories(out);
    util::write_text_file(path, now.dump(1) + "\n");
    return candidates;
  }
  nlohmann::json before;
  try {
    std::ifstream in(path);
    before = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw ConfigError(path + ": not a readable race (" + std::string(e.what()) + "); remove " + out + " to race again");
  }
  const auto number = [&](const char* key) { return before.contains(key) && before[key].is_number(); };
  if (minutes > 0 && number("minutes") && before["minutes"].get<double>() == minutes && number("min_epochs") && number("max_epochs")) {
    now["min_epochs"] = space.min_epochs = before["min_epochs"].get<double>();
    now["max_epochs"] = space.max_epochs = before["max_epochs"].get<double>();
    spdlog::info("LR race: resumed with its rungs as planned when it began ({:g} to {:g} epochs), not a plan at today's pace",
                 space.min_epochs, space.max_epochs);
  }
  const std::string rungs_before = before.value("rungs", "continue");
  if (rungs_before != space.rungs)
    throw ConfigError(out + " holds a race begun with range_test.race_rungs " + rungs_before + (before.contains("rungs") ? "" :
                      " (the only kind before the key existed)") + ", now " + space.rungs + ": add --set range_test.race_rungs=" +
                      rungs_before + " to resume it, or remove " + out + " to race again");
  bool same = before.value("candidates", nlohmann::json::array()).size() == candidates.size();
  for (const char* key : {"min_epochs", "max_epochs", "schedule_epochs", "eta"}) same = same && before.value(key, -1.0) == now[key].get<double>();
  same = same && before.value("minutes", 0.0) == minutes;
  same = same && before.value("monitor", "") == space.monitor;
  std::vector<RaceCandidate> stored;
  for (size_t i = 0; same && i < candidates.size(); ++i) {
    const auto& c = before["candidates"][i];
    stored.push_back({c.value("rule", ""), c.value("lr", 0.0)});
    same = stored.back().lr > 0 && std::abs(std::log(stored.back().lr / candidates[i].lr)) < std::log(1.01);
  }
  if (!same)
    throw ConfigError(out + " holds a race of other candidates or budgets (" + before.dump() + "; now " + now.dump() +
                      "): remove it to race these, or give another train.run_dir");
  spdlog::info("LR race: resuming the race in {}", out);
  return stored;
}

}  // namespace

RaceResult race_lr(const config::Config& config, const std::vector<RaceCandidate>& candidates, c10::Device device,
                   const TrainingPace& pace, const TrialRunner& given_runner) {
  if (config.data.val.roots.empty())
    throw ConfigError("range_test.race: the race ranks the candidate LRs by " + config.range_test.race_monitor + " on the validation "
                      "data, and the config has none (data.val.roots); give one, or set range_test.race=never");
  if (candidates.size() < 2) throw ConfigError("range_test.race: " + std::to_string(candidates.size()) + " candidate LR, nothing to race");
  RaceResult race;
  const auto out = (fs::path(config.train.run_dir) / "lr_race").string();
  auto space = race_space(config, candidates, pace);
  race.candidates = resumed_candidates(out, candidates, space, config.range_test.race_minutes);
  space.params = {lr_grid(race.candidates)};
  race.monitor = space.monitor;
  std::string listed;
  for (const auto& c : candidates) listed += fmt::format("{}{:.3g} ({})", listed.empty() ? "" : ", ", c.lr, c.rule);
  const auto plan = plan_brackets(space).front();
  const auto each_rung = space.rungs == "restart" ? std::string("a whole schedule from scratch")
                                                  : fmt::format("the start of a {}-epoch run", config.train.epochs);
  spdlog::info("LR race: {} candidates ({}), {} rungs from {} to {} epochs keeping 1/{:g} each by {}, each {}, in {}", candidates.size(),
               listed, plan.rungs, whole_epochs(space.min_epochs), whole_epochs(space.max_epochs), space.eta, space.monitor, each_rung, out);
  // Each candidate trains as the range test's recommendation would: solver.lr, and a cyclic or one-cycle peak with it.
  const TrialRunner inner = given_runner ? given_runner : TrialRunner(train_trial);
  const TrialRunner runner = [&](const config::Config& trial, const SearchSpace& measuring, c10::Device where) {
    return inner(range_test::apply_suggestion(trial, trial.solver.lr), measuring, where);
  };
  race.tuning = tune(config, space, out, device, runner);
  if (race.tuning.interrupted) {
    race.interrupted = true;
    return race;
  }
  if (race.tuning.trials.size() != race.candidates.size())
    throw ConfigError(out + "/tuner.json: " + std::to_string(race.tuning.trials.size()) + " trials for " + std::to_string(race.candidates.size()) +
                      " candidates; remove " + out + " to race again");
  race.winner = race.tuning.ranking.front();
  const auto& won = race.tuning.trials[race.winner].results;
  race.decided = !won.empty() && std::isfinite(won.back().value(race.monitor));

  // The table: one row per candidate, one column per rung; "cut" where a candidate went no further.
  std::vector<int64_t> budgets;
  for (const auto& t : race.tuning.trials)
    for (const auto& r : t.results) budgets.push_back(whole_epochs(r.epochs));
  std::sort(budgets.begin(), budgets.end());
  budgets.erase(std::unique(budgets.begin(), budgets.end()), budgets.end());
  std::string header = fmt::format("  {:>9}  {:<24}", "LR", "picked by");
  for (const int64_t e : budgets) header += fmt::format(" {:>16}", fmt::format("{} @ {} ep", race.monitor, e));
  race.lines.push_back(header);
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& t = race.tuning.trials[i];
    std::string row = fmt::format("{} {:>9.3g}  {:<24}", i == race.winner ? "*" : " ", candidates[i].lr, candidates[i].rule);
    for (const int64_t e : budgets) {
      const double m = measure_at(t, static_cast<double>(e), race.monitor).value;
      const bool reached = result_at(t, static_cast<double>(e)) != nullptr;
      row += fmt::format(" {:>16}", !reached         ? "cut"
                                    : !std::isnan(m) ? fmt::format("{:.4f}", m)
                                    : t.failure.empty() ? "n/a"
                                                        : "failed");
    }
    race.lines.push_back(row);
  }
  // How each cut was decided: by which figure, and whether it stood above that figure's noise.
  for (const auto& decision : race.tuning.decisions) race.lines.push_back("  " + decision);
  race.csv_path = (fs::path(config.train.run_dir) / "lr_race.csv").string();
  race.png_path = (fs::path(config.train.run_dir) / "lr_race.png").string();
  write_race_files(race, budgets);
  return race;
}

}  // namespace ssd::tune
