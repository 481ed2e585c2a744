#include "posekd/nn/token_transformer.h"

#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/nn/init.h"

namespace posekd::nn {

torch::Tensor sine_position_embedding(int rows, int cols, int dim) {
  if (dim % 4) throw UsageError(fmt::format("dim={}: the sine position embedding needs a multiple of 4", dim));
  const int half = dim / 2;
  constexpr double two_pi = 6.283185307179586;
  // (index + 1) / count · 2π: the reference's cumsum normalised by its last value (its 1e-6
  // epsilon shifts the angles by under 1e-5 rad and is left out).
  const auto angles = [&](int count) { return torch::arange(1, count + 1, torch::kDouble).div(count).mul(two_pi); };
  const auto y = angles(rows).view({rows, 1, 1}).expand({rows, cols, 1});
  const auto x = angles(cols).view({1, cols, 1}).expand({rows, cols, 1});
  const auto i = torch::arange(half, torch::kDouble);
  const auto temperature = torch::pow(10000.0, 2 * torch::floor(i / 2) / half);
  const auto odd = (torch::remainder(i, 2) == 1);
  const auto encode = [&](const torch::Tensor& angle) {
    const auto a = angle / temperature;
    return torch::where(odd, torch::cos(a), torch::sin(a));
  };
  return torch::cat({encode(y), encode(x)}, 2).reshape({1, rows * cols, dim}).to(torch::kFloat);
}

namespace {
// PyTorch's TransformerEncoderLayer(norm_first=True) with dropout 0 and GELU.
torch::Tensor pre_norm_layer(torch::nn::TransformerEncoderLayerImpl& layer, torch::Tensor x) {
  const auto h = layer.norm1(x);
  x = x + std::get<0>(layer.self_attn->forward(h, h, h, torch::Tensor(), /*need_weights=*/false));
  return x + layer.linear2(torch::gelu(layer.linear1(layer.norm2(x))));
}
}  // namespace

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
  if (o.position == PositionEmbedding::sine_full)
    pos_embedding = register_buffer("pos_embedding", sine_position_embedding(o.feature.height / o.patch.height,
                                                                             o.feature.width / o.patch.width, o.dim));
  else
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
  if (o.position == PositionEmbedding::learnable) pos_embedding.normal_(0, 0.02);
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
  tokens = tokens.transpose(0, 1);
  if (o.position == PositionEmbedding::sine_full || o.pre_norm) {
    // The layers one by one; sine-full adds the table again to the visual tokens before each
    // but the first (which got it with the patch embedding), as DistilPose's Transformer(all_attn).
    const auto table = pos_embedding.transpose(0, 1);  // [P,1,D]
    for (size_t l = 0; l < encoder->layers->size(); ++l) {
      if (l > 0 && o.position == PositionEmbedding::sine_full)
        tokens = torch::cat(
            {tokens.narrow(0, 0, o.joints), tokens.narrow(0, o.joints, tokens.size(0) - o.joints) + table});
      auto& layer = *encoder->layers[l]->as<torch::nn::TransformerEncoderLayerImpl>();
      tokens = o.pre_norm ? pre_norm_layer(layer, tokens) : layer.forward(tokens);
    }
  } else {
    tokens = encoder(tokens);
  }
  tokens = tokens.transpose(0, 1);
  TokenTransformerOutputs out;
  out.keypoint_tokens = tokens.narrow(1, 0, o.joints);
  out.visual_tokens = tokens.narrow(1, o.joints, tokens.size(1) - o.joints);
  out.readout = mlp_head->forward(out.keypoint_tokens);
  return out;
}

}  // namespace posekd::nn
