#pragma once
// pose-refine-gcn's `dsr` objective: DDSR's DSR×S stages (nn/dsr.h) attached to a heatmap model,
// every stage supervised with the heatmap loss (HRNet's JointsMSE, summed over stages). The
// base is frozen unless --finetune, when it learns through the stages. D, the relative-location
// statistics, is counted from the training set when the refiner is attached.
#include <vector>

#include "posekd/data/instance.h"
#include "posekd/train/refine_objective.h"

namespace posekd::train {

class DsrObjective : public RefineObjective {
 public:
  explicit DsrObjective(RefineSetup setup) : RefineObjective(std::move(setup)) {}
  std::string name() const override { return "dsr"; }
  void check_training_set(const std::vector<Instance>& instances, const Skeleton& skeleton,
                          const std::string& file) override;
  void configure_loader(LoaderOptions& options) override;
  void extend_model(nn::PoseModelImpl& model, const Skeleton& skeleton) override;
  LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) override;

 private:
  std::vector<Instance> training_set_;  // kept until extend_model has counted D
  std::string training_file_;
};

}  // namespace posekd::train
