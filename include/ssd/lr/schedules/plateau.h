#pragma once
// plateau: reduce-on-plateau with PyTorch's ReduceLROnPlateau rules (SPEC-LR.md), as a multiplier on top of another
// schedule, updated after each validation only. Its state is saved in checkpoints.
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// schedule.plateau.*: the key, rule and meaning of each field are in its row in src/lr/schedules/plateau.cpp.
struct PlateauParams {
  std::string over = "constant";
  std::string monitor = "val/loss";
  std::string mode = "auto";
  double factor = 0.1;
  int64_t patience = 10;
  double threshold = 1e-4;
  std::string threshold_mode = "rel";
  int64_t cooldown = 0;
  double min_lr = 0.0;
  double eps = 1e-8;
};

class PlateauSchedule : public Schedule {
 public:
  PlateauSchedule(std::unique_ptr<Schedule> inner, const PlateauParams& params, double reference_lr);
  double lr_at(int64_t t, double base) const override;
  std::optional<double> momentum_at(int64_t t) const override { return inner_->momentum_at(t); }
  std::string describe() const override;
  std::vector<Phase> phases() const override { return inner_->phases(); }
  int64_t end() const override { return inner_->end(); }
  std::string on_validation(const std::map<std::string, double>& metrics, int64_t t) override;
  std::string state() const override;
  void load_state(const std::string& state) override;
  double multiplier() const { return multiplier_; }
  const std::string& monitor() const { return c_.monitor; }
  bool maximise() const { return maximise_; }

 private:
  std::unique_ptr<Schedule> inner_;
  PlateauParams c_;
  double reference_lr_;
  bool maximise_;
  // State (saved in checkpoints).
  double best_;
  int64_t num_bad_ = 0, cooldown_counter_ = 0, reductions_ = 0;
  double multiplier_ = 1.0;
};

}  // namespace ssd::lr
