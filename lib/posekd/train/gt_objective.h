#pragma once
// The `gt` objective: supervised training on the dataset's keypoints with the loss of the
// model's head (heatmap MSE over every stack, SimCC KL, regression smooth-L1).
#include "posekd/loss/gt_losses.h"
#include "posekd/train/objective.h"

namespace posekd::train {

class GtObjective : public Objective {
 public:
  GtObjective(nn::HeadType head, loss::SimccLossOptions simcc = {}) : head_(head), simcc_(simcc) {}
  std::string name() const override { return "gt"; }
  void configure_loader(LoaderOptions& options) override;
  LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) override;

 private:
  nn::HeadType head_;
  loss::SimccLossOptions simcc_;
};

}  // namespace posekd::train
