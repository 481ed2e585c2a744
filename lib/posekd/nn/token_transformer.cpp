#include "posekd/nn/token_transformer.h"

#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/nn/init.h"

namespace posekd::nn {

TokenTransformerImpl::TokenTransformerImpl(const TokenTransformerOptions& o) : options_(o) {
  namespace tnn = torch::nn;
  if (o.feature.height % o.patch.height || o.feature.width % o.patch.width)
    throw UsageError(fmt::format("patch={}x{}: must divide the {}x{} feature map the transformer reads", o.patch.height,
                                 o.patch.width, o.feature.height, o.feature.width));
  if (o.dim % o.heads)
    throw UsageError(fmt::format("dim={}: must be a multiple of heads={}", o.dim, o.heads));
  const int patches = (o.feature.height / o.patch.height) * (o.feature.width / o.patch.width);
  const int patch_dim = o.channels * o.patch.height * o.patch.width;
  patch_to_embedding = register_module("patch_to_embedding", tnn::Linear(patch_dim, o.dim));
  keypoint_token = register_parameter("keypoint_token", torch::zeros({1, o.joints, o.dim}));
  pos_embedding = register_parameter("pos_embedding", torch::zeros({1, patches, o.dim}));
  // Dropout 0: distillation compares teacher and student outputs, which must be deterministic.
  // LibTorch's layer is post-norm (TokenPose is pre-norm); 1.13 has no norm_first.
  auto layer = tnn::TransformerEncoderLayer(tnn::TransformerEncoderLayerOptions(o.dim, o.heads)
                                                .dim_feedforward(o.dim * o.mlp_ratio)
                                                .dropout(0.0)
                                                .activation(torch::kGELU));
  encoder = register_module("encoder", tnn::TransformerEncoder(tnn::TransformerEncoderOptions(layer, o.layers)));
  mlp_head = tnn::Sequential();
  const int hidden = o.outputs / 8;
  if (o.heatmap_mlp && o.dim <= hidden / 2) {
    mlp_head->push_back(tnn::LayerNorm(tnn::LayerNormOptions({o.dim})));
    mlp_head->push_back(tnn::Linear(o.dim, hidden));
    mlp_head->push_back(tnn::LayerNorm(tnn::LayerNormOptions({hidden})));
    mlp_head->push_back(tnn::Linear(hidden, o.outputs));
  } else {
    mlp_head->push_back(tnn::LayerNorm(tnn::LayerNormOptions({o.dim})));
    mlp_head->push_back(tnn::Linear(o.dim, o.outputs));
  }
  register_module("mlp_head", mlp_head);

  // TokenPose: tokens and linear weights N(0, 0.02) (timm's trunc_normal_ cuts at ±2, i.e.
  // ±100σ here, so it is a plain normal), biases 0, LayerNorm 1 and 0.
  torch::NoGradGuard no_grad;
  keypoint_token.normal_(0, 0.02);
  pos_embedding.normal_(0, 0.02);
  init_linear_normal(*this, 0.02);
}

TokenTransformerOutputs TokenTransformerImpl::forward(const torch::Tensor& feature) {
  const auto& o = options_;
  const int64_t n = feature.size(0), c = feature.size(1);
  const int64_t gh = feature.size(2) / o.patch.height, gw = feature.size(3) / o.patch.width;
  // einops 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)', TokenPose's patch order.
  auto patches = feature.reshape({n, c, gh, o.patch.height, gw, o.patch.width})
                     .permute({0, 2, 4, 3, 5, 1})
                     .reshape({n, gh * gw, o.patch.height * o.patch.width * c});
  auto visual = patch_to_embedding(patches) + pos_embedding;
  auto tokens = torch::cat({keypoint_token.expand({n, -1, -1}), visual}, 1);
  // LibTorch 1.13's encoder is sequence-first [S,N,E] (no batch_first).
  tokens = encoder(tokens.transpose(0, 1)).transpose(0, 1);
  TokenTransformerOutputs out;
  out.keypoint_tokens = tokens.narrow(1, 0, o.joints);
  out.visual_tokens = tokens.narrow(1, o.joints, tokens.size(1) - o.joints);
  out.readout = mlp_head->forward(out.keypoint_tokens);
  return out;
}

}  // namespace posekd::nn
