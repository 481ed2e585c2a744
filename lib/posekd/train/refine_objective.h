#pragma once
// What every refiner method of pose-refine-gcn shares: the Trainer's model is the stage-1
// checkpoint (--init), and the objective attaches its refiner to it before the optimizer is
// built, so the refiner's parameters are the model's "refiner.*" and the output checkpoint
// is a refined model (nn/refiner.h).
#include <cstdint>

#include "posekd/codec/heatmap_geometry.h"
#include "posekd/nn/model_spec.h"
#include "posekd/train/objective.h"

namespace posekd::train {

struct RefineSetup {
  nn::ModelSpec refiner;  // ModelSpec::parse_refiner
  HeatmapCodec codec = HeatmapCodec::unbiased;  // the base checkpoint's
  bool freeze_base = true;
  uint64_t seed = 0;
};

class RefineObjective : public Objective {
 public:
  explicit RefineObjective(RefineSetup setup) : setup_(std::move(setup)) {}
  void extend_model(nn::PoseModelImpl& model, const Skeleton& skeleton) override;

 protected:
  const RefineSetup& setup() const { return setup_; }

 private:
  RefineSetup setup_;
};

}  // namespace posekd::train
