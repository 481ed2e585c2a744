#pragma once
// The common surface of every pose model (DESIGN 3.5): a spec in, a module out, and one output
// struct that carries whatever the head and the distillation objectives need.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "posekd/nn/model_spec.h"
#include "posekd/nn/token_transformer.h"

namespace posekd::nn {

struct NamedFeature {
  std::string name;  // where it comes from, e.g. "layer3", "stage3.branch1"
  torch::Tensor value;
};

struct ModelOutputs {
  // Heatmap heads: one [N,K,h,w] map per stack, all supervised (intermediate supervision); the
  // last is the prediction. A single-stage model has one.
  std::vector<torch::Tensor> heatmaps;
  // SimCC: [N,K,W·k] and [N,K,H·k] logits over sub-pixel bins of the input (split ratio k).
  torch::Tensor simcc_x, simcc_y;
  // Regression (DistilPose): [N,K,2] x, y and σx, σy as fractions of the input width and
  // height (sigmoid), [N,K] confidence (sigmoid).
  torch::Tensor coords, sigma, score;
  // Transformer models: [N,K,D] keypoint tokens and [N,P,D] visual (patch) tokens.
  torch::Tensor keypoint_tokens, visual_tokens;
  // Intermediate feature maps for feature distillation and the refiners, ordered from low to
  // high resolution; at least three.
  std::vector<NamedFeature> features;
  // Refiners that regress coordinates (igp): every stage's [N,K,2] in `coords`' units, each
  // supervised; the last is `coords`.
  std::vector<torch::Tensor> coord_stages;

  const torch::Tensor& final_heatmaps() const;
  const torch::Tensor& feature(const std::string& name) const;
};

struct ModelInfo {
  ModelSpec spec;
  InputSize input;
  InputSize heatmap;  // resolution of the heatmaps, SimCC's reference and DistilPose's simulated maps
  int joints = 0;
  HeadType head = HeadType::heatmap;
  int stacks = 1;  // heatmaps per forward
};

class RefinerImpl;
using Refiner = std::shared_ptr<RefinerImpl>;

class PoseModelImpl : public torch::nn::Module {
 public:
  // Checks that `images` is [N,3,H,W] at the model's input size. With a refiner, the refined
  // outputs.
  ModelOutputs forward(const torch::Tensor& images);
  const ModelInfo& info() const { return info_; }

  // A refiner (pose-refine-gcn) becomes the submodule "refiner", so its parameters are the
  // model's "refiner.*" and every tool that runs the model gets refined outputs. A frozen
  // base gets no gradients (requires_grad off), runs without autograd and stays in eval
  // mode whatever train() says, so its BatchNorm statistics do not move. Use
  // nn::attach_refiner (nn/refiner.h), which builds the refiner for this model.
  void set_refiner(Refiner refiner, bool freeze_base);
  const Refiner& refiner() const { return refiner_; }
  // The refiner's canonical spec, "" without one (the checkpoint's refiner_spec).
  std::string refiner_spec() const;
  bool base_frozen() const { return refiner_ && base_frozen_; }
  void train(bool on = true) override;

 protected:
  explicit PoseModelImpl(ModelInfo info) : info_(std::move(info)) {}

  // What a backbone hands to the head: the feature map at heatmap resolution, the named
  // features, and heatmaps when the backbone makes its own (hourglass stacks).
  struct Trunk {
    torch::Tensor feature;
    std::vector<NamedFeature> features;
    std::vector<torch::Tensor> heatmaps;
  };
  virtual Trunk forward_trunk(const torch::Tensor& images) = 0;
  ModelOutputs forward_base(const torch::Tensor& images);

  // Registers the head on this module under the reference implementations' attribute names:
  // final_layer (HRNet, SimpleBaseline), mlp_head_x/mlp_head_y (SimCC), transformer
  // (TokenPose, DistilPose). `heatmap_layer` false: the backbone makes its own heatmaps.
  void build_head(int channels, bool heatmap_layer);
  void build_token_heatmap_head(int channels);
  InputSize& heatmap_size() { return info_.heatmap; }

 private:
  ModelInfo info_;
  torch::nn::Conv2d final_layer_{nullptr};
  torch::nn::Linear mlp_head_x_{nullptr}, mlp_head_y_{nullptr};
  TokenTransformer transformer_{nullptr};
  Refiner refiner_;
  bool base_frozen_ = false;
};

using PoseModel = std::shared_ptr<PoseModelImpl>;

// Builds the model of `spec` with weights initialised as its reference code does, from `seed`.
// Throws UsageError when the input size does not suit the architecture.
PoseModel make_model(const ModelSpec& spec, uint64_t seed = 0);
inline PoseModel make_model(const std::string& spec, uint64_t seed = 0) { return make_model(ModelSpec::parse(spec), seed); }

}  // namespace posekd::nn
