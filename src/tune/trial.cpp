#include "ssd/tune/trial.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace ssd::tune {

std::string describe_params(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string text;
  for (const auto& [key, value] : params) text += (text.empty() ? "" : ", ") + key + "=" + value;
  return text;
}

std::string describe_trial(const Trial& t) {
  return "trial " + std::to_string(t.id) + " (" + (t.given ? std::string("the config as given") : describe_params(t.params)) + ")";
}

int64_t whole_epochs(double epochs) { return std::max<int64_t>(1, std::llround(epochs)); }

const RungResult* result_at(const Trial& t, double epochs) {
  for (const auto& r : t.results)
    if (whole_epochs(r.epochs) == whole_epochs(epochs)) return &r;
  return nullptr;
}

double RungResult::value(const std::string& signal) const {
  const auto found = measures.find(signal);
  return found != measures.end() ? found->second.value : NAN;
}

Measure measure_at(const Trial& t, double epochs, const std::string& signal) {
  const auto* r = result_at(t, epochs);
  if (!r) return {};
  const auto found = r->measures.find(signal);
  return found != r->measures.end() ? found->second : Measure{};
}

int64_t epochs_trained(const Trial& t) {
  int64_t most = 0;
  for (const auto& r : t.results) most = std::max(most, whole_epochs(r.epochs));
  return most;
}

}  // namespace ssd::tune
