#pragma once
// `igp`: stage 2 of the coarse-to-fine two-stage distillation. The frozen stage-1 model with an
// IGP-GCN refiner (nn/igp_gcn.h) learns Σ_i w_i · L1((P^T − P̂_i) ⊙ M) (loss/refine_losses.h):
// P^T the teacher's joints (stored /coords joined by sample_id, or a live teacher, through the
// student's augmented crop), or the ground truth when no teacher is given (the "refining
// without teacher supervision" baseline); M the joints labelled in ground truth.
#include <memory>
#include <vector>

#include "posekd/train/refine_objective.h"
#include "posekd/train/teacher.h"

namespace posekd::train {

class IgpObjective : public RefineObjective {
 public:
  // `teacher` nullptr: ground-truth targets.
  IgpObjective(RefineSetup setup, std::vector<double> stage_weights, std::unique_ptr<Teacher> teacher);
  std::string name() const override { return "igp"; }
  void check_training_set(const std::vector<Instance>& instances, const Skeleton& skeleton,
                          const std::string& file) override;
  void configure_loader(LoaderOptions& options) override;
  LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) override;

  // What a teacher must give this objective (its joints, not its maps).
  static TeacherRequirements teacher_requirements();

 private:
  std::vector<double> weights_;
  std::unique_ptr<Teacher> teacher_;
};

}  // namespace posekd::train
