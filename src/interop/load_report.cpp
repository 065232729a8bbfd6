#include "ssd/interop/load_report.h"

#include <map>
#include <sstream>

namespace ssd::interop {

std::string LoadReport::summary() const {
  std::ostringstream os;
  os << "loaded " << loaded.size() << " tensors";
  // Grouped by reason, so that 40 extra-layer tensors read as one line.
  auto grouped = [&](const std::vector<std::string>& lines, const char* title) {
    std::map<std::string, std::vector<std::string>> by_reason;
    for (const auto& line : lines) {
      const size_t colon = line.find(": ");
      by_reason[line.substr(colon + 2)].push_back(line.substr(0, colon));
    }
    for (const auto& [reason, names] : by_reason) {
      os << "; " << title << " " << names.size() << " (" << reason << "): " << names.front();
      if (names.size() > 1) os << ", ... " << names.back();
    }
  };
  grouped(initialised, "left at initialisation");
  grouped(unused, "not used from the file");
  return os.str();
}

std::string shape_text(const at::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

}  // namespace ssd::interop
