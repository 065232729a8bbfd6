#include "ssd/lr/batch_scaling.h"

#include <cmath>
#include <cstdio>

namespace ssd::lr {

double scaled_base_lr(const config::Config& c, int64_t global_batch, std::string* explanation) {
  const double ratio = static_cast<double>(global_batch) / static_cast<double>(c.train.reference_batch);
  double lr = c.solver.lr;
  if (c.train.lr_scaling == "linear") lr *= ratio;        // Goyal et al. 2017
  else if (c.train.lr_scaling == "sqrt") lr *= std::sqrt(ratio);
  if (explanation) {
    char buf[256];
    if (c.train.lr_scaling == "none")
      std::snprintf(buf, sizeof(buf), "LR0 %.6g (train.lr_scaling none; global batch %lld)", lr, static_cast<long long>(global_batch));
    else
      std::snprintf(buf, sizeof(buf), "LR0 %.6g = solver.lr %.6g x %s(%lld / %lld) (train.lr_scaling %s)", lr, c.solver.lr,
                    c.train.lr_scaling == "sqrt" ? "sqrt" : "", static_cast<long long>(global_batch),
                    static_cast<long long>(c.train.reference_batch), c.train.lr_scaling.c_str());
    *explanation = buf;
  }
  return lr;
}

}  // namespace ssd::lr
