#pragma once
// sequential: schedules joined at milestones (PyTorch's SequentialLR). Segment k runs on its own clock t - start_k,
// from base (or from where the previous segment ended, with continue).
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// schedule.sequential.*: the key, rule and meaning of each field are in its row in src/lr/schedules/sequential.cpp.
struct SequentialParams {
  std::vector<std::string> schedules = {"linear", "cosine"};
  std::vector<double> lengths = {1000};
  bool continue_from_previous = false;
};

class SequentialSchedule : public Schedule {
 public:
  SequentialSchedule(std::vector<std::unique_ptr<Schedule>> segments, std::vector<int64_t> starts, std::vector<std::string> names,
                     bool continue_from_previous);
  double lr_at(int64_t t, double base) const override;
  std::optional<double> momentum_at(int64_t t) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;
  int64_t end() const override;
  std::string on_validation(const std::map<std::string, double>& metrics, int64_t t) override;
  std::string state() const override;
  void load_state(const std::string& state) override;

 private:
  size_t segment_at(int64_t t) const;
  double segment_base(size_t k, double base) const;
  std::vector<std::unique_ptr<Schedule>> segments_;
  std::vector<int64_t> starts_;
  std::vector<std::string> names_;
  bool continue_;
};

}  // namespace ssd::lr
