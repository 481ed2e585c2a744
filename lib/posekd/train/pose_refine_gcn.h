#pragma once
// pose-refine-gcn as a library call (STYLE 1): a refiner (--method) trained on top of a
// stage-1 checkpoint (--base) by the Trainer, with pose-train's options and run shape. The
// output checkpoint holds the base model and the refiner (nn/refiner.h), so pose-dump-heatmaps
// and validation run the refined model.
#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "posekd/train/refine_objective.h"
#include "posekd/train/teacher.h"
#include "posekd/train/trainer.h"

namespace posekd::train {

struct RefineGcnOptions {
  TrainOptions train;  // --model, --init and --codec come from --base
  std::string base;    // the stage-1 checkpoint
  std::string method = "igp";
  std::string refiner;  // the method's spec keys, "hidden=64,features=auto"
  bool finetune = false;  // train the base model too (methods that allow it)
  // igp: "teacher" (P^T from --teacher-heatmaps or --teacher) or "gt" (ground truth).
  std::string targets = "teacher";
  TeacherOptions teacher;
  std::vector<double> stage_weights{0.3, 0.5, 1.0};  // igp: w_i of P̂_1..3
  std::string config;  // the effective configuration (TOML), for --dry-run
};

// A method: its name, one line for --help, and how its objective is built.
struct RefineMethod {
  const char* name;
  const char* summary;
  std::unique_ptr<RefineObjective> (*make)(const RefineGcnOptions& options, RefineSetup setup,
                                           const torch::Device& device);
  bool teacher_targets;  // --targets, --teacher-heatmaps, --teacher apply (igp); else refused
};
const std::vector<RefineMethod>& refine_methods();

// TrainOptions' options (bind_train_options) less --model, --init, --codec and the SimCC
// loss's, plus --base, --method, --refiner, --finetune, --targets, the teacher's and
// --stage-weights.
void bind_refine_gcn_options(CLI::App& app, RefineGcnOptions& options);

// --dry-run prints the base and the refiner (parameters, GFLOPs) and the configuration; a run
// prints the best checkpoint's path and metric (print_train_result).
TrainResult run_refine_gcn(const RefineGcnOptions& options, std::ostream& out);

}  // namespace posekd::train
