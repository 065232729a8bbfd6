#include "ssd/engine/run_summary.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "ssd/util/error.h"

namespace ssd::engine {

namespace {
// JSON has no NaN: a class without ground truth has a null AP.
nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
double number_or_nan(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }
}  // namespace

std::string to_json(const RunSummary& s) {
  nlohmann::ordered_json j;  // in the order written here, which reads from what ran to how it went
  j["format"] = 1;
  j["status"] = s.status;
  j["stop_reason"] = s.stop_reason;
  j["command"] = s.command;
  j["version"] = s.version;
  j["machine"] = {{"host", s.host}, {"cpu", s.cpu}, {"device", s.device}, {"threads", s.threads}, {"processes", s.processes}};
  j["pid"] = s.pid;
  j["started"] = s.started;
  j["ended"] = s.ended;
  j["sessions"] = s.sessions;
  j["wall_seconds"] = s.wall_seconds;
  j["train_seconds"] = s.train_seconds;
  j["images"] = s.images;
  j["images_per_second"] = s.images_per_second();
  j["iterations"] = s.iterations;
  j["total_iterations"] = s.total_iterations;
  j["epochs_done"] = s.epochs_done;
  j["epochs"] = s.epochs;
  j["best"] = {{"metric", "val/mAP"}, {"value", number_or_null(s.best_map >= 0 ? s.best_map : std::nan(""))},
               {"epoch", s.best_epoch}, {"iteration", s.best_iteration}};
  nlohmann::ordered_json last = nlohmann::ordered_json::object();
  for (const auto& [key, value] : s.last_validation) last[key] = number_or_null(value);
  j["last_validation"] = last;
  nlohmann::ordered_json per_class = nlohmann::ordered_json::array();
  for (size_t c = 0; c < s.classes.size(); ++c)
    per_class.push_back({{"class", s.classes[c]}, {"ap", number_or_null(c < s.best_class_ap.size() ? s.best_class_ap[c] : std::nan(""))}});
  j["best_class_ap"] = per_class;
  // A byte that is not UTF-8 (in a path of the command line, a class name) is replaced, not a reason to throw: this
  // runs inside every checkpoint's write.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

RunSummary parse_run_summary(const std::string& text, const std::string& path) {
  try {
    const auto j = nlohmann::json::parse(text);
    RunSummary s;
    s.status = j.at("status").get<std::string>();
    s.stop_reason = j.value("stop_reason", "");
    s.command = j.value("command", std::vector<std::string>{});
    s.version = j.value("version", "");
    const auto machine = j.value("machine", nlohmann::json::object());
    s.host = machine.value("host", ""), s.cpu = machine.value("cpu", ""), s.device = machine.value("device", "");
    s.threads = machine.value("threads", int64_t{0}), s.processes = machine.value("processes", int64_t{1});
    s.pid = j.value("pid", int64_t{0});
    s.started = j.value("started", ""), s.ended = j.value("ended", "");
    s.sessions = j.value("sessions", int64_t{0});
    s.wall_seconds = j.value("wall_seconds", 0.0), s.train_seconds = j.value("train_seconds", 0.0);
    s.images = j.value("images", int64_t{0});
    s.iterations = j.value("iterations", int64_t{0}), s.total_iterations = j.value("total_iterations", int64_t{0});
    s.epochs_done = j.value("epochs_done", 0.0), s.epochs = j.value("epochs", int64_t{0});
    const auto best = j.value("best", nlohmann::json::object());
    const double best_map = number_or_nan(best.value("value", nlohmann::json(nullptr)));
    s.best_map = std::isfinite(best_map) ? best_map : -1;
    s.best_epoch = best.value("epoch", int64_t{-1}), s.best_iteration = best.value("iteration", int64_t{-1});
    const auto last = j.value("last_validation", nlohmann::json::object());  // items() of a temporary would dangle
    for (const auto& [key, value] : last.items()) s.last_validation[key] = number_or_nan(value);
    for (const auto& entry : j.value("best_class_ap", nlohmann::json::array())) {
      s.classes.push_back(entry.at("class").get<std::string>());
      s.best_class_ap.push_back(number_or_nan(entry.value("ap", nlohmann::json(nullptr))));
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path + ": not a run summary (" + e.what() + ")");
  }
}

}  // namespace ssd::engine
