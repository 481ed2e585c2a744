#include "posekd/train/refine_objective.h"

#include "posekd/nn/refiner.h"

namespace posekd::train {

void RefineObjective::extend_model(nn::PoseModelImpl& model, const Skeleton& skeleton) {
  nn::attach_refiner(model, setup_.refiner, skeleton, setup_.codec, {setup_.freeze_base, setup_.seed});
}

}  // namespace posekd::train
