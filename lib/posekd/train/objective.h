#pragma once
// What a training method adds to the one training loop (train/trainer.h): its losses, its extra
// targets, its extra trainable modules and its own resumable state. pose-train's `gt`, and the
// distillation objectives of pose-distill, pose-selfdistill and pose-refine-gcn, are Objectives;
// none of them writes its own loop.
#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "posekd/core/error.h"
#include "posekd/core/skeleton.h"
#include "posekd/data/loader.h"
#include "posekd/io/checkpoint.h"
#include "posekd/nn/model.h"

namespace posekd::train {

struct StepContext {
  int64_t epoch = 0;   // 0-based
  int64_t epochs = 0;  // of the whole run
  int64_t step = 0;    // global optimizer step, 0-based, counted over the whole run
  double lr = 0;
  torch::Device device = torch::kCPU;
};

// Named loss terms (logged and written to the metrics files) and the total that is
// back-propagated. Terms are detached scalars; `total` keeps its graph.
struct LossTerms {
  std::vector<std::pair<std::string, torch::Tensor>> terms;
  torch::Tensor total;
};

using NamedModule = std::pair<std::string, std::shared_ptr<torch::nn::Module>>;

class Objective {
 public:
  virtual ~Objective() = default;
  virtual std::string name() const = 0;

  // Called once after the training set is read, before the model is built: refuse data the
  // method cannot use (a teacher file of another dataset or skeleton) before any step.
  virtual void check_training_set(const std::vector<Instance>& instances, const Skeleton& skeleton,
                                  const std::string& file) {
    (void)instances;
    (void)skeleton;
    (void)file;
  }

  // Called once with the training loader's options before it is built: turn targets on
  // (SimCC, regression), add extra per-sample targets (warped teacher maps).
  virtual void configure_loader(LoaderOptions& options) { (void)options; }

  // Called once after the model is built and --init loaded, before --resume is read and the
  // optimizer built: a method that grows the model does it here (pose-refine-gcn attaches its
  // refiner, whose parameters are then the model's own and go to its checkpoint).
  virtual void extend_model(nn::PoseModelImpl& model, const Skeleton& skeleton) {
    (void)model;
    (void)skeleton;
  }

  // The training loader, after it is built and before the first step; nullptr when the run
  // ends, however it ends (the loader is then destroyed). SDP re-renders past batches through
  // it (BatchLoader::rebuild), also from a thread of its own that it must join here.
  virtual void attach_loader(const BatchLoader* loader) { (void)loader; }

  // Modules trained and checkpointed with the model (1×1 alignment convolutions).
  // Checkpointed as /extra/<module>/<parameter or buffer name>; their optimizer state as
  // /train/optimizer/<state>/extra.<module>.<parameter>. Names must not contain '/' or '.' and
  // "state" is reserved. Called after the model is on the device; must return the same
  // modules every time.
  virtual std::vector<NamedModule> extra_modules() { return {}; }

  // Called once before the optimizer is built: freeze what the method does not train
  // (requires_grad false; such parameters get no optimizer state and no updates).
  virtual void freeze(nn::PoseModelImpl& model) { (void)model; }

  // The objective runs the model itself, so a method can run it twice (SDP) or run a teacher
  // too. The model is in training mode.
  virtual LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) = 0;

  // After each step whose schedule changed the learning rate (SDP's stepping strategy).
  virtual void on_lr_change(double old_lr, double new_lr) {
    (void)old_lr;
    (void)new_lr;
  }

  // Whatever the method keeps between steps (SDP's queue of past batches), for an exact
  // --resume. Stored under /extra/state/<name>.
  virtual std::vector<io::NamedArray> state() const { return {}; }
  virtual void load_state(const std::vector<io::NamedArray>& arrays, const std::string& origin) {
    (void)origin;
    if (!arrays.empty()) throw Error(origin + ":/extra/state: objective " + name() + " keeps no state");
  }
};

}  // namespace posekd::train
