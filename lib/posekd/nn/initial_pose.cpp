#include "posekd/nn/initial_pose.h"

#include <fmt/format.h>

#include "posekd/core/error.h"

namespace posekd::nn {
namespace {

InitialPose from_heatmaps(const torch::Tensor& maps, const ModelInfo& info, CropGeometry geometry) {
  const int64_t n = maps.size(0), k = maps.size(1), h = maps.size(2), w = maps.size(3);
  const torch::Tensor flat = maps.reshape({n, k, h * w});
  const auto [score, index] = flat.max(2);
  const torch::Tensor x = index.remainder(w), y = index.div(w, "floor");
  const auto neighbour = [&](int64_t step) { return flat.gather(2, (index + step).clamp(0, h * w - 1).unsqueeze(2)).squeeze(2); };
  const torch::Tensor inside = (x > 1) & (x < w - 1) & (y > 1) & (y < h - 1);
  const torch::Tensor dx = torch::sign(neighbour(1) - neighbour(-1)) * 0.25 * inside;
  const torch::Tensor dy = torch::sign(neighbour(w) - neighbour(-w)) * 0.25 * inside;
  const Affine2D to_input =
      input_to_heatmap(info.input.width, info.input.height, int(w), int(h), geometry).inverse();
  const torch::Tensor coords =
      torch::stack({(x.to(maps.scalar_type()) + dx) * to_input(0, 0), (y.to(maps.scalar_type()) + dy) * to_input(1, 1)}, 2);
  return {coords, score};
}

InitialPose from_simcc(const torch::Tensor& logits_x, const torch::Tensor& logits_y, double split) {
  const auto [max_x, bin_x] = logits_x.max(2);
  const auto [max_y, bin_y] = logits_y.max(2);
  const torch::Tensor coords = torch::stack({bin_x, bin_y}, 2).to(logits_x.scalar_type()) / split;
  return {coords, torch::minimum(max_x, max_y)};
}

}  // namespace

InitialPose initial_pose(const ModelOutputs& outputs, const ModelInfo& info, CropGeometry geometry) {
  torch::NoGradGuard no_grad;
  if (outputs.coords.defined()) {
    const torch::Tensor size = torch::tensor({double(info.input.width), double(info.input.height)},
                                             outputs.coords.options());
    return {outputs.coords.detach() * size, outputs.score.detach()};
  }
  if (outputs.simcc_x.defined()) return from_simcc(outputs.simcc_x, outputs.simcc_y, info.spec.get_real("split"));
  if (!outputs.heatmaps.empty()) return from_heatmaps(outputs.heatmaps.back(), info, geometry);
  throw Error(fmt::format("model {}: no heatmaps, SimCC vectors or coordinates to refine", info.spec.str()));
}

}  // namespace posekd::nn
