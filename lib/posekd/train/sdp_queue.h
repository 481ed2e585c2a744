#pragma once
// SDP's backup queue: for each of the last s steps, what it takes to show the model that step's
// batch again — the samples' instance-list positions and augmentation parameters (the loader
// re-renders them bit-identically, BatchLoader::rebuild) — and the model's final heatmaps on
// that batch as it was then, Θ_{t−s}(I^{t−s}), kept as float16. No images are held, so memory
// per queued batch is B·K·h·w·2 bytes plus under 100 bytes per sample, whatever the input size.
#include <torch/types.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "posekd/data/transforms_augment.h"
#include "posekd/io/checkpoint.h"

namespace posekd::train {

struct QueuedBatch {
  int64_t step = 0;              // the global step at which this batch was fresh
  std::vector<int64_t> indices;  // Batch::indices
  std::vector<AugParams> params;
  torch::Tensor predictions;     // [B,K,h,w] float16, detached
};

class SdpQueue {
 public:
  // Step t's backup: the batch of step t − distance, or, while fewer steps have been queued
  // (the run's first steps, or just after the distance grew), the oldest one held; nullptr
  // when the queue is empty.
  const QueuedBatch* backup_for(int64_t step, int64_t distance) const;
  // Appends step `batch.step` (the step after the newest) and drops what the next step's
  // backup no longer needs: the queue holds at most `distance` batches.
  void push(QueuedBatch batch, int64_t distance);

  size_t size() const { return batches_.size(); }
  const std::deque<QueuedBatch>& batches() const { return batches_; }
  // Host or device bytes held by the queue.
  int64_t bytes() const;

  // For /extra/state: queue/<n>/{step,indices,aug,predictions}, n = 0 the oldest. Integers and
  // float64 parameters go as exact float32 triples (split_exact), predictions as float32
  // holding the float16 values, so a resumed queue equals the saved one bit for bit.
  std::vector<io::NamedArray> to_arrays() const;
  // Throws Error naming `origin`:/extra/state/<name> for a malformed array. Predictions come
  // back on `device`.
  static SdpQueue from_arrays(const std::vector<io::NamedArray>& arrays, const std::string& origin,
                              const torch::Device& device);

 private:
  std::deque<QueuedBatch> batches_;
};

// A float64 as three float32 whose sum, taken as (c + b) + a in float64, is exactly the value:
// a = float(x), b = float(x − a), c = float(x − a − b); each difference is exact in float64,
// and 3 × 24 significant bits cover float64's 53. Throws Error for a value that does not come
// back exactly (magnitudes beyond float32's range or below its normal range).
void split_exact(double value, float* out);
double join_exact(const float* in);

}  // namespace posekd::train
