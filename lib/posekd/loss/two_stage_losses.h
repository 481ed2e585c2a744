#pragma once
// Stage 1 of the coarse-to-fine two-stage distillation, on a SimCC student:
//   L = L_KL + γ(t)·α·L_fea + γ(t)·β·L_pos,   γ(t) = 1 − (t−1)/T
// L_KL is the gt objective's SimCC KL (loss/gt_losses.h) on label-smoothed targets; the terms
// here are the teacher's. Teacher tensors are detached inside: gradients reach the student only.
#include <torch/types.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace posekd::loss {

// γ(t) = 1 − (t−1)/T for the 1-based epoch t = epoch + 1 of T (DWPose's first-stage weight
// decay, mmpose's `1 − epoch/max_epochs` with its 0-based epoch): 1 in the first epoch, 1/T in
// the last.
double two_stage_decay(int64_t epoch, int64_t epochs);

// Differentiable SimCC joint positions: the expectation of the bin index under
// softmax(β·logits) restricted to the bins within `radius` of the vector's maximum (radius <=
// 0: every bin), divided by the split ratio k (bin b is input pixel b/k, as the encoder's
// round(x·k)). The window keeps the position where the argmax decoder reads it: over the whole
// vector, the tails of a still-flat softmax pull the mean away from the mode, and L1 on that
// mean tilts the whole vector instead of moving its peak (doc/DECISIONS.md).
// logits [N,K,bins] per axis -> [N,K,2] (x, y) in input pixels.
torch::Tensor simcc_expected_positions(const torch::Tensor& logits_x, const torch::Tensor& logits_y,
                                       double split_ratio, double beta, double radius = 0);

// L_fea, mmpose's FeaLoss (DWPose): ‖S − T‖² summed over channels and pixels, divided by the
// batch size N (which is why α is as small as 5e-5). `aligned_student` [N,C,h,w] is the
// student's map after the 1×1 alignment; when its h×w differs from the teacher's [N,C,H,W] it
// is resized bilinearly (half-pixel centres, align_corners = false) to H×W, so the teacher's
// map is compared as it is.
torch::Tensor feature_distill_mse(const torch::Tensor& aligned_student, const torch::Tensor& teacher);

struct PoseStructureTerms {
  torch::Tensor position;  // L1 between joint positions
  torch::Tensor bones;     // Σ_edges w_ij·|ê^T_ij − ê^S_ij|
  torch::Tensor total() const { return position + bones; }
};

// The setting the paper's weights (α = 5e-5, β = 0.1, DWPose's) were set in: RTMPose's COCO
// recipe, 256 samples per GPU at 256×192 (h×w). L_KL, mmpose's KLDiscretLoss, sums over the
// batch while the teacher terms are per-sample; the objective scales them by N/256 and measures
// L_pos in pixels of this input, so that α and β weigh them against L_KL as the paper does at
// any batch and input size (doc/DECISIONS.md, two-stage).
inline constexpr int64_t kPaperBatch = 256;
inline constexpr int64_t kPaperInputWidth = 192;
inline constexpr int64_t kPaperInputHeight = 256;

// Positions [N,K,2] in pixels of a width×height input -> pixels of the paper's 192×256 input
// (x·192/width, y·256/height).
torch::Tensor paper_input_pixels(const torch::Tensor& pixels, int64_t width, int64_t height);

// L_pos, summed over the batch (the objective divides by kPaperBatch). Positions [N,K,2] (the
// objective passes pixels of the paper's input); `mask` [N,K] (1 for the joints to compare):
// position = Σ_n (1/(K·2)) Σ_k,d m_nk·|P^S − P^T| (per sample, mmpose's L1Loss with target
// weights);
// bones = Σ_n Σ_(i,j) w_ij · m_ni·m_nj · |‖P^T_j − P^T_i‖ − ‖P^S_j − P^S_i‖| with
// w_ij = `edge_weights` (empty: 1/|E| for every edge, so a sample's term is its mean
// bone-length error, on the scale of its position term). An edge counts only when both of its
// joints are in the mask.
PoseStructureTerms pose_structure_l1(const torch::Tensor& student, const torch::Tensor& teacher,
                                     const torch::Tensor& mask, const std::vector<std::pair<int, int>>& edges,
                                     const std::vector<double>& edge_weights = {});

}  // namespace posekd::loss
