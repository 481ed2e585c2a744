#include "posekd/train/predict.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "posekd/codec/flip_test.h"
#include "posekd/codec/regression.h"
#include "posekd/codec/simcc.h"
#include "posekd/core/error.h"
#include "posekd/data/loader.h"
#include "posekd/data/transforms.h"

namespace posekd::train {
namespace {

at::Tensor to_host(const at::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat32).contiguous(); }

// Mirrors SimCC x logits (bin b -> bins-1-b) and swaps joints by the flip index, as mmpose's
// flip_vectors; y logits only swap. No shift, as mmpose.
at::Tensor flip_back_joints(const at::Tensor& t, const std::vector<int>& flip_index) {
  return t.index_select(1, torch::tensor(std::vector<int64_t>(flip_index.begin(), flip_index.end()), torch::kLong));
}

// Regression coordinates are fractions of the input: the input mirror x -> w-1-x is
// x/w -> 1 - x/w - 1/w, so mmpose's shift_coords subtracts 1/w.
at::Tensor flip_back_coords(const at::Tensor& coords, const std::vector<int>& flip_index, bool shift, int input_w) {
  at::Tensor c = flip_back_joints(coords, flip_index).clone();
  at::Tensor x = c.select(2, 0);
  x.mul_(-1).add_(1.0);
  if (shift) x.sub_(1.0 / input_w);
  return c;
}

void store(InstancePrediction& p, const std::vector<DecodedKeypoint>& decoded) {
  p.keypoints.resize(decoded.size() * 3);
  for (size_t k = 0; k < decoded.size(); ++k) {
    p.keypoints[3 * k] = decoded[k].x;
    p.keypoints[3 * k + 1] = decoded[k].y;
    p.keypoints[3 * k + 2] = decoded[k].score;
  }
}

}  // namespace

TargetOptions model_targets(const nn::ModelInfo& info, HeatmapCodec codec) {
  TargetOptions t;
  t.input_w = info.input.width;
  t.input_h = info.input.height;
  t.heatmap_w = info.heatmap.width;
  t.heatmap_h = info.heatmap.height;
  t.heatmap.codec = codec;
  return t;
}

FlipShift PredictOptions::resolved_flip_shift(HeatmapCodec codec) const {
  return flip_shift.value_or(crop_geometry(codec) == CropGeometry::standard ? FlipShift::hrnet : FlipShift::none);
}

std::vector<InstancePrediction> predict(nn::PoseModelImpl& model, const Skeleton& skeleton, HeatmapCodec codec,
                                        const std::vector<Instance>& instances, const PredictOptions& options,
                                        const BatchCallback& on_batch) {
  const nn::ModelInfo& info = model.info();
  const int K = info.joints;
  if (K != skeleton.num_joints())
    throw UsageError(fmt::format("model {} predicts {} joints, skeleton {} has {}", info.spec.str(), K, skeleton.name,
                                 skeleton.num_joints()));
  std::vector<InstancePrediction> predictions;
  if (instances.empty()) return predictions;

  LoaderOptions lo;
  lo.batch_size = options.batch_size;
  lo.workers = options.workers;
  lo.prefetch = options.prefetch;
  lo.shuffle = false;
  lo.augment = false;
  lo.padding = options.padding;
  lo.targets = model_targets(info, codec);
  lo.targets.heatmaps = false;
  BatchLoader loader(instances, skeleton, lo);

  const std::vector<int>& flip_index = loader.flip_index();
  const CropGeometry geometry = crop_geometry(codec);
  const FlipShift flip_shift = options.resolved_flip_shift(codec);
  const bool shift = flip_shift != FlipShift::none;  // regression coordinates: mmpose's exact shift_coords
  HeatmapDecodeOptions decode;
  decode.decoder = options.decoder.value_or(default_decoder(codec));
  decode.blur_kernel = options.blur_kernel > 0 ? options.blur_kernel : default_blur_kernel(info.heatmap.width);
  const int hm_w = info.heatmap.width, hm_h = info.heatmap.height;
  const c10::Device device = model.parameters().empty() ? c10::Device(c10::kCPU) : model.parameters().front().device();

  if (options.keep_predictions) predictions.reserve(instances.size());
  int64_t emitted = 0;
  torch::NoGradGuard no_grad;
  // Inference uses BatchNorm's running statistics, whoever calls (the Trainer's validation
  // holds a model in training mode); the caller's mode comes back afterwards.
  struct EvalMode {
    torch::nn::Module& module;
    const bool was_training = module.is_training();
    explicit EvalMode(torch::nn::Module& m) : module(m) { module.eval(); }
    ~EvalMode() { module.train(was_training); }
  } eval_mode(model);
  using Clock = std::chrono::steady_clock;
  const Clock::time_point started = Clock::now();
  while (std::optional<Batch> batch = loader.next()) {
    const Clock::time_point batch_started = Clock::now();
    const int64_t B = batch->size();
    const at::Tensor images = batch->images.to(device);
    nn::ModelOutputs out = model.forward(images);
    std::optional<nn::ModelOutputs> flipped;
    if (options.flip_test) flipped = model.forward(images.flip({3}));

    PredictedBatch raw;
    raw.first = emitted;
    if (!options.keep_predictions) predictions.clear();
    const size_t batch_start = predictions.size();
    raw.size = B;
    if (!out.heatmaps.empty()) {
      raw.heatmaps = to_host(out.final_heatmaps());
      if (flipped) {
        const at::Tensor f = to_host(flipped->final_heatmaps());
        at::Tensor merged = torch::empty_like(raw.heatmaps);
        const int64_t per = int64_t(K) * hm_h * hm_w;
        for (int64_t b = 0; b < B; ++b)
          merge_flip_test(raw.heatmaps.data_ptr<float>() + b * per, f.data_ptr<float>() + b * per, K, hm_h, hm_w,
                          flip_index,
                          flip_shift_columns(flip_shift, info.input.width, hm_w, geometry == CropGeometry::udp),
                          merged.data_ptr<float>() + b * per);
        raw.heatmaps = merged;
      }
    }
    if (out.simcc_x.defined()) {
      raw.simcc_x = to_host(out.simcc_x);
      raw.simcc_y = to_host(out.simcc_y);
      if (flipped) {
        const at::Tensor fx = flip_back_joints(to_host(flipped->simcc_x).flip({2}), flip_index);
        const at::Tensor fy = flip_back_joints(to_host(flipped->simcc_y), flip_index);
        raw.simcc_x = ((raw.simcc_x + fx) * 0.5).contiguous();
        raw.simcc_y = ((raw.simcc_y + fy) * 0.5).contiguous();
      }
    }
    if (out.coords.defined()) {
      raw.coords = to_host(out.coords);
      raw.sigma = to_host(out.sigma);
      raw.score = to_host(out.score);
      if (flipped) {
        const at::Tensor fc = flip_back_coords(to_host(flipped->coords), flip_index, shift, info.input.width);
        raw.coords = ((raw.coords + fc) * 0.5).contiguous();
        raw.sigma = ((raw.sigma + flip_back_joints(to_host(flipped->sigma), flip_index)) * 0.5).contiguous();
        raw.score = ((raw.score + flip_back_joints(to_host(flipped->score), flip_index)) * 0.5).contiguous();
      }
    }
    if (options.keep_outputs) {
      raw.images = batch->images;
      for (const std::string& name : options.features) raw.features[name] = to_host(out.feature(name));
      if (options.tokens) {
        if (!out.keypoint_tokens.defined())
          throw UsageError(fmt::format("model {} has no keypoint or visual tokens", info.spec.str()));
        raw.keypoint_tokens = to_host(out.keypoint_tokens);
        raw.visual_tokens = to_host(out.visual_tokens);
      }
    }

    const at::Tensor affines = batch->affines.to(torch::kCPU, torch::kFloat64).contiguous();
    const at::Tensor indices = batch->indices.to(torch::kCPU).contiguous();
    for (int64_t b = 0; b < B; ++b) {
      InstancePrediction p;
      p.index = indices.data_ptr<int64_t>()[b];
      const Instance& inst = instances[static_cast<size_t>(p.index)];
      p.sample_id = inst.sample_id;
      p.image_id = inst.image_id;
      p.box_score = inst.score;
      const CropParams standard = crop_from_instance(inst, info.input.width, info.input.height, 1.25);
      p.area = standard.width * standard.height;
      p.crop = Affine2D::from(affines.data_ptr<double>() + 6 * b);
      std::vector<DecodedKeypoint> decoded;
      if (raw.heatmaps.defined()) {
        decoded = decode_heatmaps(raw.heatmaps.data_ptr<float>() + b * K * hm_h * hm_w, K, hm_h, hm_w, decode);
        back_project(decoded, CropFrame{p.crop, info.input.width, info.input.height, hm_w, hm_h, geometry});
      } else if (raw.simcc_x.defined()) {
        const int bx = int(raw.simcc_x.size(2)), by = int(raw.simcc_y.size(2));
        decoded = decode_simcc(raw.simcc_x.data_ptr<float>() + b * K * bx, raw.simcc_y.data_ptr<float>() + b * K * by,
                               K, bx, by, info.spec.get_real("split"));
        apply_affine(decoded, p.crop.inverse());
      } else if (raw.coords.defined()) {
        decoded = decode_regression(raw.coords.data_ptr<float>() + b * K * 2, raw.score.data_ptr<float>() + b * K, K,
                                    info.input.width, info.input.height);
        apply_affine(decoded, p.crop.inverse());
      } else {
        throw Error(fmt::format("model {}: no heatmaps, SimCC vectors or coordinates to decode", info.spec.str()));
      }
      store(p, decoded);
      predictions.push_back(std::move(p));
    }
    raw.predictions = predictions.data() + batch_start;
    emitted += B;
    if (options.timing) {
      options.timing->people += B;
      options.timing->model_seconds += std::chrono::duration<double>(Clock::now() - batch_started).count();
    }
    if (on_batch) on_batch(raw);
  }
  if (options.timing) options.timing->total_seconds += std::chrono::duration<double>(Clock::now() - started).count();
  if (!options.keep_predictions) predictions.clear();
  return predictions;
}

PosePredictions predictions_to_results(const std::vector<InstancePrediction>& predictions, const Skeleton& skeleton,
                                       const ResultOptions& options) {
  PosePredictions p;
  p.format = PredictionFormat::coco_results;
  p.detections.reserve(predictions.size());
  for (const InstancePrediction& q : predictions) {
    p.detections.push_back(EvalDetection{q.image_id, q.keypoints, q.box_score});
    p.box_areas.push_back(q.area);
  }
  postprocess_predictions(p, skeleton.sigmas, options.rescore, options.rescore_threshold, options.oks_nms);
  return p;
}

void write_coco_results(const PosePredictions& results, const std::string& path, int64_t category_id) {
  fmt::memory_buffer text;
  text.push_back('[');
  for (size_t i = 0; i < results.detections.size(); ++i) {
    const EvalDetection& d = results.detections[i];
    fmt::format_to(std::back_inserter(text), "{}\n{{\"image_id\": {}, \"category_id\": {}, \"keypoints\": [",
                   i ? "," : "", d.image_id, category_id);
    for (size_t j = 0; j < d.keypoints.size(); ++j)
      fmt::format_to(std::back_inserter(text), "{}{}", j ? ", " : "", d.keypoints[j]);
    fmt::format_to(std::back_inserter(text), "], \"score\": {}}}", d.score);
  }
  fmt::format_to(std::back_inserter(text), "\n]\n");
  if (path == "-") {
    std::cout.write(text.data(), std::streamsize(text.size()));
    std::cout.flush();
    if (!std::cout) throw Error("<stdout>: cannot write the COCO results");
    return;
  }
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out.write(text.data(), std::streamsize(text.size()));
    out.close();
    if (!out) throw Error(fmt::format("{}: cannot write the COCO results", path));
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) throw Error(fmt::format("{}: cannot rename {} into place: {}", path, partial, ec.message()));
}

}  // namespace posekd::train
