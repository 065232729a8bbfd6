#include "ssd/tune/tuner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "ssd/config/load.h"
#include "ssd/engine/lr_finder.h"
#include "ssd/engine/trainer.h"
#include "ssd/util/csv.h"
#include "ssd/util/error.h"
#include "ssd/util/plot.h"

namespace fs = std::filesystem;

namespace ssd::tune {

namespace {

int64_t whole_epochs(double e) { return std::max<int64_t>(1, std::llround(e)); }

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
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << j.dump(1) << "\n";
  fs::rename(tmp, path);
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

config::Config trial_config(const config::Config& base, const Trial& trial, double epochs) {
  std::vector<std::string> overrides;
  for (const auto& [k, v] : trial.params) overrides.push_back(k + "=" + v);
  overrides.push_back("train.run_dir=" + trial.run_dir);
  overrides.push_back("train.epochs=" + std::to_string(whole_epochs(epochs)));
  overrides.push_back("train.eval_period=0");        // one validation, at the end of the rung
  overrides.push_back("early_stop.patience=0");      // the tuner decides who stops
  return config::load_config_text(config::to_yaml(base), "tuner trial " + std::to_string(trial.id), overrides);
}

TuneResult tune(const config::Config& base, const SearchSpace& input_space, const std::string& out, c10::Device device) {
  fs::create_directories(out);
  SearchSpace space = input_space;
  const std::string state_path = (fs::path(out) / "tuner.json").string();
  const bool resuming = fs::exists(state_path);

  if (space.lr_from_range_test && !resuming) {
    for (auto& d : space.params)
      if (d.key == "solver.lr") {
        auto probe = base;
        probe.train.run_dir = (fs::path(out) / "range_test").string();
        const auto report = engine::find_lr(probe, device, 1);
        d.kind = "loguniform", d.lo = report.recommended.lr / 10, d.hi = report.recommended.lr * 3;
        spdlog::info("tuner: solver.lr interval from the range test ({} {:.3g}): loguniform({:.3g}, {:.3g})", report.recommended.rule,
                     report.recommended.lr, d.lo, d.hi);
      }
  }

  // The plan: brackets of (trials, first budget), Li et al.'s formulas.
  struct Bracket {
    int64_t trials;
    double first_budget;
    int64_t rungs;
  };
  std::vector<Bracket> brackets;
  const double r = space.min_epochs, R = space.max_epochs, eta = space.eta;
  if (space.method == "hyperband") {
    const auto s_max = static_cast<int64_t>(std::floor(std::log(R / r) / std::log(eta) + 1e-9));
    for (int64_t s = s_max; s >= 0; --s)
      brackets.push_back({static_cast<int64_t>(std::ceil(static_cast<double>(s_max + 1) / static_cast<double>(s + 1) * std::pow(eta, s))),
                          R * std::pow(eta, -static_cast<double>(s)), s + 1});
  } else {
    int64_t rungs = 1;
    while (r * std::pow(eta, rungs) <= R + 1e-9 && std::floor(space.trials / std::pow(eta, rungs)) >= 1) ++rungs;
    brackets.push_back({space.trials, r, rungs});
  }

  std::vector<Trial> trials;
  if (resuming) {
    trials = load_state(state_path);
    spdlog::info("tuner: resuming {} ({} trials known)", state_path, trials.size());
  }
  std::mt19937_64 rng(static_cast<uint64_t>(space.seed));
  int64_t next_id = 0;
  const bool maximise = space.maximise();
  auto worse = [&](double a, double b) {  // true when a ranks below b; NaN ranks last
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
    return maximise ? a < b : a > b;
  };

  for (size_t b = 0; b < brackets.size(); ++b) {
    const auto& plan = brackets[b];
    std::vector<size_t> alive;
    for (int64_t i = 0; i < plan.trials; ++i) {
      Trial fresh;
      fresh.id = next_id++;
      fresh.bracket = static_cast<int64_t>(b);
      for (const auto& d : space.params) fresh.params.emplace_back(d.key, d.sample(rng, fresh.id));  // drawn even when resuming: same stream
      char dir[32];
      std::snprintf(dir, sizeof(dir), "trial_%03lld", static_cast<long long>(fresh.id));
      fresh.run_dir = (fs::path(out) / dir).string();
      if (static_cast<size_t>(fresh.id) >= trials.size()) trials.push_back(fresh);
      alive.push_back(static_cast<size_t>(fresh.id));
    }
    for (int64_t k = 0; k < plan.rungs && !alive.empty(); ++k) {
      const double budget = plan.first_budget * std::pow(eta, static_cast<double>(k));
      spdlog::info("tuner: bracket {}/{}, rung {}/{}: {} trials x {} epochs", b + 1, brackets.size(), k + 1, plan.rungs, alive.size(),
                   whole_epochs(budget));
      for (size_t idx : alive) {
        auto& t = trials[idx];
        const bool done = std::any_of(t.results.begin(), t.results.end(), [&](const RungResult& x) { return whole_epochs(x.epochs) == whole_epochs(budget); });
        if (done || !t.failure.empty()) continue;
        const auto config = trial_config(base, t, budget);
        const bool has_checkpoint = fs::exists(fs::path(t.run_dir) / "last.pt");
        engine::TrainResult run;
        try {
          run = engine::Trainer(config, device, has_checkpoint ? t.run_dir : "").run();
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
        if (run.interrupted) {  // SIGINT / SIGTERM: the trial wrote last.pt; the same command continues
          save_state(state_path, trials);
          TuneResult partial;
          partial.trials = trials;
          partial.interrupted = true;
          return partial;
        }
        const auto it = run.last_validation.find(space.monitor);
        t.results.push_back({budget, it != run.last_validation.end() ? it->second : NAN});
        const double metric = t.results.back().metric;
        std::string params;
        for (const auto& [key, v] : t.params) params += " " + key + "=" + v;
        spdlog::info("tuner: trial {} ({}) at {} epochs: {} {:.4f}", t.id, params.substr(1), whole_epochs(budget), space.monitor, metric);
        save_state(state_path, trials);
      }
      if (k + 1 == plan.rungs) break;
      auto metric_at = [&](size_t idx) {
        for (const auto& x : trials[idx].results)
          if (whole_epochs(x.epochs) == whole_epochs(budget)) return x.metric;
        return std::numeric_limits<double>::quiet_NaN();
      };
      std::stable_sort(alive.begin(), alive.end(), [&](size_t a, size_t c) { return worse(metric_at(c), metric_at(a)); });
      const auto keep = std::max<size_t>(1, static_cast<size_t>(std::floor(static_cast<double>(alive.size()) / eta)));
      alive.resize(std::min(keep, alive.size()));
    }
  }

  // Leaderboard: by the largest budget reached, then by the metric there.
  TuneResult result;
  result.trials = trials;
  for (size_t i = 0; i < trials.size(); ++i) result.ranking.push_back(i);
  auto final_of = [&](size_t i) { return trials[i].results.empty() ? RungResult{0, NAN} : trials[i].results.back(); };
  std::stable_sort(result.ranking.begin(), result.ranking.end(), [&](size_t a, size_t c) {
    const auto fa = final_of(a), fc = final_of(c);
    if (whole_epochs(fa.epochs) != whole_epochs(fc.epochs)) return fa.epochs > fc.epochs;
    return worse(fc.metric, fa.metric);
  });
  result.leaderboard_csv = (fs::path(out) / "leaderboard.csv").string();
  {
    std::ofstream csv(result.leaderboard_csv);
    csv << "rank,trial,bracket,epochs," << space.monitor;
    for (const auto& d : space.params) csv << "," << d.key;
    csv << ",run_dir,failure\n";
    for (size_t rank = 0; rank < result.ranking.size(); ++rank) {
      const auto& t = trials[result.ranking[rank]];
      const auto f = final_of(result.ranking[rank]);
      csv << rank + 1 << "," << t.id << "," << t.bracket << "," << whole_epochs(f.epochs) << "," << f.metric;
      for (const auto& [k, v] : t.params) csv << "," << v;
      csv << "," << t.run_dir << "," << util::csv_quoted(t.failure) << "\n";
    }
  }
  util::Panel panel;
  panel.title = space.monitor + " per trial against its training budget (successive halving)";
  panel.x_label = "epochs";
  for (size_t rank = 0; rank < result.ranking.size() && rank < 12; ++rank) {
    const auto& t = trials[result.ranking[rank]];
    util::Series s{"#" + std::to_string(rank + 1) + " trial " + std::to_string(t.id), {}, {}};
    for (const auto& x : t.results) s.x.push_back(static_cast<double>(whole_epochs(x.epochs))), s.y.push_back(x.metric);
    panel.series.push_back(s);
  }
  result.leaderboard_png = (fs::path(out) / "leaderboard.png").string();
  util::save_chart(result.leaderboard_png, {panel}, 900, 420);
  result.best_config = (fs::path(out) / "best.yaml").string();
  {
    const auto& best = trials[result.ranking.front()];
    std::vector<std::string> overrides;
    for (const auto& [k, v] : best.params) overrides.push_back(k + "=" + v);
    const auto config = config::load_config_text(config::to_yaml(base), "tuner best", overrides);
    std::ofstream(result.best_config) << "# ssd-tune: best trial " << best.id << " (" << space.monitor << " " << final_of(result.ranking.front()).metric
                                      << " at " << whole_epochs(final_of(result.ranking.front()).epochs) << " epochs)\n"
                                      << config::to_yaml(config);
  }
  return result;
}

}  // namespace ssd::tune
