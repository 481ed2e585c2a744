#pragma once
// Weight initialisation as the reference implementations do it. Randomness comes from
// LibTorch's default generator, which make_model() seeds.
#include <torch/nn/module.h>

namespace posekd::nn {

// Conv2d / ConvTranspose2d weights N(0, std), biases 0 (HRNet's init_weights, SimpleBaseline's
// deconvolution head and final layer).
void init_conv_normal(torch::nn::Module& module, double std);
// Conv2d weights Kaiming normal, fan_out, ReLU gain (torchvision's ResNet).
void init_conv_kaiming(torch::nn::Module& module);
// BatchNorm weight 1, bias 0; LayerNorm the same.
void init_norm(torch::nn::Module& module);
// Linear weights N(0, std), biases 0.
void init_linear_normal(torch::nn::Module& module, double std);

}  // namespace posekd::nn
