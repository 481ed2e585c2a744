#include "posekd/loss/refine_losses.h"

#include <fmt/format.h>

#include "posekd/core/error.h"

namespace posekd::loss {

torch::Tensor masked_coord_l1(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask) {
  if (pred.sizes() != target.sizes() || pred.dim() != 3 || pred.size(2) != 2)
    throw Error(fmt::format("igp loss: prediction {} and target {}: expected both [N,K,2]", c10::str(pred.sizes()),
                            c10::str(target.sizes())));
  if (mask.dim() != 2 || mask.size(0) != pred.size(0) || mask.size(1) != pred.size(1))
    throw Error(fmt::format("igp loss: mask {}: expected [{},{}]", c10::str(mask.sizes()), pred.size(0), pred.size(1)));
  const torch::Tensor m = (mask > 0).to(pred.scalar_type()).unsqueeze(2);
  const torch::Tensor labelled = m.sum() * 2;
  return (2 * (pred - target).abs() * m).sum() / labelled.clamp_min(1);
}

torch::Tensor igp_l1(const std::vector<torch::Tensor>& stages, const torch::Tensor& target, const torch::Tensor& mask,
                     const std::vector<double>& weights) {
  if (stages.empty() || stages.size() != weights.size())
    throw Error(fmt::format("igp loss: {} stages and {} weights: expected as many, at least one", stages.size(),
                            weights.size()));
  torch::Tensor total = masked_coord_l1(stages[0], target, mask) * weights[0];
  for (size_t i = 1; i < stages.size(); ++i) total = total + masked_coord_l1(stages[i], target, mask) * weights[i];
  return total;
}

}  // namespace posekd::loss
