#include "posekd/train/dsr_objective.h"

#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/loss/gt_losses.h"
#include "posekd/nn/dsr_refiner.h"
#include "posekd/train/dsr_statistics.h"
#include "posekd/train/predict.h"

namespace posekd::train {

void DsrObjective::check_training_set(const std::vector<Instance>& instances, const Skeleton& /*skeleton*/,
                                      const std::string& file) {
  training_set_ = instances;
  training_file_ = file;
}

void DsrObjective::configure_loader(LoaderOptions& options) {
  options.targets.heatmaps = true;
  options.targets.simcc = false;
  options.targets.regression = false;
}

void DsrObjective::extend_model(nn::PoseModelImpl& model, const Skeleton& skeleton) {
  RefineObjective::extend_model(model, skeleton);
  auto& dsr = model.refiner()->as<nn::DsrRefinerImpl>()->relation();
  const RelationStatistics d = relation_statistics(training_set_, model_targets(model.info(), setup().codec));
  if (d.poses == 0)
    throw Error(fmt::format("{}: no annotation has two labelled joints in the crop, so DSR's relation statistics D "
                            "would be empty",
                            training_file_));
  const auto& grid = dsr.relation_counts();
  dsr.set_relation_counts(torch::from_blob(const_cast<float*>(d.counts.data()), grid.sizes(), torch::kFloat32).to(grid.device()));
  log::info("DSR relation statistics D from {}: {} poses, {} joint pairs on a {}x{} offset grid, {} offsets off the grid",
            training_file_, d.poses, d.joints * (d.joints - 1), d.grid_w(), d.grid_h(), d.outside);
  training_set_ = {};
}

LossTerms DsrObjective::loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& /*context*/) {
  const auto out = model.forward(batch.images);
  LossTerms result;
  result.total = loss::stacked_joints_mse(out.heatmaps, batch.heatmaps, batch.heatmap_weights);
  result.terms.emplace_back("heatmap_mse", result.total.detach());
  return result;
}

}  // namespace posekd::train
