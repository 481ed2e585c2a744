#pragma once
// pose-refine-gcn's `dsr` objective: DDSR's DSR×S stages trained on top of a heatmap model,
// every stage supervised with the heatmap loss. The base model is frozen (run in eval mode
// without gradients) unless `finetune`, when it trains too and its own maps stay supervised.
#include "posekd/nn/dsr.h"
#include "posekd/train/objective.h"

namespace posekd::train {

class DsrObjective : public Objective {
 public:
  // `refiner` holds D already (train/dsr_statistics.h).
  DsrObjective(nn::DynamicSpatialRelation refiner, bool finetune) : refiner_(std::move(refiner)), finetune_(finetune) {}
  std::string name() const override { return "dsr"; }
  void configure_loader(LoaderOptions& options) override;
  std::vector<NamedModule> extra_modules() override;
  void freeze(nn::PoseModelImpl& model) override;
  LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) override;

 private:
  nn::DynamicSpatialRelation refiner_;
  bool finetune_;
};

}  // namespace posekd::train
