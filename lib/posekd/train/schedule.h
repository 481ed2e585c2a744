#pragma once
// Learning-rate schedules as mmpose's param_scheduler composes them: a linear warmup by
// iteration times an epoch policy (multistep or cosine). LibTorch 1.13 ships only StepLR, so
// they are written here once, as a pure function of (epoch, iteration): a resumed run needs
// only the two numbers it already stores to continue on the same curve.
#include <cstdint>
#include <string>
#include <vector>

namespace posekd::train {

struct ScheduleOptions {
  std::string policy = "multistep";  // multistep, cosine, constant
  std::vector<int> milestones;       // multistep: epochs (0-based) from which lr is × gamma once more
  double gamma = 0.1;
  int epochs = 0;                    // cosine: the period T_max, normally the run's epochs
  double min_lr = 0;                 // cosine: eta_min
  int warmup_iters = 0;              // 0: no warmup
  double warmup_start_factor = 0.001;
};

// Throws UsageError naming the bad option.
void validate(const ScheduleOptions& options);

class LrSchedule {
 public:
  LrSchedule(double base_lr, ScheduleOptions options);

  // The lr for global iteration `iteration` (0-based, counted over the whole run) inside
  // epoch `epoch` (0-based). mmengine's LinearLR(start_factor, by_epoch=False, end=W) and
  // MultiStepLR(milestones, gamma) give lr = base · w(i) · gamma^#{m ≤ epoch} with
  // w(i) = start + (1 − start)·min(i, W)/W; CosineAnnealingLR gives
  // eta_min + (base − eta_min)·(1 + cos(π·epoch/T))/2, here times w(i) — equal to mmengine's
  // chained result whenever the warmup ends inside the first epoch or eta_min is 0.
  double lr(int epoch, int64_t iteration) const;
  double base_lr() const { return base_lr_; }
  const ScheduleOptions& options() const { return options_; }

 private:
  double base_lr_;
  ScheduleOptions options_;
};

}  // namespace posekd::train
