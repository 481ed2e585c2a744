#pragma once
// TokenPose's keypoint-token transformer (Li et al. 2021), shared by the TokenPose heatmap
// teacher and the DistilPose regression student: patches of a feature map become visual
// tokens, K learned keypoint tokens join them, and an MLP reads each keypoint token out.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/transformercoder.h>

#include "posekd/nn/model_spec.h"

namespace posekd::nn {

struct TokenTransformerOptions {
  int channels = 0;    // of the feature map
  InputSize feature;   // its size
  InputSize patch;     // in feature pixels
  int dim = 192;
  int layers = 12;
  int heads = 8;
  int mlp_ratio = 3;   // feed-forward width = dim · mlp_ratio
  int joints = 17;
  int outputs = 5;     // per keypoint token: h·w for heatmaps, 5 for x, y, σx, σy, score
  // TokenPose's head: LayerNorm, Linear(dim, hidden), LayerNorm, Linear(hidden, outputs) with
  // hidden = outputs / 8 when dim <= hidden / 2; LayerNorm, Linear(dim, outputs) otherwise.
  bool heatmap_mlp = false;
};

struct TokenTransformerOutputs {
  torch::Tensor keypoint_tokens;  // [N,K,D]
  torch::Tensor visual_tokens;    // [N,P,D]
  torch::Tensor readout;          // [N,K,outputs]
};

class TokenTransformerImpl : public torch::nn::Module {
 public:
  explicit TokenTransformerImpl(const TokenTransformerOptions& options);
  TokenTransformerOutputs forward(const torch::Tensor& feature);
  const TokenTransformerOptions& options() const { return options_; }

 private:
  TokenTransformerOptions options_;
  torch::nn::Linear patch_to_embedding{nullptr};
  torch::Tensor keypoint_token, pos_embedding;
  torch::nn::TransformerEncoder encoder{nullptr};
  torch::nn::Sequential mlp_head{nullptr};
};
TORCH_MODULE(TokenTransformer);

}  // namespace posekd::nn
