#pragma once
// Stacked hourglass (Newell et al. 2016), the network of FPD's teacher (8×256) and student
// (4×128), with the attribute names of princeton-vl/pytorch_stacked_hourglass (pre, hgs,
// features, outs, merge_features, merge_preds; Residual: bn1, conv1, ..., skip_layer).
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "posekd/nn/model.h"

namespace posekd::nn {

// princeton-vl's Conv: conv (with bias, "same" padding), optional bn, optional ReLU.
class HgConvImpl : public torch::nn::Module {
 public:
  HgConvImpl(int in, int out, int kernel, int stride = 1, bool bn = false, bool relu = true);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  bool relu_;
};
TORCH_MODULE(HgConv);

// Pre-activation bottleneck: BN-ReLU-1×1 (out/2), BN-ReLU-3×3, BN-ReLU-1×1 (out), plus a 1×1
// skip when the width changes. princeton-vl always builds skip_layer and leaves it unused
// when in == out; here it exists only when used (load there with strict=False).
class ResidualImpl : public torch::nn::Module {
 public:
  ResidualImpl(int in, int out);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  HgConv conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, skip_layer{nullptr};
};
TORCH_MODULE(Residual);

// One hourglass of `order` levels: up1 + upsample(low3(low2(low1(pool(x))))), low2 recursing.
class HourglassImpl : public torch::nn::Module {
 public:
  HourglassImpl(int order, int channels);
  torch::Tensor forward(const torch::Tensor& x) { return forward_levels(x, nullptr); }
  // Also appends each level's output, innermost (lowest resolution) first.
  torch::Tensor forward_levels(const torch::Tensor& x, std::vector<torch::Tensor>* levels);

 private:
  Residual up1{nullptr}, low1{nullptr}, low3{nullptr}, low2_residual{nullptr};
  std::shared_ptr<HourglassImpl> low2_hourglass;
};
TORCH_MODULE(Hourglass);

// Keys: stacks (8), channels (256), depth (4 levels; the heatmap sides must be divisible by
// 2^depth). Every stack's heatmaps are outputs (intermediate supervision) and are remapped
// into the feature stream: x += merge_preds(heatmaps) + merge_features(features).
class HourglassNetImpl : public PoseModelImpl {
 public:
  explicit HourglassNetImpl(const ModelSpec& spec);

 protected:
  Trunk forward_trunk(const torch::Tensor& images) override;

 private:
  torch::nn::Sequential pre{nullptr};
  torch::nn::ModuleList hgs{nullptr}, features{nullptr}, outs{nullptr}, merge_features{nullptr}, merge_preds{nullptr};
  std::vector<std::shared_ptr<HourglassImpl>> hourglasses_;
};
TORCH_MODULE(HourglassNet);

}  // namespace posekd::nn
