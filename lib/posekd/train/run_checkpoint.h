#pragma once
// A training run's checkpoint: the model file (model_checkpoint) plus what --resume needs —
// the objective's extra modules and state, the optimizer state, epoch, step, best metric and
// the global RNG.
//
//   /extra/<module>/params/<name>, /extra/<module>/buffers/<name>   Objective::extra_modules()
//   /extra/state/<name>                                              Objective::state()
//   /train @epoch (epochs completed) @step (global steps done), optimizer/<state>/<param>
//     with <param> named in the trained tree: "model.<parameter>", "extra_<module>.<parameter>"
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <string>
#include <vector>

#include "posekd/codec/heatmap_geometry.h"
#include "posekd/io/checkpoint.h"
#include "posekd/nn/model.h"
#include "posekd/train/objective.h"
#include "posekd/train/optim.h"

namespace posekd::train {

struct RunPosition {
  int64_t epoch = 0;  // epochs completed
  int64_t step = 0;   // steps done over the whole run
  int64_t epoch_samples = 0;  // samples of the current epoch trained, all ranks together; -1: unknown
  double best_metric = 0;
  std::string best_metric_name;
};

// What is trained: the model and the objective's extra modules under one root, so one
// optimizer and one state tree cover them.
struct TrainedModules {
  nn::PoseModel model;
  std::vector<NamedModule> extras;
  std::shared_ptr<torch::nn::Module> root;
};
TrainedModules trained_modules(nn::PoseModel model, std::vector<NamedModule> extras);

io::Checkpoint run_checkpoint(const TrainedModules& trained, const Skeleton& skeleton, HeatmapCodec codec,
                              const Objective& objective, const torch::optim::Optimizer& optimizer,
                              const OptimizerOptions& optimizer_options, const RunPosition& position);

// Loads the model's arrays after checking the file's skeleton and spec against the run's
// (--init and --resume both).
void load_model_weights(nn::PoseModelImpl& model, const Skeleton& skeleton, const io::Checkpoint& checkpoint,
                        const std::string& path);

// Restores extra modules, objective state, optimizer state and the global RNG; returns where
// the run stopped. Refuses a checkpoint without /train.
RunPosition restore_run(const io::Checkpoint& checkpoint, const std::string& path, const TrainedModules& trained,
                        Objective& objective, torch::optim::Optimizer& optimizer,
                        const OptimizerOptions& optimizer_options);

}  // namespace posekd::train
