#pragma once
// pose-distill as a library call (STYLE 1): a distillation objective (--method) with its teacher
// (--teacher-heatmaps or --teacher) on the Trainer, with every option of pose-train.
#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "posekd/train/distilpose_objective.h"
#include "posekd/train/heatmap_distill_objectives.h"
#include "posekd/train/teacher.h"
#include "posekd/train/trainer.h"
#include "posekd/train/two_stage_objective.h"

namespace posekd::train {

struct DistillOptions {
  TrainOptions train;
  std::string method;  // fpd, skd, two-stage, distilpose
  TeacherOptions teacher;
  FpdOptions fpd;
  SkdOptions skd;
  TwoStageOptions two_stage;
  DistilPoseOptions distilpose;
  std::string config;  // the effective configuration (TOML), for --dry-run
};

// One row per method: its name, a line for --help, its options (bound to `app` in their own
// group) and the objective with its teacher. A method is added by one row in
// distill_methods.cpp and its options struct in DistillOptions.
struct DistillMethod {
  const char* name;
  const char* summary;
  void (*bind)(CLI::App& app, DistillOptions& options);
  std::unique_ptr<Objective> (*make)(const DistillOptions& options, const torch::Device& device);
};
const std::vector<DistillMethod>& distill_methods();
const DistillMethod& distill_method(const std::string& name);  // throws UsageError listing the known

// --method, --teacher-heatmaps, --teacher and every method's options (not TrainOptions').
void bind_distill_options(CLI::App& app, DistillOptions& options);

// --dry-run prints to `out`; a run prints the best checkpoint's path and metric to `out`.
TrainResult run_distill(const DistillOptions& options, std::ostream& out);

}  // namespace posekd::train
