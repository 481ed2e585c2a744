#pragma once
// ResNet's residual blocks with torchvision's attribute names (conv1, bn1, ..., downsample),
// shared by SimpleBaseline, HRNet and the TokenPose stem.
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

namespace posekd::nn {

// 3×3 → 3×3, expansion 1.
class BasicBlockImpl : public torch::nn::Module {
 public:
  static constexpr int expansion = 1;
  BasicBlockImpl(int inplanes, int planes, int stride = 1, torch::nn::Sequential downsample = nullptr);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

// 1×1 → 3×3 (stride here, as torchvision ≥ 0.5 and SimpleBaseline) → 1×1, expansion 4.
class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int expansion = 4;
  BottleneckImpl(int inplanes, int planes, int stride = 1, torch::nn::Sequential downsample = nullptr);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

enum class BlockKind { basic, bottleneck };

int block_expansion(BlockKind kind);

// torchvision's _make_layer: `blocks` blocks, the first with stride and a 1×1 conv + BN
// downsample when the shape changes. `inplanes` is updated to the layer's output channels.
torch::nn::Sequential make_res_layer(BlockKind kind, int& inplanes, int planes, int blocks, int stride = 1);

}  // namespace posekd::nn
