#pragma once
// pose-distill --method two-stage: stage 1 of the coarse-to-fine two-stage distillation on a
// SimCC student (stage 2 is pose-refine-gcn --method igp):
//   L = L_KL + γ(t)·α·L_fea + γ(t)·β·L_pos,   γ(t) = 1 − (t−1)/T
// L_KL: the gt SimCC KL on label-smoothed targets; L_fea: MSE between the student's feature
// after a 1×1 alignment and the teacher's (live teacher only: features are not warp-invariant);
// L_pos: L1 between the student's soft-argmax joints and the teacher's, plus bone lengths, in
// pixels of the paper's 256×192 input. L_fea and L_pos are scaled by N/256 (the paper's batch)
// against L_KL, which sums over the batch (loss/two_stage_losses.h, doc/DECISIONS.md).
#include <CLI/CLI.hpp>
#include <torch/nn/modules/conv.h>

#include <memory>
#include <string>
#include <vector>

#include "posekd/loss/gt_losses.h"
#include "posekd/train/distill_objective.h"

namespace posekd::train {

struct TwoStageOptions {
  double feature_weight = 5e-5;  // α
  double position_weight = 0.1;  // β
  // Switches, negative so that --print-config round-trips them (as --no-augment).
  bool no_feature = false;   // drop L_fea
  bool no_position = false;  // drop L_pos (joints and bones)
  bool no_bones = false;     // drop L_pos's bone-length term
  bool no_decay = false;     // γ = 1 throughout
  std::string student_feature;   // "" = the student's lowest-resolution feature
  std::string teacher_feature;   // "" = the teacher's lowest-resolution feature
  std::vector<double> bone_weights;  // w_ij per skeleton edge; empty = 1/|E| each
  // Temperature of the soft-argmax that gives the student's joints for L_pos:
  // E[bin] under softmax(β·logits). 0: the KL's --simcc-beta.
  double softargmax_beta = 0;
  // Bins around each SimCC vector's maximum that the soft-argmax spans: 0 = 3·--simcc-sigma
  // (the label's support), negative = every bin (the plain expectation).
  double softargmax_radius = 0;
  // KL targets: "gaussian" (SimCC's Gaussian label smoothing, σ = --simcc-sigma bins) or
  // "standard" (one-hot with ε = label_smooth_weight spread over the other bins).
  std::string label_smoothing = "gaussian";
  double label_smooth_weight = 0.1;
};

// Adds the options above to `app` (group "Two-stage distillation").
void bind_two_stage_options(CLI::App& app, TwoStageOptions& options);
// UsageError for values no run can use, naming the option.
void validate(const TwoStageOptions& options);
// What the method asks of its teacher: joints for L_pos, a feature for L_fea (a live teacher).
TeacherRequirements two_stage_requirements(const TwoStageOptions& options);

class TwoStageObjective : public DistillObjective {
 public:
  // `student_spec` must have a SimCC head. Probes the student's and (for L_fea) the teacher's
  // feature shapes to build the 1×1 alignment (only when channel counts differ, as mmpose's
  // FeaLoss), initialised from `seed` and placed on `device`. Owns the teacher.
  TwoStageObjective(const nn::ModelSpec& student_spec, std::unique_ptr<Teacher> teacher, const TwoStageOptions& options,
                    const loss::SimccLossOptions& simcc, uint64_t seed, const torch::Device& device);
  std::string name() const override { return "two-stage"; }
  void check_training_set(const std::vector<Instance>& instances, const Skeleton& skeleton,
                          const std::string& file) override;
  void configure_loader(LoaderOptions& options) override;
  std::vector<NamedModule> extra_modules() override;
  LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) override;

  const std::string& student_feature() const { return student_feature_; }
  const std::string& teacher_feature() const { return teacher_feature_; }

 private:
  TwoStageOptions options_;
  loss::SimccLossOptions simcc_;
  double split_ratio_;
  nn::InputSize input_;
  double label_sigma_bins_ = 0;  // the loader's SimCC label σ, for the soft-argmax window
  std::string student_feature_, teacher_feature_;
  torch::nn::Conv2d align_{nullptr};
  std::vector<std::pair<int, int>> edges_;
};

}  // namespace posekd::train
