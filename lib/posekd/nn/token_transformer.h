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

// How visual tokens learn where they are. `learnable`: a trained [1,P,D] table added once
// (TokenPose's default). `sine_full`: DETR's fixed 2-D sine table, added to the visual tokens
// before every layer (DistilPose's `sine-full`): a regression head reads coordinates out of
// attention over visual tokens, and with a learned table initialised at N(0, 0.02) the tokens
// carry almost no position for many epochs (doc/DECISIONS.md, "quick regression student").
enum class PositionEmbedding { learnable, sine_full };

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
  PositionEmbedding position = PositionEmbedding::learnable;
  // Pre-norm layers, x + attn(LN(x)) then x + mlp(LN(x)), as TokenPose and DistilPose, with
  // LibTorch's layer modules (same state names; 1.13 has no norm_first). Post-norm (LibTorch's
  // LN(x + attn(x))) drowns the keypoint tokens, initialised at N(0, 0.02), in the attention
  // output, so every joint starts with nearly the same query (doc/DECISIONS.md).
  bool pre_norm = false;
};

// DETR's / TokenPose's 2-D sine table for a grid×grid of patches, [1, rows·cols, dim] in row-major
// patch order: the first dim/2 channels encode the row, the rest the column, each as
// sin, cos pairs of (index+1)/count·2π over temperatures 10000^(2⌊i/2⌋/(dim/2)). dim % 4 == 0.
torch::Tensor sine_position_embedding(int rows, int cols, int dim);

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
