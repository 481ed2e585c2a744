#include "posekd/train/igp_objective.h"

#include <fmt/format.h>

#include "posekd/loss/refine_losses.h"

namespace posekd::train {

IgpObjective::IgpObjective(RefineSetup setup, std::vector<double> stage_weights, std::unique_ptr<Teacher> teacher)
    : RefineObjective(std::move(setup)), weights_(std::move(stage_weights)), teacher_(std::move(teacher)) {}

TeacherRequirements IgpObjective::teacher_requirements() {
  TeacherRequirements needs;
  needs.method = "igp";
  needs.heatmaps = false;
  needs.joints = true;
  return needs;
}

void IgpObjective::check_training_set(const std::vector<Instance>& instances, const Skeleton& skeleton,
                                      const std::string& file) {
  if (teacher_) teacher_->check_training_set(instances, skeleton, file);
}

void IgpObjective::configure_loader(LoaderOptions& options) {
  // The ground truth's x/W, y/H: the targets without a teacher, and the mask M either way.
  options.targets.heatmaps = false;
  options.targets.simcc = false;
  options.targets.regression = true;
  if (teacher_) teacher_->configure_loader(options);
}

LossTerms IgpObjective::loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) {
  const nn::ModelOutputs out = model.forward(batch.images);
  if (out.coord_stages.size() != weights_.size())
    throw Error(fmt::format("igp: the refiner gives {} stages, --stage-weights has {}", out.coord_stages.size(),
                            weights_.size()));
  torch::Tensor target = batch.regression;
  if (teacher_) {
    const torch::Tensor joints = teacher_->run(batch, context.device).joints;
    const auto& input = model.info().input;
    target = joints.narrow(2, 0, 2) / torch::tensor({double(input.width), double(input.height)}, joints.options());
  }
  const torch::Tensor labelled = (batch.keypoints.select(2, 2) > 0).to(torch::kFloat32);
  LossTerms terms;
  terms.total = loss::igp_l1(out.coord_stages, target, labelled, weights_);
  terms.terms.emplace_back("igp_l1", terms.total.detach());
  for (size_t i = 0; i < out.coord_stages.size(); ++i)
    terms.terms.emplace_back(fmt::format("stage{}_l1", i + 1),
                             loss::masked_coord_l1(out.coord_stages[i], target, labelled).detach());
  return terms;
}

}  // namespace posekd::train
