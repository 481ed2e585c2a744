#pragma once
// Averages gradients over the ranks of a data-parallel job, in buckets (PyTorch DDP's Reducer):
// parameters in reverse registration order (the order backward finishes them) are packed into
// flat buffers of about `bucket_mb`, one all-reduce each, then divided by the world size. The
// step's small statistics (loss terms, flags) ride in the last bucket, so they cost no round
// trip of their own.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "posekd/train/distributed.h"

namespace posekd::train {

class GradientReducer {
 public:
  // `parameters`: the trained ones (requires_grad), in registration order.
  GradientReducer(ProcessGroup& group, std::vector<at::Tensor> parameters, double bucket_mb);

  // Every defined gradient becomes the mean over ranks; `stats` become their sum over ranks.
  // Throws Error when the ranks disagree on which parameters got gradients.
  void average(std::vector<double>& stats, const std::string& what);

  size_t buckets() const { return buckets_.size(); }
  double reduce_seconds() const { return seconds_; }  // total, including waiting for slower ranks
  int64_t reductions() const { return calls_; }

 private:
  ProcessGroup& group_;
  std::vector<at::Tensor> parameters_;
  std::vector<std::vector<size_t>> buckets_;  // indices into parameters_
  double seconds_ = 0;
  int64_t calls_ = 0;
};

}  // namespace posekd::train
