#pragma once
// Shapes the feature- and token-distilling objectives need before training starts: their
// alignment layers (a 1×1 convolution, a linear map) are trained and checkpointed with the
// student, so they must exist before the optimizer is built, i.e. before any batch is seen.
#include <string>

#include "posekd/nn/model.h"

namespace posekd::train {

// The outputs of `spec`'s model on one blank input at its input size (eval mode, no grad):
// feature, token and head shapes without any data. Builds the model with seed 0, which
// reseeds LibTorch's global generator (callers seed their own modules afterwards).
nn::ModelOutputs probe_outputs(const nn::ModelSpec& spec);

// The feature `name` of `outputs`, or for "" the lowest-resolution one, the last of that size
// in the model's order (its deepest stage: what DWPose's FeaLoss distils, the backbone's last
// output). UsageError naming `option` and the features the model has when `name` is unknown.
const nn::NamedFeature& pick_feature(const nn::ModelOutputs& outputs, const std::string& name,
                                     const std::string& option);

}  // namespace posekd::train
