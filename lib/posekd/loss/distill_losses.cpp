#include "posekd/loss/distill_losses.h"

#include <torch/torch.h>

#include "posekd/core/error.h"
#include "posekd/loss/gt_losses.h"

namespace posekd::loss {

FpdLoss fpd_loss(const std::vector<torch::Tensor>& stacks, const torch::Tensor& teacher_maps,
                 const torch::Tensor& gt_maps, const torch::Tensor& weights, double alpha) {
  if (stacks.empty()) throw Error("fpd loss: the student gave no heatmaps");
  const torch::Tensor teacher = teacher_maps.detach();
  FpdLoss l;
  l.teacher = alpha * stacked_joints_mse(stacks, teacher, weights);
  l.ground_truth = (1 - alpha) * stacked_joints_mse(stacks, gt_maps, weights);
  return l;
}

torch::Tensor soft_argmax(const torch::Tensor& maps, double beta) {
  const int64_t B = maps.size(0), K = maps.size(1), h = maps.size(2), w = maps.size(3);
  const auto p = torch::softmax(maps.reshape({B, K, h * w}) * beta, 2).reshape({B, K, h, w});
  const auto opts = maps.options();
  const auto xs = torch::arange(w, opts), ys = torch::arange(h, opts);
  const auto x = (p.sum(2) * xs).sum(2);  // marginal over rows, then E[x]
  const auto y = (p.sum(3) * ys).sum(2);
  return torch::stack({x, y}, 2);
}

namespace {

// [B,K,K] offsets x_j − x_i (or y) -> [B,K,K,cells] Gaussian profile over cells u, centred at
// the offset + half (the grid's zero).
torch::Tensor edge_profile(const torch::Tensor& coordinate, int64_t cells, double sigma) {
  const auto offset = coordinate.unsqueeze(1) - coordinate.unsqueeze(2);  // [B,i,j] = c_j − c_i
  const auto grid = torch::arange(cells, coordinate.options()) - double(cells / 2);
  const auto d = grid.view({1, 1, 1, cells}) - offset.unsqueeze(3);
  return torch::exp(-(d * d) / (2 * sigma * sigma));
}

}  // namespace

torch::Tensor edge_maps(const torch::Tensor& positions, int width, int height, double sigma) {
  const auto gx = edge_profile(positions.select(2, 0), 2 * width, sigma);
  const auto gy = edge_profile(positions.select(2, 1), 2 * height, sigma);
  return gy.unsqueeze(4) * gx.unsqueeze(3);  // [B,K,K,2h,2w]
}

SkdLoss skd_loss(const torch::Tensor& student_maps, const torch::Tensor& teacher_maps,
                 const torch::Tensor& student_positions, const torch::Tensor& teacher_positions, double sigma) {
  if (student_maps.sizes() != teacher_maps.sizes())
    throw Error("skd loss: student and teacher joint maps differ in shape");
  const int64_t B = student_maps.size(0), K = student_maps.size(1);
  const int64_t h = student_maps.size(2), w = student_maps.size(3);
  const auto tpos = teacher_positions.detach();
  const auto sx = edge_profile(student_positions.select(2, 0), 2 * w, sigma);
  const auto sy = edge_profile(student_positions.select(2, 1), 2 * h, sigma);
  const auto tx = edge_profile(tpos.select(2, 0), 2 * w, sigma);
  const auto ty = edge_profile(tpos.select(2, 1), 2 * h, sigma);
  // ‖a_x a_yᵀ − b_x b_yᵀ‖² = |a_x|²|a_y|² + |b_x|²|b_y|² − 2 (a_x·b_x)(a_y·b_y)
  const auto dot = [](const torch::Tensor& a, const torch::Tensor& b) { return (a * b).sum(3); };
  const auto edge_sq = dot(sx, sx) * dot(sy, sy) + dot(tx, tx) * dot(ty, ty) - 2 * dot(sx, tx) * dot(sy, ty);
  SkdLoss l;
  l.edge = edge_sq.sum() / double(B * K * K);
  const auto diff = student_maps - teacher_maps.detach();
  l.joint = (diff * diff).sum() / double(B * K);
  return l;
}

}  // namespace posekd::loss
