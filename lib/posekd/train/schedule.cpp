#include "posekd/train/schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "posekd/core/error.h"

namespace posekd::train {

void validate(const ScheduleOptions& o) {
  if (o.policy != "multistep" && o.policy != "cosine" && o.policy != "constant")
    throw UsageError(fmt::format("lr policy \"{}\": expected one of multistep, cosine, constant", o.policy));
  for (size_t i = 0; i < o.milestones.size(); ++i)
    if (o.milestones[i] < 0 || (i && o.milestones[i] <= o.milestones[i - 1]))
      throw UsageError(fmt::format("milestones: expected increasing epochs >= 0, found {} after {}", o.milestones[i],
                                   i ? o.milestones[i - 1] : 0));
  if (!(o.gamma > 0)) throw UsageError(fmt::format("gamma={}: expected > 0", o.gamma));
  if (o.policy == "cosine" && o.epochs < 1)
    throw UsageError(fmt::format("cosine schedule: epochs={}: expected >= 1", o.epochs));
  if (o.min_lr < 0) throw UsageError(fmt::format("min_lr={}: expected >= 0", o.min_lr));
  if (o.warmup_iters < 0) throw UsageError(fmt::format("warmup_iters={}: expected >= 0", o.warmup_iters));
  if (!(o.warmup_start_factor > 0 && o.warmup_start_factor <= 1))
    throw UsageError(fmt::format("warmup_start_factor={}: expected in (0, 1]", o.warmup_start_factor));
}

LrSchedule::LrSchedule(double base_lr, ScheduleOptions options) : base_lr_(base_lr), options_(std::move(options)) {
  validate(options_);
}

double LrSchedule::lr(int epoch, int64_t iteration) const {
  const auto& o = options_;
  double warm = 1;
  if (o.warmup_iters > 0 && iteration < o.warmup_iters)
    warm = o.warmup_start_factor + (1 - o.warmup_start_factor) * double(iteration) / o.warmup_iters;
  if (o.policy == "multistep") {
    const auto passed = std::upper_bound(o.milestones.begin(), o.milestones.end(), epoch) - o.milestones.begin();
    return base_lr_ * warm * std::pow(o.gamma, double(passed));
  }
  if (o.policy == "cosine") {
    const double t = std::min(epoch, o.epochs);
    const double pi = std::acos(-1.0);
    return warm * (o.min_lr + (base_lr_ - o.min_lr) * (1 + std::cos(pi * t / o.epochs)) / 2);
  }
  return base_lr_ * warm;
}

}  // namespace posekd::train
