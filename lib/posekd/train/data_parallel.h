#pragma once
// What the one training loop (train/trainer.cpp) does differently in a data-parallel job, as
// DistributedDataParallel does it: every rank holds the whole model and trains on its shard
// of each batch; gradients are averaged before every optimizer step, so all ranks take the
// same step. With one process every call is local and costs nothing.
//
// Per step: loss and backward on this rank's batch, then finish_step(): gradients averaged
// (bucketed, gradient_reducer.h) together with the loss terms and two flags, so that every
// rank sees the job's mean loss, stops together when any rank's loss is not finite, and stops
// together when any rank was asked to (SIGTERM reaches Slurm's tasks at different moments).
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "posekd/train/distributed.h"
#include "posekd/train/gradient_reducer.h"
#include "posekd/train/objective.h"
#include "posekd/train/sync_batch_norm.h"

namespace posekd::train {

struct StepSummary {
  std::vector<std::pair<std::string, double>> terms;  // means over ranks
  double total = 0;                                  // mean over ranks
  int nonfinite_ranks = 0;                           // ranks whose loss was NaN or infinite
  bool stop = false;                                 // some rank was asked to stop after this step
};

class DataParallel {
 public:
  // Reads the launcher's environment and, for more than one process, connects (distributed.h).
  DataParallel(const DistributedOptions& options, const c10::Device& device);
  ~DataParallel();

  const WorldInfo& world() const { return world_; }
  int rank() const { return world_.rank; }
  int size() const { return world_.size; }
  bool primary() const { return world_.rank == 0; }
  std::string description() const;  // "rank 0 of 2 (torchrun, gloo)"

  // Rank 0's parameters and buffers on every rank, and gradient averaging for the trained
  // parameters, and with --sync-bn batch normalisation over the job's batch. The same seed,
  // --init or --resume give every rank the same start anyway; the broadcast makes it a guarantee.
  void attach(torch::nn::Module& trained);

  // After backward, before the optimizer step.
  StepSummary finish_step(const LossTerms& terms, bool stop_requested, int64_t step);

  // Batch-norm running statistics: without --sync-bn each rank normalised with its own batch's
  // statistics (DDP without SyncBatchNorm) and so tracked its own running means; before
  // validation and checkpoints every rank takes their mean over ranks, so the saved model has
  // seen the whole job's data and every rank continues from the same state.
  void average_buffers(torch::nn::Module& trained, int64_t step);

  double reduce_seconds() const;  // in gradient all-reduces so far, waiting for others included
  int64_t reductions() const;

 private:
  DistributedOptions options_;
  WorldInfo world_;
  std::unique_ptr<ProcessGroup> group_;
  std::unique_ptr<GradientReducer> reducer_;
  std::unique_ptr<SyncBatchNorm> sync_bn_;
};

}  // namespace posekd::train
