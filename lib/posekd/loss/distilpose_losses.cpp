#include "posekd/loss/distilpose_losses.h"

#include "posekd/core/error.h"
#include "posekd/loss/gt_losses.h"

namespace posekd::loss {

namespace {
void check_predictions(const char* what, const torch::Tensor& coords, const torch::Tensor& maps,
                       const torch::Tensor& weights) {
  if (coords.dim() != 3 || coords.size(2) != 2 || maps.dim() != 4 || maps.size(0) != coords.size(0) ||
      maps.size(1) != coords.size(1) || weights.sizes() != coords.sizes().slice(0, 2))
    throw Error(std::string(what) + ": expected coordinates [N,K,2], teacher maps [N,K,H,W] and weights [N,K], found " +
                c10::str(coords.sizes()) + ", " + c10::str(maps.sizes()) + " and " + c10::str(weights.sizes()));
}
}  // namespace

torch::Tensor token_mse(const torch::Tensor& student_tokens, const torch::Tensor& teacher_tokens) {
  if (student_tokens.sizes() != teacher_tokens.sizes())
    throw Error("token_mse: student tokens " + c10::str(student_tokens.sizes()) + " and teacher tokens " +
                c10::str(teacher_tokens.sizes()) + " differ");
  return (student_tokens - teacher_tokens.detach()).pow(2).mean();
}

SimulatedHeatmaps simulated_heatmaps(const torch::Tensor& coords, const torch::Tensor& sigma, int64_t height,
                                     int64_t width, MapScale scale) {
  if (coords.dim() != 3 || coords.size(2) != 2 || sigma.sizes() != coords.sizes())
    throw Error("simulated_heatmaps: expected coordinates and sigmas [N,K,2], found " + c10::str(coords.sizes()) +
                " and " + c10::str(sigma.sizes()));
  const auto mu_x = coords.select(2, 0) * scale.x, mu_y = coords.select(2, 1) * scale.y;
  const auto sigma_x = sigma.select(2, 0) * scale.x, sigma_y = sigma.select(2, 1) * scale.y;
  const auto in_bounds = ((mu_x - 3 * sigma_x).lt(double(width)) & (mu_y - 3 * sigma_y).lt(double(height)) &
                          (mu_x + 3 * sigma_x + 1).ge(0) & (mu_y + 3 * sigma_y + 1).ge(0))
                             .to(coords.dtype());
  const auto u = torch::arange(width, coords.options()).view({1, 1, 1, width});
  const auto v = torch::arange(height, coords.options()).view({1, 1, height, 1});
  const auto at = [](const torch::Tensor& t) { return t.unsqueeze(-1).unsqueeze(-1); };
  const auto exponent = (u - at(mu_x)).pow(2) / (at(sigma_x).pow(2) + 1e-9) +
                        (v - at(mu_y)).pow(2) / (at(sigma_y).pow(2) + 1e-9);
  return {torch::exp(-0.5 * exponent) * at(in_bounds), in_bounds};
}

torch::Tensor simulated_heatmap_mse(const torch::Tensor& coords, const torch::Tensor& sigma,
                                    const torch::Tensor& teacher_maps, const torch::Tensor& weights, MapScale scale) {
  check_predictions("simulated_heatmap_mse", coords, teacher_maps, weights);
  const auto simulated = simulated_heatmaps(coords, sigma, teacher_maps.size(2), teacher_maps.size(3), scale);
  return joints_mse(simulated.maps, teacher_maps.detach(), weights.detach() * simulated.in_bounds);
}

torch::Tensor confidence_l1(const torch::Tensor& coords, const torch::Tensor& confidence,
                            const torch::Tensor& teacher_maps, const torch::Tensor& weights) {
  check_predictions("confidence_l1", coords, teacher_maps, weights);
  if (confidence.sizes() != weights.sizes())
    throw Error("confidence_l1: expected confidences [N,K] like the weights " + c10::str(weights.sizes()) +
                ", found " + c10::str(confidence.sizes()));
  const int64_t n = coords.size(0), k = coords.size(1), h = teacher_maps.size(2), w = teacher_maps.size(3);
  const auto c = coords.detach();
  const auto col = (c.select(2, 0).clamp(0, 1) * double(w - 1)).round().to(torch::kLong);
  const auto row = (c.select(2, 1).clamp(0, 1) * double(h - 1)).round().to(torch::kLong);
  const auto flat = teacher_maps.detach().reshape({n, k, h * w});
  const auto inside = (c.ge(0) & c.le(1)).all(2).to(confidence.dtype());
  const auto target = flat.gather(2, (row * w + col).unsqueeze(-1)).squeeze(-1) * inside;
  const auto wt = weights.detach();
  return (confidence * wt - target * wt).abs().mean();
}

}  // namespace posekd::loss
