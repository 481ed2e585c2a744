#pragma once
// --sync-bn: batch normalisation over the whole job's batch (PyTorch's SyncBatchNorm), so a
// job of W ranks with batch B trains as one process with batch W*B does.
//
// posekd's models call LibTorch's BatchNorm2d, whose forward is not virtual, so the modules
// cannot be swapped as torch.nn.SyncBatchNorm.convert_sync_batchnorm swaps them. Instead,
// while a SyncBatchNorm object lives, aten::batch_norm in training mode is served by a
// kernel registered for the autograd keys (CPU, CUDA): per-channel sums and sums of squares
// are all-reduced (in float64) through an autograd function whose backward all-reduces the
// gradient, and the normalisation is written in differentiable tensor operations, so
// backward is exact. Evaluation-mode calls, and every call when no object lives, take
// LibTorch's own path.
#include <memory>
#include <vector>

#include "posekd/train/distributed.h"

namespace torch {
class Library;
}

namespace posekd::train {

class SyncBatchNorm {
 public:
  // Throws Error when another one lives.
  explicit SyncBatchNorm(ProcessGroup& group);
  ~SyncBatchNorm();
  SyncBatchNorm(const SyncBatchNorm&) = delete;
  SyncBatchNorm& operator=(const SyncBatchNorm&) = delete;

 private:
  std::vector<std::unique_ptr<torch::Library>> registrations_;
};

}  // namespace posekd::train
