#include "posekd/train/gt_objective.h"

namespace posekd::train {

void GtObjective::configure_loader(LoaderOptions& options) {
  options.targets.heatmaps = head_ == nn::HeadType::heatmap;
  options.targets.simcc = head_ == nn::HeadType::simcc;
  options.targets.regression = head_ == nn::HeadType::regression;
}

LossTerms GtObjective::loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& /*context*/) {
  const auto out = model.forward(batch.images);
  LossTerms result;
  switch (head_) {
    case nn::HeadType::heatmap:
      result.total = loss::stacked_joints_mse(out.heatmaps, batch.heatmaps, batch.heatmap_weights);
      result.terms.emplace_back("heatmap_mse", result.total.detach());
      break;
    case nn::HeadType::simcc:
      result.total =
          loss::simcc_kl(out.simcc_x, out.simcc_y, batch.simcc_x, batch.simcc_y, batch.simcc_weights, simcc_);
      result.terms.emplace_back("simcc_kl", result.total.detach());
      break;
    case nn::HeadType::regression:
      result.total = loss::regression_smooth_l1(out.coords, batch.regression, batch.regression_weights);
      result.terms.emplace_back("smooth_l1", result.total.detach());
      break;
  }
  return result;
}

}  // namespace posekd::train
