#pragma once
// What loading a weights file into the model did, tensor by tensor: the log line users read to see that the file
// they named was used, and what was not.
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ssd::interop {

struct LoadReport {
  std::vector<std::string> loaded;       ///< "ours <- file's" (with the conversion, where there is one)
  std::vector<std::string> initialised;  ///< "ours: why" for every tensor of ours left at its initialisation
  std::vector<std::string> unused;       ///< "file's: why" for every tensor of the file not used
  /// One paragraph: counts, then each left-out group with its reason and first / last name.
  std::string summary() const;
};

/// A tensor's shape as the reports and errors print it: "[1024, 512, 3, 3]".
std::string shape_text(const at::Tensor& tensor);

}  // namespace ssd::interop
