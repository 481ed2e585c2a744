#pragma once
// DistilPose (Ye et al., CVPR 2023) on a regression student:
//   L = L_reg + α1·L_KT + α2·L_VT + α3·L_SH + α4·L_CS
// L_reg is the gt objective's smooth-L1 (loss/gt_losses.h). The terms here follow the authors'
// code (yshMars/DistilPose, distilpose/models/losses/dist_loss.py): TokenDistilLoss,
// Reg2HMLoss (MSRA encoding, unbiased) and ScoreLoss. Teacher tensors are detached inside.
#include <torch/types.h>

namespace posekd::loss {

// L_KT, L_VT: mean squared error over every element (TokenDistilLoss, nn.MSELoss 'mean').
// Student tokens must already have the teacher's shape (the objective aligns the width).
torch::Tensor token_mse(const torch::Tensor& student_tokens, const torch::Tensor& teacher_tokens);

// From the student's normalised predictions to map pixels: μ = x·scale_x, σ_map = σ·scale_x
// (and y). The standard crop geometry gives scale = map width (height), the reference's
// `mu_x = x·W`; UDP gives input_w·(W−1)/(input_w−1).
struct MapScale {
  double x = 48, y = 64;
};

struct SimulatedHeatmaps {
  torch::Tensor maps;       // [N,K,H,W]
  torch::Tensor in_bounds;  // [N,K] float: 1 where the 3σ window touches the map
};

// exp(−½((u−μx)²/(σx²+1e-9) + (v−μy)²/(σy²+1e-9))) over pixel centres u = 0..W−1, v = 0..H−1,
// zero for joints whose window [μ−3σ, μ+3σ+1] misses the map (the reference's mask: ul < W,
// ul < H, br >= 0). coords, sigma [N,K,2] as fractions of the input.
SimulatedHeatmaps simulated_heatmaps(const torch::Tensor& coords, const torch::Tensor& sigma, int64_t height,
                                     int64_t width, MapScale scale);

// L_SH: HRNet's JointsMSELoss (loss::joints_mse) between the simulated maps and the teacher's
// maps as the teacher gave them (not renormalised, as the reference), weights = `weights` [N,K]
// (the ground-truth target weights) × in_bounds.
torch::Tensor simulated_heatmap_mse(const torch::Tensor& coords, const torch::Tensor& sigma,
                                    const torch::Tensor& teacher_maps, const torch::Tensor& weights, MapScale scale);

// L_CS: mean over N·K of w·|c − T(round(x̂·(W−1)), round(ŷ·(H−1)))|, T the teacher map of the
// joint read at the student's rounded position (x̂ = x clamped to [0, 1]; round half to even as
// torch.round), and 0 when the student's x or y is outside [0, 1]. The reference indexes with
// (W−1) although its simulated maps centre at x·W: reproduced (at most one pixel apart).
// Gradients reach the confidence only. coords [N,K,2], confidence [N,K], maps [N,K,H,W].
torch::Tensor confidence_l1(const torch::Tensor& coords, const torch::Tensor& confidence,
                            const torch::Tensor& teacher_maps, const torch::Tensor& weights);

}  // namespace posekd::loss
