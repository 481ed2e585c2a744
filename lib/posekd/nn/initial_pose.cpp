#include "posekd/nn/initial_pose.h"

#include <fmt/format.h>

#include <torch/nn/functional/conv.h>

#include <tuple>
#include <utility>

#include "posekd/codec/heatmap_decode.h"
#include "posekd/core/error.h"

namespace posekd::nn {
namespace {

// OpenCV's getGaussianKernel(k, 0): fixed tables up to size 7, else σ = 0.3·((k−1)/2 − 1) + 0.8.
torch::Tensor opencv_gaussian_kernel(int k, const torch::TensorOptions& options) {
  switch (k) {
    case 1: return torch::ones({1}, options);
    case 3: return torch::tensor({0.25, 0.5, 0.25}, options);
    case 5: return torch::tensor({0.0625, 0.25, 0.375, 0.25, 0.0625}, options);
    case 7: return torch::tensor({0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125}, options);
    default: break;
  }
  const double sigma = 0.3 * ((k - 1) * 0.5 - 1) + 0.8;
  const torch::Tensor x = torch::arange(k, options) - (k - 1) / 2.0;
  const torch::Tensor g = torch::exp(-x * x / (2 * sigma * sigma));
  return g / g.sum();
}

// DARK's offsets [N,K] x and y at the argmax (x, y) of `maps` [N,K,h,w]: mmpose 0.x's blur
// (zero border, the original maximum kept) and _taylor (derivatives of log(max(map, 1e-10))
// at steps 1 and 2, only where 1 < x < w−2 and 1 < y < h−2, none where the Hessian is singular).
std::pair<torch::Tensor, torch::Tensor> dark_offsets(const torch::Tensor& maps, const torch::Tensor& x,
                                                     const torch::Tensor& y, int kernel) {
  const int64_t n = maps.size(0), k = maps.size(1), h = maps.size(2), w = maps.size(3);
  const int r = (kernel - 1) / 2;
  const torch::Tensor g = opencv_gaussian_kernel(kernel, maps.options());
  namespace F = torch::nn::functional;
  torch::Tensor blurred = maps.reshape({n * k, 1, h, w});
  blurred = F::conv2d(blurred, g.view({1, 1, 1, kernel}), F::Conv2dFuncOptions().padding({0, r}));
  blurred = F::conv2d(blurred, g.view({1, 1, kernel, 1}), F::Conv2dFuncOptions().padding({r, 0}));
  blurred = blurred.view({n, k, h * w});
  const torch::Tensor peak = maps.reshape({n, k, h * w}).amax(2, true), blurred_peak = blurred.amax(2, true);
  blurred = torch::where(blurred_peak > 0, blurred * peak / blurred_peak, blurred);
  const torch::Tensor log_map = torch::log(blurred.clamp_min(1e-10));
  const auto at = [&](int64_t dy, int64_t dx) {
    const torch::Tensor index = ((y + dy).clamp(0, h - 1) * w + (x + dx).clamp(0, w - 1)).unsqueeze(2);
    return log_map.gather(2, index).squeeze(2);
  };
  const torch::Tensor centre = at(0, 0);
  const torch::Tensor gx = 0.5 * (at(0, 1) - at(0, -1)), gy = 0.5 * (at(1, 0) - at(-1, 0));
  const torch::Tensor dxx = 0.25 * (at(0, 2) - 2 * centre + at(0, -2));
  const torch::Tensor dyy = 0.25 * (at(2, 0) - 2 * centre + at(-2, 0));
  const torch::Tensor dxy = 0.25 * (at(1, 1) - at(-1, 1) - at(1, -1) + at(-1, -1));
  const torch::Tensor det = dxx * dyy - dxy * dxy;
  const torch::Tensor usable = (x > 1) & (x < w - 2) & (y > 1) & (y < h - 2) & (det != 0);
  const torch::Tensor safe_det = torch::where(usable, det, torch::ones_like(det));
  const torch::Tensor ox = torch::where(usable, -(dyy * gx - dxy * gy) / safe_det, torch::zeros_like(det));
  const torch::Tensor oy = torch::where(usable, -(-dxy * gx + dxx * gy) / safe_det, torch::zeros_like(det));
  return {ox, oy};
}

InitialPose from_heatmaps(const torch::Tensor& maps, const ModelInfo& info, CropGeometry geometry, bool dark,
                          int blur_kernel) {
  const int64_t n = maps.size(0), k = maps.size(1), h = maps.size(2), w = maps.size(3);
  const torch::Tensor flat = maps.reshape({n, k, h * w});
  const auto [score, index] = flat.max(2);
  const torch::Tensor x = index.remainder(w), y = index.div(w, "floor");
  torch::Tensor dx, dy;
  if (dark) {  // in float64: log differences of float32 maps lose ~0.01 px
    std::tie(dx, dy) = dark_offsets(maps.to(torch::kDouble), x, y, blur_kernel > 0 ? blur_kernel : default_blur_kernel(int(w)));
    dx = dx.to(maps.scalar_type());
    dy = dy.to(maps.scalar_type());
  } else {
    const auto neighbour = [&](int64_t step) { return flat.gather(2, (index + step).clamp(0, h * w - 1).unsqueeze(2)).squeeze(2); };
    const torch::Tensor inside = (x > 1) & (x < w - 1) & (y > 1) & (y < h - 1);
    dx = torch::sign(neighbour(1) - neighbour(-1)) * 0.25 * inside;
    dy = torch::sign(neighbour(w) - neighbour(-w)) * 0.25 * inside;
  }
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

InitialPose initial_pose(const ModelOutputs& outputs, const ModelInfo& info, CropGeometry geometry, bool dark,
                         int blur_kernel) {
  torch::NoGradGuard no_grad;
  if (outputs.coords.defined()) {
    const torch::Tensor size = torch::tensor({double(info.input.width), double(info.input.height)},
                                             outputs.coords.options());
    return {outputs.coords.detach() * size, outputs.score.detach()};
  }
  if (outputs.simcc_x.defined()) return from_simcc(outputs.simcc_x, outputs.simcc_y, info.spec.get_real("split"));
  if (!outputs.heatmaps.empty()) return from_heatmaps(outputs.heatmaps.back(), info, geometry, dark, blur_kernel);
  throw Error(fmt::format("model {}: no heatmaps, SimCC vectors or coordinates to refine", info.spec.str()));
}

}  // namespace posekd::nn
