#pragma once
// SimpleBaseline (Xiao et al. 2018): a ResNet trained from scratch and a deconvolution head,
// with the attribute names of Microsoft's pose_resnet.py (conv1, bn1, layer1..4,
// deconv_layers, final_layer), so its checkpoints load there by name.
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>

#include "posekd/nn/model.h"

namespace posekd::nn {

// Keys: depth (18, 34, 50), width (64: torchvision's widths 64-128-256-512), deconvs (3),
// deconv_channels (256). Heatmaps are input/32 · 2^deconvs.
class SimpleBaselineImpl : public PoseModelImpl {
 public:
  explicit SimpleBaselineImpl(const ModelSpec& spec);

 protected:
  Trunk forward_trunk(const torch::Tensor& images) override;

 private:
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::MaxPool2d maxpool{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Sequential deconv_layers{nullptr};
};
TORCH_MODULE(SimpleBaseline);

}  // namespace posekd::nn
