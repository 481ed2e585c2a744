#pragma once
// DDSR's Dynamic Spatial Relation module (DSR×S): S stages that refine a heatmap model's joint
// maps by passing messages from confident joints (anchors) along learned relative-location
// priors. Decisions beyond the paper are in doc/DECISIONS.md, "nn: DSR (DDSR relation module)".
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <vector>

#include "posekd/nn/model_spec.h"

namespace posekd::nn {

struct DsrOptions {
  int stages = 4;                  // S, DSR×4
  double anchor_threshold = 0.75;  // τ: a joint whose map peaks above it is an anchor
  // Width of the FC on vectorised maps, factorised as Linear(in, width) → Linear(width, out);
  // 0: one full Linear(in, out) (h·w × h·w weights).
  int fc_width = 64;
};

// [N,K] 1 where the joint's map peaks above `threshold`, else 0 (no gradient).
torch::Tensor anchor_mask(const torch::Tensor& heatmaps, double threshold);

// Norm(D): each pair's counts [K,K,2h,2w] divided by their maximum; pairs never seen stay 0.
torch::Tensor normalize_relation_counts(const torch::Tensor& counts);

// Eq. 6 given the transformed features: for every target joint j,
//   ReLU( (1/N_A) Σ_{i∈A, i≠j} (ds(P_ij ⊙ h'_eij) + b_ij) + h'_vj )
// with ds the nearest downsampling [2h,2w] → [h,w], which reads cell (2y, 2x) (PyTorch's
// 'nearest'). ds commutes with the product, so only the cells it keeps are passed:
// edge [N,K,K,h,w] = ds(h'_e) with edge[:,i,j] for i → j, relation [K,K,h,w] = ds(P) (see
// keep_downsampled_cells). node [N,K,h,w] = h'_v; bias [K,K]; anchors [N,K] from anchor_mask.
// The relation term is 0 where no other joint is an anchor.
torch::Tensor propagate_relations(const torch::Tensor& node, const torch::Tensor& edge, const torch::Tensor& relation,
                                  const torch::Tensor& bias, const torch::Tensor& anchors);

// ds: [...,2h,2w] → [...,h,w], the even rows and columns.
torch::Tensor keep_downsampled_cells(const torch::Tensor& grid);

// BN → vectorise → FC → reshape, one per channel group: [N,C,h,w] → [N,C,out_h,out_w]. The
// last Linear starts at zero, so the FC's output starts at 0; with `residual` (in = out) the
// module returns maps + FC(BN(maps)) and starts as the identity.
class MapFcImpl : public torch::nn::Module {
 public:
  MapFcImpl(int channels, InputSize in, InputSize out, int width, bool residual = false);
  torch::Tensor forward(const torch::Tensor& maps);

 private:
  InputSize out_;
  bool residual_;
  torch::nn::BatchNorm2d norm{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(MapFc);

// One DSR stage s: h^(s) → h^(s+1). h'_v = h_v + FC(BN(h_v)) and h'_e = FC(BN(h_e)), both FCs
// zero at the start: a new stage returns ReLU(h^(s)), so DSR×S starts from the base model's
// maps (and its AP) rather than from noise (doc/DECISIONS.md).
class DsrStageImpl : public torch::nn::Module {
 public:
  DsrStageImpl(int joints, InputSize heatmap, int fc_width);
  torch::Tensor forward(const torch::Tensor& maps, const torch::Tensor& relation, double anchor_threshold);

 private:
  int joints_;
  MapFc node{nullptr}, edge{nullptr};
  torch::Tensor bias;  // b_ij [K,K]
};
TORCH_MODULE(DsrStage);

class DynamicSpatialRelationImpl : public torch::nn::Module {
 public:
  DynamicSpatialRelationImpl(int joints, InputSize heatmap, DsrOptions options);

  // The stages' outputs h^(1) … h^(S) for base heatmaps [N,K,h,w]; the last is the prediction.
  std::vector<torch::Tensor> forward(const torch::Tensor& heatmaps);

  // P = Conv7×7(Norm(D)) [K,K,2h,2w], shared by all stages.
  torch::Tensor edge_weights();

  // D, [K,K,2h,2w] (train/dsr_statistics.h). A buffer, so it is checkpointed with the module.
  void set_relation_counts(const torch::Tensor& counts);
  const torch::Tensor& relation_counts() const { return relation_counts_; }
  const DsrOptions& options() const { return options_; }

 private:
  int joints_;
  InputSize heatmap_;
  DsrOptions options_;
  torch::Tensor relation_counts_;
  torch::nn::Conv2d relation_conv{nullptr};
  torch::nn::ModuleList stages{nullptr};
};
TORCH_MODULE(DynamicSpatialRelation);

}  // namespace posekd::nn
