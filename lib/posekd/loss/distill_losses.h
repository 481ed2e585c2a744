#pragma once
// Losses of pose-distill's heatmap objectives (fpd, skd). Teacher tensors are detached inside:
// gradients reach the student only.
#include <torch/types.h>

#include <vector>

namespace posekd::loss {

// FPD (Zhang et al., CVPR 2019, Eq. 4): per supervised stack,
// α·joints_mse(stack, teacher) + (1−α)·joints_mse(stack, gt), both with the ground-truth
// target weights; summed over stacks. Returned as its two weighted parts.
struct FpdLoss {
  torch::Tensor teacher, ground_truth;  // α·Σ MSE(S, T), (1−α)·Σ MSE(S, GT)
  torch::Tensor total() const { return teacher + ground_truth; }
};
FpdLoss fpd_loss(const std::vector<torch::Tensor>& stacks, const torch::Tensor& teacher_maps,
                 const torch::Tensor& gt_maps, const torch::Tensor& weights, double alpha);

// Soft-argmax: the expectation of the pixel coordinates under softmax(β·map) per joint.
// maps [B,K,h,w] -> [B,K,2] (x, y) in map pixels, differentiable.
torch::Tensor soft_argmax(const torch::Tensor& maps, double beta);

// DDSR's edge maps: m_eij is a Gaussian of σ centred at (x_j − x_i, y_j − y_i) on a grid of
// 2w × 2h cells whose cell (u, v) stands for the offset (u − w, v − h). positions [B,K,2] ->
// [B,K,K,2h,2w] (for tests and small K; the loss never builds it).
torch::Tensor edge_maps(const torch::Tensor& positions, int width, int height, double sigma);

// DDSR spatial knowledge distillation, the two parts of L_SKD:
//   edge  = (1/N²) Σ_ij ‖m^S_eij − m^T_eij‖²   (edge maps from soft-argmax positions)
//   joint = (1/N)  Σ_i  ‖m^S_vi − m^T_vi‖²     (the joint heatmaps)
// with N the joint count and ‖·‖² the sum of squares over the map, averaged over the batch.
// positions in student map pixels, [B,K,2]; maps [B,K,h,w] at the student's size; the grid is
// [2w, 2h] of that size. The edge maps are separable, so the sum of squares is computed from
// 1-D profiles and equals the full maps' (unit test) at K² · (2w + 2h) instead of K² · 4wh cost.
struct SkdLoss {
  torch::Tensor edge, joint;
};
SkdLoss skd_loss(const torch::Tensor& student_maps, const torch::Tensor& teacher_maps,
                 const torch::Tensor& student_positions, const torch::Tensor& teacher_positions, double sigma);

}  // namespace posekd::loss
