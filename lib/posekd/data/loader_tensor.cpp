#include "posekd/data/loader.h"

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <fstream>
#include <mutex>
#include <numeric>
#include <thread>

#include "posekd/core/error.h"
#include "posekd/data/transforms_random.h"

namespace posekd {

struct BatchLoader::State {
  std::vector<Instance> instances;
  LoaderOptions options;
  std::vector<int> flip_index, upper_body;
  int num_joints = 0;

  std::vector<size_t> order;
  int64_t epoch = 0, num_batches = 0;
  bool started = false;

  mutable std::mutex mutex;
  std::condition_variable work_cv, ready_cv;
  int64_t next_to_build = 0, next_to_take = 0, built = 0;
  std::map<int64_t, Batch> ready;
  std::exception_ptr error;
  bool stopping = false;
  std::vector<std::thread> threads;

  AugParams params_for(size_t index, int64_t for_epoch) const;
  Batch build(int64_t batch_index) const;
  // The batch of these samples with these parameters (also what rebuild() re-renders).
  Batch assemble(int64_t for_epoch, int64_t batch_index, const std::vector<size_t>& indices,
                 const std::vector<AugParams>& params) const;
  void worker();
  void stop();
};

namespace {

// Shuffle and augmentation draws never collide: the shuffle uses sample index 2^64-1.
constexpr uint64_t kShuffleStream = ~uint64_t(0);

void copy_into(at::Tensor& t, int64_t row, const std::vector<float>& values) {
  std::memcpy(t.data_ptr<float>() + row * int64_t(values.size()), values.data(), values.size() * sizeof(float));
}

}  // namespace

void normalize_image(const cv::Mat& bgr, const LoaderOptions& o, float* chw) {
  const int h = bgr.rows, w = bgr.cols;
  const size_t plane = size_t(h) * w;
  float scale[3], shift[3];
  for (int c = 0; c < 3; ++c) {
    scale[c] = 1.0f / (255.0f * o.std[size_t(c)]);
    shift[c] = -o.mean[size_t(c)] / o.std[size_t(c)];
  }
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = bgr.ptr<uint8_t>(y);
    for (int x = 0; x < w; ++x) {
      const size_t p = size_t(y) * w + x;
      // BGR as decoded -> RGB planes.
      chw[p] = row[3 * x + 2] * scale[0] + shift[0];
      chw[plane + p] = row[3 * x + 1] * scale[1] + shift[1];
      chw[2 * plane + p] = row[3 * x] * scale[2] + shift[2];
    }
  }
}

AugParams BatchLoader::State::params_for(size_t index, int64_t for_epoch) const {
  const Instance& inst = instances[index];
  const auto& t = options.targets;
  AugParams p;
  p.crop = crop_from_instance(inst, t.input_w, t.input_h, options.padding);
  if (!options.augment) return p;
  SampleRng rng = SampleRng::for_sample(options.seed, uint64_t(for_epoch), uint64_t(index));
  return draw_augmentation(inst, p.crop, t.input_w, t.input_h, options.augmentation, upper_body, rng);
}

Batch BatchLoader::State::build(int64_t b) const {
  const size_t first = size_t(b) * size_t(options.batch_size);
  const size_t count = std::min(size_t(options.batch_size), order.size() - first);
  std::vector<size_t> indices(order.begin() + long(first), order.begin() + long(first + count));
  std::vector<AugParams> params;
  for (size_t index : indices) params.push_back(params_for(index, epoch));
  return assemble(epoch, b, indices, params);
}

Batch BatchLoader::State::assemble(int64_t for_epoch, int64_t b, const std::vector<size_t>& indices,
                                   const std::vector<AugParams>& sample_params) const {
  const auto& o = options;
  const auto& t = o.targets;
  const size_t count = indices.size();
  const int64_t n = int64_t(count), k = num_joints;
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  Batch batch;
  batch.epoch = for_epoch;
  batch.index = b;
  batch.images = at::empty({n, 3, t.input_h, t.input_w}, f32);
  batch.keypoints = at::empty({n, k, 3}, f32);
  if (t.heatmaps) {
    batch.heatmaps = at::empty({n, k, t.heatmap_h, t.heatmap_w}, f32);
    batch.heatmap_weights = at::empty({n, k}, f32);
  }
  if (t.simcc) {
    batch.simcc_x = at::empty({n, k, simcc_bins(t.input_w, t.simcc_options.split_ratio)}, f32);
    batch.simcc_y = at::empty({n, k, simcc_bins(t.input_h, t.simcc_options.split_ratio)}, f32);
    batch.simcc_weights = at::empty({n, k}, f32);
  }
  if (t.regression) {
    batch.regression = at::empty({n, k, 2}, f32);
    batch.regression_weights = at::empty({n, k}, f32);
  }
  batch.sample_ids = at::empty({n}, at::TensorOptions().dtype(at::kLong));
  batch.indices = at::empty({n}, at::TensorOptions().dtype(at::kLong));
  batch.affines = at::empty({n, 2, 3}, at::TensorOptions().dtype(at::kDouble));
  batch.aug = at::empty({n, AugParams::kFields}, at::TensorOptions().dtype(at::kDouble));
  const size_t image_floats = size_t(3) * t.input_h * t.input_w;
  std::vector<std::vector<ExtraTarget>> extras;

  for (size_t i = 0; i < count; ++i) {
    const size_t index = indices[i];
    const Instance& inst = instances[index];
    const AugParams& params = sample_params[i];
    // Checked first so a missing file is an error of its own, not OpenCV's warning + decode failure.
    if (!std::ifstream(inst.image_path))
      throw Error(located(inst.image_path, "", "cannot open the image of sample_id " + std::to_string(inst.sample_id)));
    const cv::Mat image = cv::imread(inst.image_path, cv::IMREAD_COLOR);
    if (image.empty())
      throw Error(located(inst.image_path, "", "cannot decode the image of sample_id " + std::to_string(inst.sample_id)));
    const RenderedCrop crop =
        render_augmented(image, inst, params, t.input_w, t.input_h, t.geometry(), flip_index);
    normalize_image(crop.image, o, batch.images.data_ptr<float>() + i * image_floats);
    copy_into(batch.keypoints, int64_t(i), crop.keypoints);
    const SampleTargets st = build_targets(crop.keypoints, t);
    if (t.heatmaps) {
      copy_into(batch.heatmaps, int64_t(i), st.heatmaps);
      copy_into(batch.heatmap_weights, int64_t(i), st.heatmap_weights);
    }
    if (t.simcc) {
      copy_into(batch.simcc_x, int64_t(i), st.simcc_x);
      copy_into(batch.simcc_y, int64_t(i), st.simcc_y);
      copy_into(batch.simcc_weights, int64_t(i), st.simcc_weights);
    }
    if (t.regression) {
      copy_into(batch.regression, int64_t(i), st.regression);
      copy_into(batch.regression_weights, int64_t(i), st.regression_weights);
    }
    batch.sample_ids.data_ptr<int64_t>()[i] = inst.sample_id;
    batch.indices.data_ptr<int64_t>()[i] = int64_t(index);
    std::memcpy(batch.affines.data_ptr<double>() + 6 * i, crop.affine.data().data(), 6 * sizeof(double));
    params.to_array(batch.aug.data_ptr<double>() + i * AugParams::kFields);
    batch.params.push_back(params);
    if (o.extra_targets) {
      ExtraTargetRequest req;
      req.index = index;
      req.instance = &inst;
      req.params = &batch.params.back();
      req.frame = CropFrame{crop.affine, t.input_w, t.input_h, t.heatmap_w, t.heatmap_h, t.geometry()};
      req.image = &image;
      extras.push_back(o.extra_targets(req));
    }
  }

  if (!extras.empty()) {
    const auto& proto = extras.front();
    for (size_t e = 0; e < proto.size(); ++e) {
      std::vector<int64_t> shape{n};
      shape.insert(shape.end(), proto[e].shape.begin(), proto[e].shape.end());
      const size_t numel = size_t(std::accumulate(proto[e].shape.begin(), proto[e].shape.end(), int64_t(1),
                                                  std::multiplies<int64_t>()));
      at::Tensor out = at::empty(shape, f32);
      for (size_t i = 0; i < extras.size(); ++i) {
        const auto& x = extras[i];
        if (x.size() != proto.size() || x[e].name != proto[e].name || x[e].shape != proto[e].shape ||
            x[e].values.size() != numel)
          throw Error("extra target '" + proto[e].name + "': sample_id " +
                      std::to_string(instances[indices[i]].sample_id) +
                      " gives a different name, shape or value count than the batch's first sample");
        copy_into(out, int64_t(i), x[e].values);
      }
      batch.extra.emplace(proto[e].name, std::move(out));
    }
  }
  return batch;
}

void BatchLoader::State::worker() {
  std::unique_lock<std::mutex> lock(mutex);
  for (;;) {
    work_cv.wait(lock, [&] {
      return stopping || error || next_to_build >= num_batches || next_to_build < next_to_take + options.prefetch;
    });
    if (stopping || error || next_to_build >= num_batches) return;
    const int64_t b = next_to_build++;
    lock.unlock();
    try {
      Batch batch = build(b);
      lock.lock();
      ready.emplace(b, std::move(batch));
      ++built;
    } catch (...) {
      lock.lock();
      if (!error) error = std::current_exception();
    }
    ready_cv.notify_all();
  }
}

void BatchLoader::State::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  work_cv.notify_all();
  for (auto& t : threads) t.join();
  threads.clear();
}

BatchLoader::BatchLoader(std::vector<Instance> instances, const Skeleton& skeleton, LoaderOptions options)
    : state_(std::make_unique<State>()) {
  auto& s = *state_;
  if (options.batch_size < 1) throw UsageError("batch size must be at least 1, found " + std::to_string(options.batch_size));
  if (options.workers < 0) throw UsageError("worker count must be 0 or more, found " + std::to_string(options.workers));
  if (options.prefetch < 1) throw UsageError("prefetch must be at least 1 batch, found " + std::to_string(options.prefetch));
  if (options.shard_count < 1 || options.shard_index < 0 || options.shard_index >= options.shard_count)
    throw UsageError(fmt::format("loader shard {} of {}: expected 0 <= index < count", options.shard_index,
                                 options.shard_count));
  if (instances.empty()) throw UsageError("the batch loader got no instances");
  s.num_joints = skeleton.num_joints();
  for (const auto& inst : instances) {
    const std::string place = "sample_id " + std::to_string(inst.sample_id);
    if (int(inst.keypoints.size()) != s.num_joints)
      throw Error(located(inst.image_path, place,
                          "expected " + std::to_string(s.num_joints) + " keypoints (" + skeleton.name + "), found " +
                              std::to_string(inst.keypoints.size())));
    if (!(inst.scale > 0) && !(inst.box.w > 0 && inst.box.h > 0))
      throw Error(located(inst.image_path, place,
                          fmt::format("expected a box of positive size, found {}x{}", inst.box.w, inst.box.h)));
  }
  s.instances = std::move(instances);
  s.flip_index = skeleton.flip_index();
  s.upper_body = options.augmentation.upper_body_joints.empty() ? upper_body_joints(skeleton)
                                                                : options.augmentation.upper_body_joints;
  s.options = std::move(options);
}

BatchLoader::~BatchLoader() { state_->stop(); }

namespace {

int64_t batches_of_shard(int64_t shard_samples, const LoaderOptions& o) {
  const int64_t b = o.batch_size;
  return o.drop_last ? shard_samples / b : (shard_samples + b - 1) / b;
}

// Positions [skip, end) of `order`, padded with its own start to a multiple of `count`
// (cyclically when fewer than `count` remain), then every count-th from `index`.
std::vector<size_t> shard_of(const std::vector<size_t>& order, size_t skip, int index, int count) {
  const size_t n = order.size() - std::min(skip, order.size());
  if (n == 0) return {};
  const size_t padded = (n + size_t(count) - 1) / size_t(count) * size_t(count);
  std::vector<size_t> shard;
  for (size_t p = size_t(index); p < padded; p += size_t(count)) shard.push_back(order[skip + p % n]);
  return shard;
}

}  // namespace

int64_t BatchLoader::batches_per_epoch() const {
  const auto& o = state_->options;
  return batches_of_shard((int64_t(state_->instances.size()) + o.shard_count - 1) / o.shard_count, o);
}

int64_t BatchLoader::batches_in_epoch() const {
  return state_->started ? state_->num_batches : batches_per_epoch();
}

void BatchLoader::start_epoch(int64_t epoch, int64_t first_batch, int64_t skip_samples) {
  auto& s = *state_;
  s.stop();
  s.stopping = false;
  s.error = nullptr;
  s.ready.clear();
  s.epoch = epoch;
  s.built = 0;
  s.order.resize(s.instances.size());
  std::iota(s.order.begin(), s.order.end(), size_t(0));
  if (s.options.shuffle) {
    SampleRng rng = SampleRng::for_sample(s.options.seed, uint64_t(epoch), kShuffleStream);
    for (size_t i = s.order.size(); i > 1; --i) std::swap(s.order[i - 1], s.order[rng.below(i)]);
  }
  const size_t skip = size_t(std::max<int64_t>(skip_samples, 0));
  if (s.options.shard_count > 1 || skip > 0)
    s.order = shard_of(s.order, skip, s.options.shard_index, s.options.shard_count);
  s.num_batches = batches_of_shard(int64_t(s.order.size()), s.options);
  s.next_to_build = s.next_to_take = std::clamp<int64_t>(first_batch, 0, s.num_batches);
  s.started = true;
  if (s.options.on_epoch_order)
    s.options.on_epoch_order(epoch, s.order, size_t(s.next_to_build) * size_t(s.options.batch_size));
  for (int w = 0; w < s.options.workers; ++w) s.threads.emplace_back([&s] { s.worker(); });
}

std::optional<Batch> BatchLoader::next() {
  auto& s = *state_;
  if (!s.started) start_epoch(0);
  if (s.next_to_take >= s.num_batches) return std::nullopt;
  if (s.options.workers == 0) {
    Batch b = s.build(s.next_to_take);
    ++s.next_to_take;
    ++s.built;
    return b;
  }
  std::unique_lock<std::mutex> lock(s.mutex);
  s.ready_cv.wait(lock, [&] { return s.error || s.ready.count(s.next_to_take); });
  if (s.error) std::rethrow_exception(s.error);
  auto node = s.ready.extract(s.next_to_take);
  ++s.next_to_take;
  lock.unlock();
  s.work_cv.notify_all();
  return std::move(node.mapped());
}

int64_t BatchLoader::batches_built() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->built;
}

AugParams BatchLoader::sample_params(size_t index, int64_t epoch) const {
  if (index >= state_->instances.size())
    throw Error("sample index " + std::to_string(index) + " out of range, the loader has " +
                std::to_string(state_->instances.size()) + " instances");
  return state_->params_for(index, epoch);
}

Batch BatchLoader::rebuild(const std::vector<int64_t>& indices, const std::vector<AugParams>& params) const {
  if (indices.size() != params.size())
    throw Error("rebuild: " + std::to_string(indices.size()) + " sample indices but " + std::to_string(params.size()) +
                " parameter sets");
  std::vector<size_t> idx;
  for (int64_t i : indices) {
    if (i < 0 || size_t(i) >= state_->instances.size())
      throw Error("rebuild: sample index " + std::to_string(i) + " out of range, the loader has " +
                  std::to_string(state_->instances.size()) + " instances");
    idx.push_back(size_t(i));
  }
  return state_->assemble(-1, -1, idx, params);
}

const std::vector<Instance>& BatchLoader::instances() const { return state_->instances; }
const std::vector<int>& BatchLoader::flip_index() const { return state_->flip_index; }

}  // namespace posekd
