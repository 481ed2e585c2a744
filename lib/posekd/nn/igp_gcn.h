#pragma once
// IGP-GCN, the image-guided progressive graph network of OPEC-Net (Qiu et al., ECCV 2020), as
// stage 2 of the coarse-to-fine two-stage distillation: a graph over the skeleton's joints
// whose nodes start from the frozen base model's pose P_init (x, y, score), one graph
// convolution, then three residual GCN attention blocks, block i fed the image features
// sampled at P_init (bilinear grid_sample) from the i-th of three feature maps, coarse to
// fine; each block outputs a refined pose P̂_i.
//
// Attribute names follow OPEC-Net's SemGCN_Attention (gconv_input, gconv_layers.i,
// gconv_output.i; SemGraphConv's W, e, bias), so a PyTorch port loads the arrays by name.
// Departure from OPEC-Net: a stage outputs P_init + an offset instead of absolute
// coordinates, with the output convolutions initialised to zero, so the refined model starts
// as exactly the base model (OPEC-Net starts from a random pose and needs its own heatmap
// loss to get going; a distillation stage should never start worse than its base).
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

#include <string>
#include <vector>

#include "posekd/nn/refiner.h"

namespace posekd::nn {

// OPEC-Net's SemGraphConv (after SemGCN, Zhao et al. 2019): per node h0 = x·W[0] for the node
// itself and h1 = x·W[1] for its neighbours, mixed by a row softmax of learned weights e over
// the adjacency (self-loops included). x [N,K,in] -> [N,K,out].
class SemGraphConvImpl : public torch::nn::Module {
 public:
  // `adjacency`: [K,K] bool, symmetric, diagonal set.
  SemGraphConvImpl(int64_t in, int64_t out, torch::Tensor adjacency);
  torch::Tensor forward(const torch::Tensor& x);
  // The row-softmaxed adjacency weights, [K,K] (zero off the graph).
  torch::Tensor mixing() const;
  void zero_();  // W and bias 0: the layer outputs zeros (IGP's stage outputs start so)

 private:
  torch::Tensor adjacency_;
  torch::Tensor W, e, bias;
};
TORCH_MODULE(SemGraphConv);

// SemGraphConv, BatchNorm over channels, ReLU (OPEC-Net's _GraphConv).
class GraphConvBlockImpl : public torch::nn::Module {
 public:
  GraphConvBlockImpl(int64_t in, int64_t out, const torch::Tensor& adjacency);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  SemGraphConv gconv{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
TORCH_MODULE(GraphConvBlock);

// Per-node gates from the channels' mean over nodes: x + x·σ(FC(ReLU(FC(mean)))) (OPEC-Net's
// Node_Attention, squeeze-and-excitation over joints).
class NodeAttentionImpl : public torch::nn::Module {
 public:
  NodeAttentionImpl(int64_t channels, int64_t joints);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Sequential squeeze{nullptr};
};
TORCH_MODULE(NodeAttention);

// Two graph convolutions (width/2 between), the input added back, BatchNorm, ReLU, node
// attention (OPEC-Net's _ResGraphConv_Attention). [N,K,width] -> [N,K,width].
class ResGraphAttentionImpl : public torch::nn::Module {
 public:
  ResGraphAttentionImpl(int64_t width, const torch::Tensor& adjacency);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  GraphConvBlock gconv1{nullptr};
  SemGraphConv gconv2{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
  NodeAttention attention{nullptr};
};
TORCH_MODULE(ResGraphAttention);

// [K,K] bool: the skeleton's edges both ways and every joint to itself.
torch::Tensor skeleton_adjacency(const Skeleton& skeleton);

// The three features IGP reads, coarse to fine. "auto": going from the finest resolution
// down, the last feature the model computes at each resolution (the deconvolution head's
// output rather than layer1; HRNet's fused stage rather than its input branch), three
// resolutions. Throws UsageError naming the model's features when it has too few or lacks a
// named one.
std::vector<std::string> igp_features(const std::string& key, const ModelOutputs& probe, const std::string& model);

class IgpGcnImpl : public RefinerImpl {
 public:
  IgpGcnImpl(const ModelSpec& spec, const RefinerBase& base);
  void refine(ModelOutputs& outputs) override;
  const std::vector<std::string>& feature_names() const { return features_; }

 private:
  ModelInfo base_;
  CropGeometry geometry_;
  bool dark_decoding_ = false;  // P_init as the base decodes it (RefinerBase::dark_decoding)
  std::vector<std::string> features_;
  GraphConvBlock gconv_input{nullptr};
  torch::nn::ModuleList gconv_layers{nullptr}, gconv_output{nullptr};
};
TORCH_MODULE(IgpGcn);

}  // namespace posekd::nn
