#pragma once
// TokenPose-style heatmap teacher (Li et al. 2021, TokenPose-S): a CNN stem to input/4, its
// patches as visual tokens, K keypoint tokens, a transformer, and heatmaps read from each
// keypoint token by an MLP. It exposes both token sets, so token distillation (DistilPose)
// has a teacher.
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "posekd/nn/model.h"

namespace posekd::nn {

// Keys: stem_width (64), dim (192), layers (12), heads (8), mlp (3), patch (4x3 feature
// pixels). Stem: conv1, bn1, conv2, bn2 (3×3 stride 2) and layer1 (4 Bottlenecks), as
// TokenPose-S and HRNet. Heatmaps are input/4.
class TokenPoseImpl : public PoseModelImpl {
 public:
  explicit TokenPoseImpl(const ModelSpec& spec);

 protected:
  Trunk forward_trunk(const torch::Tensor& images) override;

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential layer1{nullptr};
};
TORCH_MODULE(TokenPose);

}  // namespace posekd::nn
