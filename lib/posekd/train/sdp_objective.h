#pragma once
// The `sdp` objective (pose-selfdistill): self-distillation from a previous batch with the
// stepping strategy. At step t the model sees the fresh batch I^t and, in the same forward, the
// backup batch I^{t−s} re-rendered with the augmentation it had then:
//   L = L_gt + α·L_sd
//   L_gt = stacked joints MSE of both halves against their ground truth (target weights, every stack)
//   L_sd = stacked joints MSE of Θ_t(I^{t−s}) against Θ_{t−s}(I^{t−s}), the final heatmaps the
//          model gave that batch when it was fresh (every stack against that one map, as FPD
//          distils hourglass stacks), with the backup's target weights.
// Stepping: s starts at `distance` and is multiplied by γ whenever the learning rate is divided
// by γ, which a multistep schedule with gamma = 1/γ does at each milestone.
#include <cstdint>
#include <future>
#include <optional>

#include "posekd/train/objective.h"
#include "posekd/train/schedule.h"
#include "posekd/train/sdp_queue.h"

namespace posekd::train {

struct SdpOptions {
  double alpha = 3.0;     // weight of L_sd
  int64_t distance = 1;   // s at the start of the run
  double gamma = 10.0;    // stepping factor γ
  bool no_stepping = false;
};

// Throws UsageError when stepping cannot work with the schedule: stepping needs lr divisions by
// γ, which only multistep with gamma = 1/γ makes (cosine and constant never divide by γ).
// Returns a warning for a multistep schedule without milestones (s then stays fixed), else "".
std::string validate(const SdpOptions& options, const ScheduleOptions& schedule);

class SdpObjective : public Objective {
 public:
  explicit SdpObjective(SdpOptions options);
  ~SdpObjective() override;
  std::string name() const override { return "sdp"; }
  void configure_loader(LoaderOptions& options) override;
  void attach_loader(const BatchLoader* loader) override;
  LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) override;
  void on_lr_change(double old_lr, double new_lr) override;
  std::vector<io::NamedArray> state() const override;
  void load_state(const std::vector<io::NamedArray>& arrays, const std::string& origin) override;

  int64_t distance() const { return distance_; }
  const SdpQueue& queue() const { return queue_; }
  // Step t's backup batch as the loader re-renders it (what loss() trains on), nullopt when the
  // queue is empty. Public so the tests can check it against the batch of step t − s.
  std::optional<Batch> backup_batch(int64_t step);

 private:
  Batch rebuild(const QueuedBatch& queued);
  void prefetch(int64_t step);

  SdpOptions options_;
  int64_t distance_;
  SdpQueue queue_;
  const BatchLoader* loader_ = nullptr;
  torch::Device device_ = torch::kCPU;
  // The next step's backup, re-rendered on a worker thread while the model trains on this one.
  int64_t prefetched_step_ = -1;
  std::future<Batch> prefetched_;
};

// L_gt + α·L_sd on given outputs, so the formula is tested on hand-made tensors: `stacks` holds
// every stack's [B+Bb,K,h,w] output for the fresh rows then the backup rows; `stored` [Bb,K,h,w]
// the backup's stored predictions (undefined: no backup, L_sd = 0).
LossTerms sdp_loss(const std::vector<torch::Tensor>& stacks, const torch::Tensor& targets, const torch::Tensor& weights,
                   const torch::Tensor& stored, const torch::Tensor& backup_weights, double alpha);

}  // namespace posekd::train
