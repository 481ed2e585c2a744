#include "posekd/train/dsr_objective.h"

#include "posekd/loss/gt_losses.h"

namespace posekd::train {

void DsrObjective::configure_loader(LoaderOptions& options) {
  options.targets.heatmaps = true;
  options.targets.simcc = false;
  options.targets.regression = false;
}

std::vector<NamedModule> DsrObjective::extra_modules() {
  return {{"dsr", refiner_.ptr()}};
}

void DsrObjective::freeze(nn::PoseModelImpl& model) {
  if (finetune_) return;
  for (auto& parameter : model.parameters()) parameter.set_requires_grad(false);
}

LossTerms DsrObjective::loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& /*context*/) {
  LossTerms result;
  std::vector<torch::Tensor> base;
  if (finetune_) {
    base = model.forward(batch.images).heatmaps;
    const auto base_loss = loss::stacked_joints_mse(base, batch.heatmaps, batch.heatmap_weights);
    result.terms.emplace_back("base_mse", base_loss.detach());
    result.total = base_loss;
  } else {
    // A frozen model keeps its batch-norm statistics: it runs as it does at inference.
    torch::NoGradGuard no_grad;
    model.eval();
    base = model.forward(batch.images).heatmaps;
    model.train();
  }
  const auto stages = refiner_->forward(base.back());
  const auto dsr_loss = loss::stacked_joints_mse(stages, batch.heatmaps, batch.heatmap_weights);
  result.terms.emplace_back("dsr_mse", dsr_loss.detach());
  result.total = result.total.defined() ? result.total + dsr_loss : dsr_loss;
  return result;
}

}  // namespace posekd::train
