#include "posekd/nn/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "posekd/core/error.h"
#include "posekd/nn/hourglass.h"
#include "posekd/nn/hrnet.h"
#include "posekd/nn/init.h"
#include "posekd/nn/refiner.h"
#include "posekd/nn/simple_baseline.h"
#include "posekd/nn/tokenpose.h"

namespace posekd::nn {
namespace {

std::string sizes_text(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s + "]";
}

TokenTransformerOptions token_options(const ModelSpec& spec, int channels, InputSize feature, int outputs) {
  TokenTransformerOptions o;
  o.channels = channels;
  o.feature = feature;
  o.patch = spec.get_size("patch");
  o.dim = spec.get_int("dim");
  o.layers = spec.get_int("layers");
  o.heads = spec.get_int("heads");
  o.mlp_ratio = spec.get_int("mlp");
  o.joints = spec.joints();
  o.outputs = outputs;
  return o;
}

}  // namespace

const torch::Tensor& ModelOutputs::final_heatmaps() const {
  if (heatmaps.empty()) throw Error("model outputs: this model has no heatmap head");
  return heatmaps.back();
}

const torch::Tensor& ModelOutputs::feature(const std::string& name) const {
  std::string names;
  for (const auto& f : features) {
    if (f.name == name) return f.value;
    names += (names.empty() ? "" : ", ") + f.name;
  }
  throw UsageError(fmt::format("model outputs: no feature \"{}\" (this model has: {})", name, names));
}

void PoseModelImpl::build_head(int channels, bool heatmap_layer) {
  namespace tnn = torch::nn;
  const int k = info_.joints;
  switch (info_.head) {
    case HeadType::heatmap:
      if (heatmap_layer) {
        final_layer_ = register_module("final_layer", tnn::Conv2d(tnn::Conv2dOptions(channels, k, 1)));
        init_conv_normal(*final_layer_, 0.001);
      }
      break;
    case HeadType::simcc: {
      // SimCC (Li et al. 2022): 1×1 conv to K maps, flatten, one linear layer per axis onto
      // floor(size · k) bins. mmpose's init: convs N(0, 0.001), linears N(0, 0.01).
      const double split = info_.spec.get_real("split");
      const int64_t flat = int64_t(info_.heatmap.height) * info_.heatmap.width;
      final_layer_ = register_module("final_layer", tnn::Conv2d(tnn::Conv2dOptions(channels, k, 1)));
      mlp_head_x_ = register_module("mlp_head_x", tnn::Linear(flat, int64_t(std::floor(info_.input.width * split))));
      mlp_head_y_ = register_module("mlp_head_y", tnn::Linear(flat, int64_t(std::floor(info_.input.height * split))));
      init_conv_normal(*final_layer_, 0.001);
      init_linear_normal(*mlp_head_x_, 0.01);
      init_linear_normal(*mlp_head_y_, 0.01);
      break;
    }
    case HeadType::regression: {
      auto o = token_options(info_.spec, channels, info_.heatmap, 5);
      o.position = info_.spec.get("pos") == "sine-full" ? PositionEmbedding::sine_full : PositionEmbedding::learnable;
      o.pre_norm = info_.spec.get("norm") == "pre";
      transformer_ = register_module("transformer", TokenTransformer(o));
      break;
    }
  }
}

void PoseModelImpl::build_token_heatmap_head(int channels) {
  auto o = token_options(info_.spec, channels, info_.heatmap, info_.heatmap.height * info_.heatmap.width);
  o.heatmap_mlp = true;
  transformer_ = register_module("transformer", TokenTransformer(o));
}

ModelOutputs PoseModelImpl::forward(const torch::Tensor& images) {
  if (images.dim() != 4 || images.size(1) != 3 || images.size(2) != info_.input.height ||
      images.size(3) != info_.input.width)
    throw Error(fmt::format("{}: input images: expected [N,3,{},{}], found {}", info_.spec.str(), info_.input.height,
                            info_.input.width, sizes_text(images)));
  if (!refiner_) return forward_base(images);
  ModelOutputs out;
  {
    std::optional<torch::NoGradGuard> no_grad;
    if (base_frozen_) no_grad.emplace();
    out = forward_base(images);
  }
  refiner_->refine(out);
  return out;
}

void PoseModelImpl::set_refiner(Refiner refiner, bool freeze_base) {
  if (refiner_) throw Error(fmt::format("model {}: a refiner is already attached", info_.spec.str()));
  if (!refiner) throw Error(fmt::format("model {}: no refiner to attach", info_.spec.str()));
  if (freeze_base)
    for (auto& p : parameters()) p.set_requires_grad(false);
  refiner_ = register_module("refiner", std::move(refiner));
  base_frozen_ = freeze_base;
  train(is_training());
}

std::string PoseModelImpl::refiner_spec() const { return refiner_ ? refiner_->spec().str() : std::string(); }

void PoseModelImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (!base_frozen()) return;
  for (const auto& child : named_children())
    if (child.key() != "refiner") child.value()->eval();
}

ModelOutputs PoseModelImpl::forward_base(const torch::Tensor& images) {
  Trunk trunk = forward_trunk(images);
  ModelOutputs out;
  out.features = std::move(trunk.features);
  std::stable_sort(out.features.begin(), out.features.end(), [](const NamedFeature& a, const NamedFeature& b) {
    return a.value.size(2) * a.value.size(3) < b.value.size(2) * b.value.size(3);
  });
  out.heatmaps = std::move(trunk.heatmaps);
  const int64_t n = images.size(0);
  if (transformer_) {
    auto t = transformer_->forward(trunk.feature);
    out.keypoint_tokens = t.keypoint_tokens;
    out.visual_tokens = t.visual_tokens;
    if (info_.head == HeadType::regression) {
      const auto& r = t.readout;
      out.coords = r.narrow(2, 0, 2).sigmoid();
      // DistilPose: σ = softplus(·) in heatmap pixels (0.69 px at the start, the teacher's maps
      // are ~2 px), given here as a fraction of the input like x and y. A sigmoid fraction
      // started at half the map, a blob L_SH needed hundreds of steps to shrink.
      const auto per_map_pixel = torch::tensor({1.0 / info_.heatmap.width, 1.0 / info_.heatmap.height}, r.options());
      out.sigma = torch::softplus(r.narrow(2, 2, 2)) * per_map_pixel;
      out.score = r.select(2, 4).sigmoid();
    } else {
      out.heatmaps.push_back(t.readout.reshape({n, info_.joints, info_.heatmap.height, info_.heatmap.width}));
    }
  } else if (info_.head == HeadType::simcc) {
    auto flat = final_layer_(trunk.feature).flatten(2);
    out.simcc_x = mlp_head_x_(flat);
    out.simcc_y = mlp_head_y_(flat);
  } else if (final_layer_) {
    out.heatmaps.push_back(final_layer_(trunk.feature));
  }
  return out;
}

PoseModel make_model(const ModelSpec& spec, uint64_t seed) {
  torch::manual_seed(seed);
  const std::string& name = spec.name();
  if (name == "hourglass") return HourglassNet(spec).ptr();
  if (name == "resnet") return SimpleBaseline(spec).ptr();
  if (name == "hrnet") return HRNet(spec).ptr();
  if (name == "tokenpose") return TokenPose(spec).ptr();
  throw UsageError(fmt::format("model spec \"{}\": unknown model \"{}\"", spec.str(), name));
}

}  // namespace posekd::nn
