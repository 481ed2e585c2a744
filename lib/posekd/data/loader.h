#pragma once
// The training batch loader (LibTorch side): worker threads decode JPEGs, crop and augment,
// build targets and collate tensors ahead of the model. A batch depends only on (seed, epoch,
// batch index), never on the worker count; at most `prefetch` batches are built or waiting.
// Evaluation and dumps use augment = false, shuffle = false (a dump that students will warp
// also raises `padding`, DESIGN 3.3); predictions go back to the image through
// CropFrame{affines[i], sizes, targets.geometry()} and back_project(). Flip test: run the model
// on images.flip({3}) too and merge with merge_flip_test (shift for the standard geometry).
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "posekd/codec/heatmap_geometry.h"
#include "posekd/core/skeleton.h"
#include "posekd/data/instance.h"
#include "posekd/data/targets.h"
#include "posekd/data/transforms_augment.h"

namespace posekd {

// What the extra-target hook sees for one sample: which one, and the crop it got.
struct ExtraTargetRequest {
  size_t index = 0;  // position in the loader's instance list
  const Instance* instance = nullptr;
  const AugParams* params = nullptr;
  CropFrame frame;  // the student crop: affine, input and heatmap sizes, geometry
  const cv::Mat* image = nullptr;  // the decoded image (8-bit BGR), for a second crop of it
};

// One named float array per sample; every sample of a batch must give the same names and
// shapes. Collated as [B, shape...] into Batch::extra.
struct ExtraTarget {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};
// Called on worker threads, concurrently: it must be thread-safe.
using ExtraTargetFn = std::function<std::vector<ExtraTarget>(const ExtraTargetRequest&)>;
// Called by start_epoch before any sample of the epoch is built: the epoch, its sample order
// (instance-list positions) and the position in that order where building starts (a resumed
// epoch). Lets an extra-target source read ahead in the order the samples will be asked for.
using EpochOrderFn = std::function<void(int64_t epoch, const std::vector<size_t>& order, size_t first)>;

struct LoaderOptions {
  int batch_size = 32;
  int workers = 2;   // 0: each batch is built on the calling thread inside next()
  int prefetch = 4;  // batches built or waiting at most (>= 1)
  uint64_t seed = 0;
  bool shuffle = true;
  bool drop_last = false;
  // Data-parallel sharding, as PyTorch's DistributedSampler: each epoch's order is padded by
  // repeating its start to a multiple of shard_count, and this loader takes every
  // shard_count-th sample from position shard_index. So batch b of every shard together is
  // the order's positions [b*B*count, (b+1)*B*count): what one loader of batch B*count takes.
  int shard_index = 0, shard_count = 1;
  bool augment = true;  // false: the plain crop (evaluation, dumps)
  AugmentOptions augmentation;
  double padding = 1.25;
  TargetOptions targets;  // input/heatmap sizes, codec, σ, SimCC and regression on/off
  // ImageNet statistics in RGB on [0, 1] (mmpose's 123.675/58.395 ... on [0, 255]).
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};
  ExtraTargetFn extra_targets;
  EpochOrderFn on_epoch_order;
};

struct Batch {
  int64_t epoch = 0, index = 0;
  at::Tensor images;           // [B,3,H,W] float32, RGB, normalised
  at::Tensor keypoints;        // [B,K,3] float32: x, y in input pixels, v
  at::Tensor heatmaps;         // [B,K,h,w] float32        (targets.heatmaps)
  at::Tensor heatmap_weights;  // [B,K] float32
  at::Tensor simcc_x, simcc_y, simcc_weights;  // [B,K,Wx], [B,K,Wy], [B,K]  (targets.simcc)
  at::Tensor regression, regression_weights;   // [B,K,2], [B,K]            (targets.regression)
  at::Tensor sample_ids;       // [B] int64, Instance::sample_id
  at::Tensor indices;          // [B] int64, position in the loader's instance list
  at::Tensor affines;          // [B,2,3] float64, image -> input
  at::Tensor aug;              // [B,AugParams::kFields] float64, AugParams::to_array (storable)
  std::vector<AugParams> params;  // the same, as structs
  std::map<std::string, at::Tensor> extra;

  int64_t size() const { return int64_t(params.size()); }
};

// The loader's image normalisation: 8-bit BGR -> RGB planes (x/255 - mean)/std, [3,h,w].
void normalize_image(const cv::Mat& bgr, const LoaderOptions& options, float* chw);

class BatchLoader {
 public:
  // Throws UsageError for bad options and Error for instances whose keypoint count differs
  // from the skeleton's.
  BatchLoader(std::vector<Instance> instances, const Skeleton& skeleton, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Of this shard, for a whole epoch.
  int64_t batches_per_epoch() const;
  // Starts (or restarts) an epoch: its shuffled order, and the workers. `first_batch` > 0
  // skips this shard's batches before it without building them (a resumed run continues
  // mid-epoch). `skip_samples` > 0 drops that many samples of the whole order before sharding
  // (a run resumed with another world size or batch size; batch indices then restart at 0).
  void start_epoch(int64_t epoch, int64_t first_batch = 0, int64_t skip_samples = 0);
  // Of this shard, in the epoch started last.
  int64_t batches_in_epoch() const;
  // The next batch of the current epoch (epoch 0 when none was started), nullopt after the
  // last. Rethrows a worker's error (an unreadable image names its file).
  std::optional<Batch> next();
  // Batches built in the current epoch so far (taken or waiting); at most taken + prefetch.
  int64_t batches_built() const;

  // The parameters a sample gets in an epoch, without loading anything.
  AugParams sample_params(size_t index, int64_t epoch) const;
  // Re-renders samples (instance-list positions, as Batch::indices) from stored parameters,
  // bit-identical to the batch they came from; on the calling thread, epoch/index -1.
  Batch rebuild(const std::vector<int64_t>& indices, const std::vector<AugParams>& params) const;
  const std::vector<Instance>& instances() const;
  const std::vector<int>& flip_index() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace posekd
