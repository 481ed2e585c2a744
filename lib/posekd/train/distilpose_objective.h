#pragma once
// pose-distill --method distilpose: DistilPose (Ye et al., CVPR 2023) on a regression student
// with a token-based heatmap teacher:
//   L = L_reg + α1·L_KT + α2·L_VT + α3·L_SH + α4·L_CS
// L_reg: smooth-L1 on normalised visible coordinates (the gt objective's); L_KT, L_VT: MSE to
// the teacher's keypoint and visual tokens (live teacher); L_SH: the student's simulated
// heatmaps against the teacher's maps; L_CS: the student's confidences against the teacher's
// map values at its positions. Every term can be switched off (the paper's ablation).
#include <CLI/CLI.hpp>
#include <torch/nn/modules/linear.h>

#include <memory>
#include <string>
#include <vector>

#include "posekd/codec/heatmap_geometry.h"
#include "posekd/train/distill_objective.h"

namespace posekd::train {

struct DistilPoseOptions {
  double keypoint_token_weight = 5e-4;  // α1
  double visual_token_weight = 5e-4;    // α2
  double heatmap_weight = 1.0;          // α3
  double confidence_weight = 1e-2;      // α4
  // Switches, negative so that --print-config round-trips them.
  bool no_keypoint_tokens = false;
  bool no_visual_tokens = false;
  bool no_heatmaps = false;
  bool no_confidence = false;

  bool tokens() const { return !no_keypoint_tokens || !no_visual_tokens; }
  bool maps() const { return !no_heatmaps || !no_confidence; }
};

// Adds the options above to `app` (group "DistilPose").
void bind_distilpose_options(CLI::App& app, DistilPoseOptions& options);
// What the method asks of its teacher: tokens for L_KT/L_VT (a live token teacher), maps at
// the student's heatmap size for L_SH/L_CS.
TeacherRequirements distilpose_requirements(const DistilPoseOptions& options);

class DistilPoseObjective : public DistillObjective {
 public:
  // `student_spec` must have a regression head; the objective owns the teacher. With token terms on, probes the student's and
  // the teacher's token shapes: the visual-token counts must agree; a linear map (student width
  // -> teacher width, initialised from `seed`, on `device`) aligns each token kind whose widths
  // differ (the reference's student and teacher share the width and need none).
  DistilPoseObjective(const nn::ModelSpec& student_spec, std::unique_ptr<Teacher> teacher, const DistilPoseOptions& options,
                      HeatmapCodec codec, uint64_t seed, const torch::Device& device);
  std::string name() const override { return "distilpose"; }
  void configure_loader(LoaderOptions& options) override;
  std::vector<NamedModule> extra_modules() override;
  LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) override;

 private:
  DistilPoseOptions options_;
  CropGeometry geometry_;
  nn::InputSize input_;
  torch::nn::Linear align_keypoint_{nullptr}, align_visual_{nullptr};
};

}  // namespace posekd::train
