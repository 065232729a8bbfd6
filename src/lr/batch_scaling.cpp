#include "ssd/lr/batch_scaling.h"

#include <cmath>
#include <cstdio>

namespace ssd::lr {

double scaled_base_lr(double lr0, const std::string& rule, int64_t reference_batch, int64_t global_batch, std::string* explanation) {
  const double ratio = static_cast<double>(global_batch) / static_cast<double>(reference_batch);
  double lr = lr0;
  if (rule == "linear") lr *= ratio;  // Goyal et al. 2017
  else if (rule == "sqrt") lr *= std::sqrt(ratio);
  if (explanation) {
    char buf[256];
    if (rule == "none")
      std::snprintf(buf, sizeof(buf), "LR0 %.6g (train.lr_scaling none; global batch %lld)", lr, static_cast<long long>(global_batch));
    else
      std::snprintf(buf, sizeof(buf), "LR0 %.6g = solver.lr %.6g x %s(%lld / %lld) (train.lr_scaling %s)", lr, lr0,
                    rule == "sqrt" ? "sqrt" : "", static_cast<long long>(global_batch), static_cast<long long>(reference_batch),
                    rule.c_str());
    *explanation = buf;
  }
  return lr;
}

}  // namespace ssd::lr
