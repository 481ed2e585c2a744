#pragma once
// Optimizers from torch::optim built from a plain options struct, and their state as named
// arrays so --resume continues exactly where a run stopped (DESIGN 3.4: /train/optimizer/...).
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <memory>
#include <string>
#include <vector>

#include "posekd/nn/state_arrays.h"

namespace posekd::train {

struct OptimizerOptions {
  std::string name = "adam";  // adam, adamw, sgd, rmsprop
  double lr = 1e-3;           // the schedule's base lr
  double weight_decay = 0;    // AdamW's decoupled decay; L2 for the others
  double momentum = 0.9;      // sgd, rmsprop
  bool nesterov = false;      // sgd
  double beta1 = 0.9, beta2 = 0.999;  // adam, adamw
  double eps = 1e-8;          // adam, adamw, rmsprop
  double alpha = 0.99;        // rmsprop smoothing
};

// Throws UsageError for an unknown name or a bad value (naming the option).
void validate(const OptimizerOptions& options);

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& options,
                                                        const torch::nn::Module& model);

// Every param group's learning rate.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

// Per-parameter state named "<state>/<parameter name>" (e.g. "exp_avg/layer1.0.conv1.weight",
// "step/layer1.0.conv1.weight" as a scalar), for the parameters of `model` that have state.
std::vector<nn::NamedArray> optimizer_state_arrays(const torch::optim::Optimizer& optimizer,
                                                   const OptimizerOptions& options, const torch::nn::Module& model);

// Replaces the optimizer's state with `arrays`. Refuses a state name the optimizer does not
// keep, a parameter the model does not have, or a shape mismatch, naming
// "origin:/train/optimizer/<name>".
void load_optimizer_state(torch::optim::Optimizer& optimizer, const OptimizerOptions& options,
                          const torch::nn::Module& model, const std::vector<nn::NamedArray>& arrays,
                          const std::string& origin);

}  // namespace posekd::train
