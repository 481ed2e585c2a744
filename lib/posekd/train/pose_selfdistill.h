#pragma once
// pose-selfdistill as a library call (STYLE 1): the `sdp` objective (train/sdp_objective.h) on
// the Trainer, with pose-train's options, logs, validation, signals and --resume.
#include <CLI/CLI.hpp>

#include <ostream>
#include <string>

#include "posekd/train/sdp_objective.h"
#include "posekd/train/trainer.h"

namespace posekd::train {

struct PoseSelfdistillOptions {
  TrainOptions train;
  SdpOptions sdp;
  std::string config;  // the effective configuration (TOML), for --dry-run
};

// --alpha, --distance, --stepping-gamma, --no-stepping; removes pose-train's SimCC loss options
// (bind after bind_train_options).
void bind_sdp_options(CLI::App& app, SdpOptions& options);

// Refuses (UsageError) models without a heatmap head and schedules stepping cannot follow
// (validate(SdpOptions, ScheduleOptions)); then as run_pose_train.
TrainResult run_pose_selfdistill(const PoseSelfdistillOptions& options, std::ostream& out);

}  // namespace posekd::train
