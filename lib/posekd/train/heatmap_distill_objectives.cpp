#include "posekd/train/heatmap_distill_objectives.h"

#include "posekd/loss/distill_losses.h"
#include "posekd/loss/gt_losses.h"

namespace posekd::train {

TeacherRequirements FpdObjective::requirements() {
  TeacherRequirements r;
  r.method = "fpd";
  r.heatmaps = true;
  return r;
}

void FpdObjective::configure_loader(LoaderOptions& options) {
  options.targets.heatmaps = true;
  DistillObjective::configure_loader(options);
}

LossTerms FpdObjective::loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) {
  const TeacherBatch t = teacher().run(batch, context.device);
  const auto out = model.forward(batch.images);
  const auto l = loss::fpd_loss(out.heatmaps, t.heatmaps, batch.heatmaps, batch.heatmap_weights, options_.alpha);
  LossTerms terms;
  terms.total = l.total();
  terms.terms.emplace_back("fpd_teacher", l.teacher.detach());
  terms.terms.emplace_back("fpd_gt", l.ground_truth.detach());
  return terms;
}

TeacherRequirements SkdObjective::requirements() {
  TeacherRequirements r;
  r.method = "skd";
  r.heatmaps = true;
  // DDSR distils a high-resolution teacher into a low-resolution student: the teacher's maps
  // come warped (anti-aliased) to the student's size, where both joint and edge maps compare.
  r.resolution = TeacherMapResolution::student;
  return r;
}

void SkdObjective::configure_loader(LoaderOptions& options) {
  options.targets.heatmaps = true;
  DistillObjective::configure_loader(options);
}

LossTerms SkdObjective::loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) {
  const TeacherBatch t = teacher().run(batch, context.device);
  const auto out = model.forward(batch.images);
  const auto& student = out.final_heatmaps();
  const auto loc = loss::stacked_joints_mse(out.heatmaps, batch.heatmaps, batch.heatmap_weights);
  const auto skd = loss::skd_loss(student, t.heatmaps, loss::soft_argmax(student, options_.beta),
                                  loss::soft_argmax(t.heatmaps, options_.beta), options_.edge_sigma);
  LossTerms terms;
  terms.total = options_.loc_weight * loc + options_.edge_weight * skd.edge + options_.joint_weight * skd.joint;
  terms.terms.emplace_back("loc", loc.detach());
  terms.terms.emplace_back("skd_edge", skd.edge.detach());
  terms.terms.emplace_back("skd_joint", skd.joint.detach());
  return terms;
}

}  // namespace posekd::train
