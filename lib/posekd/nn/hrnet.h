#pragma once
// HRNet (Sun et al. 2019) with the attribute names of the official
// deep-high-resolution-net.pytorch pose_hrnet.py: conv1, bn1, conv2, bn2, layer1,
// transition1, stage2, transition2, stage3, transition3, stage4, final_layer.
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "posekd/nn/indexed_modules.h"
#include "posekd/nn/model.h"

namespace posekd::nn {

// Parallel branches of BasicBlocks, then every branch fused into every output resolution
// (1×1 conv + BN + nearest upsampling from lower resolutions, strided 3×3 convs from higher).
class HighResolutionModuleImpl : public torch::nn::Module {
 public:
  HighResolutionModuleImpl(const std::vector<int>& channels, int blocks, bool multi_scale_output);
  std::vector<torch::Tensor> forward(std::vector<torch::Tensor> x);

 private:
  torch::nn::ModuleList branches{nullptr};
  IndexedModules fuse_layers{nullptr};
  std::vector<std::vector<torch::nn::Sequential>> fuse_;
};
TORCH_MODULE(HighResolutionModule);

// Keys: width (32: HRNet-W32; 48: W48), stages (4: the paper's; 2 or 3 stop earlier, as
// TokenPose's HRNet stems do), blocks (4 per branch and in layer1). Stage s has s branches of
// width·2^b channels; stages 2, 3, 4 repeat their module 1, 4 and 3 times; the last stage
// outputs only its highest resolution. Heatmaps are input/4.
class HRNetImpl : public PoseModelImpl {
 public:
  explicit HRNetImpl(const ModelSpec& spec);

 protected:
  Trunk forward_trunk(const torch::Tensor& images) override;

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential layer1{nullptr};
  std::vector<IndexedModules> transitions_;  // transition1..
  std::vector<torch::nn::Sequential> stages_;  // stage2..
};
TORCH_MODULE(HRNet);

// Channels of conv1/conv2 and layer1's planes: the official 64 from width 32 up, 2·width below.
int hrnet_stem_channels(int width);

}  // namespace posekd::nn
