#include "posekd/train/dump.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "posekd/cli/tool.h"
#include "posekd/codec/simcc.h"
#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/core/signals.h"
#include "posekd/data/dataset.h"
#include "posekd/io/h5.h"
#include "posekd/train/dump_arguments.h"
#include "posekd/train/dump_visualize.h"
#include "posekd/train/dump_writer.h"
#include "posekd/train/model_checkpoint.h"
#include "posekd/train/runtime.h"

namespace posekd::train {
namespace {

namespace fs = std::filesystem;

// Heads without heatmaps still fill /heatmaps (students warp maps): a Gaussian per joint at
// the decoded location, peak = the joint's score. Regression heads give their own σx, σy
// (DistilPose's simulated heatmaps); SimCC uses the σ of the heatmap targets, 2 pixels.
void render_maps(const std::vector<Point2>& centres, const std::vector<Point2>& sigmas, const std::vector<double>& scores,
                 int w, int h, float* out) {
  for (size_t k = 0; k < centres.size(); ++k) {
    const double sx = std::max(sigmas[k].x, 1e-3), sy = std::max(sigmas[k].y, 1e-3);
    const double peak = std::max(scores[k], 0.0);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const double dx = (x - centres[k].x) / sx, dy = (y - centres[k].y) / sy;
        out[(k * size_t(h) + y) * w + x] = float(peak * std::exp(-0.5 * (dx * dx + dy * dy)));
      }
  }
}

std::vector<io::ExtraArray> extra_arrays(nn::PoseModelImpl& model, const DumpOptions& o, h5::DType dtype,
                                         const c10::Device& device) {
  torch::NoGradGuard no_grad;
  const auto in = model.info().input;
  const nn::ModelOutputs out = model.forward(torch::zeros({1, 3, in.height, in.width}, torch::TensorOptions().device(device)));
  std::vector<io::ExtraArray> extras;
  const auto shape_of = [](const at::Tensor& t) {
    h5::Shape s(t.sizes().begin() + 1, t.sizes().end());
    return s;
  };
  for (const std::string& name : o.features) extras.push_back({"features/" + name, shape_of(out.feature(name)), dtype});
  if (o.tokens) {
    if (!out.keypoint_tokens.defined())
      throw UsageError(fmt::format("--tokens: model {} has no keypoint or visual tokens (token-based models: tokenpose, "
                                   "head=regression)",
                                   model.info().spec.str()));
    extras.push_back({"tokens/keypoint", shape_of(out.keypoint_tokens), dtype});
    extras.push_back({"tokens/visual", shape_of(out.visual_tokens), dtype});
  }
  if (out.simcc_x.defined()) {
    extras.push_back({"simcc/x", shape_of(out.simcc_x), dtype});
    extras.push_back({"simcc/y", shape_of(out.simcc_y), dtype});
  }
  return extras;
}

std::vector<float> as_floats(const at::Tensor& t, int64_t first_row, int64_t rows) {
  const at::Tensor part = t.narrow(0, first_row, rows).contiguous();
  return std::vector<float>(part.data_ptr<float>(), part.data_ptr<float>() + part.numel());
}

}  // namespace

using detail::check_resumable;
using detail::dump_config;
using detail::effective_padding;
using detail::shard_range;

std::vector<Instance> dump_instances(const DumpOptions& o, Skeleton* skeleton) {
  ReadOptions ro;
  ro.format = parse_dataset_format(o.dataset_format);
  ro.image_dir = o.image_dir;
  // HRNet's and mmpose's ground-truth-box evaluation skip people without labelled joints
  // (and crowd regions); the training filter does the same.
  ro.purpose = o.detections.empty() ? Purpose::training : Purpose::evaluation;
  Dataset ds = read_dataset(o.dataset, ro);
  if (skeleton) *skeleton = ds.skeleton;
  if (o.detections.empty()) return std::move(ds.instances);

  const std::vector<Result> results = read_results(o.detections);
  std::vector<Instance> out;
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    const std::string place = fmt::format("[{}]", i);
    if (!r.has_bbox) fail(o.detections, place, "expected a detector box (bbox), found none");
    if (r.category_id != 1) continue;  // person boxes only, as HRNet's COCO detections loader
    if (r.score < o.detection_threshold) continue;
    const ImageInfo* image = ds.find_image(r.image_id);
    if (!image) fail(o.detections, place, fmt::format("image_id {} is not in {}", r.image_id, o.dataset));
    Instance inst;
    inst.image_path = image->path;
    inst.image_id = r.image_id;
    inst.sample_id = static_cast<int64_t>(i);
    inst.box = r.bbox;
    inst.area = r.bbox.w * r.bbox.h;
    inst.score = static_cast<float>(r.score);
    inst.keypoints.assign(static_cast<size_t>(ds.skeleton.num_joints()), Keypoint{});
    out.push_back(std::move(inst));
  }
  return out;
}

void run_dump(const DumpOptions& o) {
  if (o.output.empty() && o.predictions.empty())
    throw UsageError("nothing to write: give -o FILE (heatmaps) and/or --predictions FILE");
  if (o.output == "-" && o.predictions == "-") throw UsageError("-o - and --predictions - cannot both use stdout");
  if (o.output == "-" && o.resume) throw UsageError("--resume needs a file: a dump to stdout cannot be resumed");
  if (o.batch_size < 1) throw UsageError(fmt::format("--batch-size: expected >= 1, found {}", o.batch_size));
  if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count)
    throw UsageError(fmt::format("--shard: expected i/n with 0 <= i < n, found {}/{}", o.shard_index, o.shard_count));
  const std::string partial = o.output.empty() || o.output == "-" ? "" : o.output + ".partial";
  if (o.resume && !partial.empty() && fs::exists(o.output) && !fs::exists(partial)) {
    // A requeued array task whose shard finished before: nothing to do.
    if (!o.predictions.empty())
      throw UsageError(fmt::format("--resume: {} is complete; write --predictions in a run without -o", o.output));
    log::info("{}: already complete, nothing to resume", o.output);
    return;
  }
  if (!o.resume || partial.empty() || !fs::exists(partial)) cli::check_output_path(o.output, o.force);
  cli::check_output_path(o.predictions, o.force);

  install_interrupt_handlers();
  Skeleton skeleton;
  const std::vector<Instance> all = dump_instances(o, &skeleton);
  const c10::Device device = resolve_device(o.device);
  LoadedModel loaded = load_model(o.checkpoint, device, &skeleton);
  nn::PoseModelImpl& model = *loaded.model;
  const nn::ModelInfo& info = model.info();
  const auto [begin, end] = shard_range(all.size(), o.batch_size, o.shard_index, o.shard_count);
  const std::vector<Instance> instances(all.begin() + long(begin), all.begin() + long(end));
  log::info("{}: {} of {} samples (shard {}/{}) on {} boxes", o.dataset, instances.size(), all.size(), o.shard_index,
            o.shard_count, o.detections.empty() ? "ground-truth" : "detector");

  PredictOptions po;
  po.batch_size = o.batch_size;
  po.workers = o.workers;
  po.padding = effective_padding(o);
  po.flip_test = o.flip_test;
  po.flip_shift = detail::effective_flip_shift(o);
  if (!o.decoder.empty()) po.decoder = parse_heatmap_decoder(o.decoder);
  po.blur_kernel = o.blur_kernel;
  PredictTiming timing;
  po.timing = &timing;
  po.keep_outputs = !o.output.empty() || !o.visualize.empty();
  po.features = o.features;
  po.tokens = o.tokens;
  po.keep_predictions = !o.predictions.empty();

  const h5::DType dtype = o.float32 ? h5::DType::float32 : h5::DType::float16;
  const std::string config = dump_config(o);
  std::unique_ptr<io::HeatmapsWriter> writer;
  if (!o.output.empty()) {
    io::HeatmapsLayout layout;
    layout.samples = static_cast<int64_t>(instances.size());
    layout.joints = info.joints;
    layout.height = info.heatmap.height;
    layout.width = info.heatmap.width;
    layout.dtype = dtype;
    layout.deflate = o.deflate;
    layout.skeleton = skeleton;
    layout.model_spec = info.spec.str();
    layout.input_size = {info.input.width, info.input.height};
    layout.extras = extra_arrays(model, o, dtype, device);
    layout.attributes["dump_config"] = config;
    layout.attributes["boxes"] = o.detections.empty() ? "ground-truth" : "detections";
    layout.attributes["head_type"] = nn::head_name(info.head);
    layout.attributes["decoding"] = to_string(loaded.codec);
    layout.attributes["decoder"] = to_string(po.decoder.value_or(default_decoder(loaded.codec)));
    layout.attributes["flip_test"] = o.flip_test ? "on" : "off";
    if (o.flip_test) layout.attributes["flip_shift"] = to_string(po.resolved_flip_shift(loaded.codec));
    layout.attributes["padding"] = fmt::format("{}", po.padding);
    layout.attributes["shard"] = fmt::format("{}/{}", o.shard_index, o.shard_count);
    Provenance provenance = Provenance::current();
    provenance.add_input(o.checkpoint);
    provenance.add_input(o.dataset);
    if (!o.detections.empty()) provenance.add_input(o.detections);
    if (o.output != "-") {
      if (o.resume && fs::exists(partial)) {
        check_resumable(partial, config);
      } else {
        std::error_code ec;
        fs::remove(partial, ec);  // a stale .partial of another run is not continued without --resume
      }
    }
    // Resumable whenever it is a file, so that an interrupted dump keeps its .partial.
    writer = std::make_unique<io::HeatmapsWriter>(o.output, std::move(layout), o.output != "-", provenance);
  }

  // Resume at the first batch with a sample not yet written; its batches are the same as in
  // the first run (batch size is part of the checked arguments), so their outputs are too.
  size_t start = 0;
  if (writer && writer->resumed()) {
    while (start < instances.size() && writer->is_done(int64_t(start))) ++start;
    start -= start % size_t(o.batch_size);
  }
  // Predictions need every sample: a resumed run with --predictions runs the model over the
  // written batches again but does not rewrite them.
  const size_t run_from = o.predictions.empty() ? start : 0;
  const std::vector<Instance> remaining(instances.begin() + long(run_from), instances.end());
  if (!o.visualize.empty()) fs::create_directories(o.visualize);

  std::unique_ptr<DumpWriterThread> thread;
  if (writer) thread = std::make_unique<DumpWriterThread>(*writer);
  const int K = info.joints, hm_w = info.heatmap.width, hm_h = info.heatmap.height;
  const Affine2D to_heatmap = input_to_heatmap(info.input.width, info.input.height, hm_w, hm_h, crop_geometry(loaded.codec));
  int drawn = 0;
  int64_t written = 0;
  const auto on_batch = [&](const PredictedBatch& b) {
    const int64_t first = int64_t(run_from) + b.first;  // row in this dump
    at::Tensor maps = b.heatmaps;
    if (po.keep_outputs && !maps.defined()) {
      maps = torch::empty({b.size, K, hm_h, hm_w}, torch::kFloat32);
      for (int64_t i = 0; i < b.size; ++i) {
        const InstancePrediction& p = b.predictions[i];
        std::vector<Point2> centres(K), sigmas(K, Point2{2.0, 2.0});
        std::vector<double> scores(K);
        const Affine2D image_to_heatmap = to_heatmap.after(p.crop);
        for (int k = 0; k < K; ++k) {
          centres[k] = image_to_heatmap.apply({p.keypoints[3 * k], p.keypoints[3 * k + 1]});
          scores[k] = p.keypoints[3 * k + 2];
          if (b.sigma.defined()) {
            const float* s = b.sigma.data_ptr<float>() + (i * K + k) * 2;
            sigmas[k] = {s[0] * info.input.width * to_heatmap(0, 0), s[1] * info.input.height * to_heatmap(1, 1)};
          }
        }
        render_maps(centres, sigmas, scores, hm_w, hm_h, maps.data_ptr<float>() + i * K * hm_h * hm_w);
      }
    }
    for (int64_t i = 0; i < b.size && drawn < o.visualize_limit && !o.visualize.empty(); ++i, ++drawn) {
      const InstancePrediction& p = b.predictions[i];
      OverlayInput in;
      const at::Tensor image = b.images[i].contiguous();
      in.image = image.data_ptr<float>();
      in.input_w = info.input.width;
      in.input_h = info.input.height;
      in.heatmaps = maps.data_ptr<float>() + i * K * hm_h * hm_w;
      in.heatmap_w = hm_w;
      in.heatmap_h = hm_h;
      in.keypoints = p.keypoints;
      in.crop = p.crop;
      write_overlay(in, skeleton, fmt::format("{}/sample_{}.png", o.visualize, p.sample_id));
    }
    if (thread && first + b.size > int64_t(start)) {
      // A batch is written whole: resuming starts at a batch boundary.
      DumpBlock block;
      block.first = first;
      block.count = b.size;
      for (int64_t i = 0; i < b.size; ++i) {
        const InstancePrediction& p = b.predictions[i];
        block.sample_ids.push_back(p.sample_id);
        block.image_ids.push_back(p.image_id);
        for (float v : p.crop.to_float()) block.crops.push_back(v);
        for (double v : p.keypoints) block.coords.push_back(float(v));
      }
      block.heatmaps = as_floats(maps, 0, b.size);
      for (const std::string& name : o.features) block.extras["features/" + name] = as_floats(b.features.at(name), 0, b.size);
      if (o.tokens) {
        block.extras["tokens/keypoint"] = as_floats(b.keypoint_tokens, 0, b.size);
        block.extras["tokens/visual"] = as_floats(b.visual_tokens, 0, b.size);
      }
      if (b.simcc_x.defined()) {
        block.extras["simcc/x"] = as_floats(b.simcc_x, 0, b.size);
        block.extras["simcc/y"] = as_floats(b.simcc_y, 0, b.size);
      }
      thread->push(std::move(block));
      written += b.size;
    }
    if (interrupt_requested())
      throw Interrupted(fmt::format("signal {} after {} of {} samples", interrupt_signal(), first + b.size,
                                    instances.size()));
  };

  std::vector<InstancePrediction> predictions;
  try {
    predictions = predict(model, skeleton, loaded.codec, remaining, po, on_batch);
    if (thread) thread->finish();
  } catch (const Interrupted& e) {
    if (thread) thread->finish();
    thread.reset();
    writer.reset();  // keeps the .partial
    if (partial.empty()) throw;
    throw Interrupted(fmt::format("{}; {} kept, continue with --resume", e.what(), partial));
  }
  thread.reset();
  if (timing.people > 0)
    log::info("{} people in {:.1f} s: {:.2f} ms per person for the model and decoding ({:.2f} ms with image loading); "
              "batch {}, threads {}, flip test {}",
              timing.people, timing.total_seconds, 1e3 * timing.model_seconds / timing.people,
              1e3 * timing.total_seconds / timing.people, po.batch_size, torch::get_num_threads(), po.flip_test ? "on" : "off");
  // A signal after the last batch still means "stop": the .partial stays complete and a
  // --resume commits it.
  if (interrupt_requested() && !partial.empty())
    throw Interrupted(fmt::format("signal {} after all {} samples; {} kept, complete it with --resume", interrupt_signal(),
                                  instances.size(), partial));
  if (writer) {
    writer->commit();
    log::info("{}: {} samples ({} written in this run)", o.output == "-" ? "<stdout>" : o.output, instances.size(), written);
  }
  if (!o.predictions.empty()) {
    const PosePredictions results = predictions_to_results(predictions, skeleton, o.results);
    write_coco_results(results, o.predictions);
    log::info("{}: {} predictions", o.predictions == "-" ? "<stdout>" : o.predictions, results.detections.size());
  }
}

}  // namespace posekd::train
