#pragma once
// A module's parameters and buffers as named float arrays and back (DESIGN 3.4: checkpoints
// store /params/<name> and /buffers/<name>, names as PyTorch's state_dict).
#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "posekd/io/checkpoint.h"

namespace posekd::nn {

using io::NamedArray;

struct ModuleArrays {
  std::vector<NamedArray> params;   // in registration order
  std::vector<NamedArray> buffers;  // BatchNorm statistics etc.
};

// Integer buffers (BatchNorm's num_batches_tracked) are stored as float: exact up to 2^24
// steps.
ModuleArrays named_arrays(const torch::nn::Module& module);
// Copies `arrays` into `module`. Refuses, before changing anything, a missing or extra name
// or a shape mismatch, with a message such as
// "ckpt.h5:/params/layer1.0.conv1.weight: expected [64,64,3,3], found [32,64,3,3]"
// (`origin` names the file).
void load_named_arrays(torch::nn::Module& module, const ModuleArrays& arrays, const std::string& origin);

// Tensor <-> array, for the optimizer state and tests.
NamedArray to_named_array(const std::string& name, const torch::Tensor& tensor);
torch::Tensor to_tensor(const NamedArray& array);

}  // namespace posekd::nn
