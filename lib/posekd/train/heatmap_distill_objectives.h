#pragma once
// pose-distill's heatmap-student objectives: `fpd` and `skd` (loss/distill_losses.h).
#include <memory>

#include "posekd/train/distill_objective.h"

namespace posekd::train {

struct FpdOptions {
  double alpha = 0.5;  // FPD: weight of the teacher term, 1 − α on the ground truth
};

class FpdObjective : public DistillObjective {
 public:
  FpdObjective(const FpdOptions& options, std::unique_ptr<Teacher> teacher)
      : DistillObjective(std::move(teacher)), options_(options) {}
  std::string name() const override { return "fpd"; }
  void configure_loader(LoaderOptions& options) override;
  LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) override;
  static TeacherRequirements requirements();

 private:
  FpdOptions options_;
};

struct SkdOptions {
  double loc_weight = 1;    // L_LOC: MSE to the ground-truth maps
  double edge_weight = 1;   // (1/N²) Σ ‖m^S_eij − m^T_eij‖²
  double joint_weight = 1;  // (1/N) Σ ‖m^S_vi − m^T_vi‖²
  double edge_sigma = 2;    // edge-map Gaussian, student map pixels
  // Soft-argmax temperature: positions are E[x] under softmax(β·map). 20 makes a peak of 1
  // outweigh ~10^8 background pixels and still spreads gradient over the peak's neighbours.
  double beta = 20;
};

class SkdObjective : public DistillObjective {
 public:
  SkdObjective(const SkdOptions& options, std::unique_ptr<Teacher> teacher)
      : DistillObjective(std::move(teacher)), options_(options) {}
  std::string name() const override { return "skd"; }
  void configure_loader(LoaderOptions& options) override;
  LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) override;
  static TeacherRequirements requirements();

 private:
  SkdOptions options_;
};

}  // namespace posekd::train
