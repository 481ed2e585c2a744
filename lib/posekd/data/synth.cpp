#include "posekd/data/synth.h"

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/core/progress.h"
#include "posekd/core/skeleton.h"
#include "posekd/core/version.h"
#include "posekd/data/synth_detections.h"
#include "posekd/data/synth_writers.h"

namespace posekd {
namespace fs = std::filesystem;

namespace synth {

SynthSample make_sample(const SynthOptions& options, const SceneKnobs& knobs, const std::vector<BodyPoint>& points,
                        int64_t index) {
  Rng rng = Rng::stream(options.seed, options.split + "/image", static_cast<uint64_t>(index));
  SynthSample s;
  s.scene = sample_scene(rng, knobs, options.width, options.height);
  s.rendered = render_scene(s.scene);
  s.people = label_people(s.scene, s.rendered, points);
  return s;
}

std::string image_file_name(int64_t index, int64_t total, const std::string& extension) {
  const int digits = std::max<int>(6, static_cast<int>(fmt::format("{}", total).size()));
  return fmt::format("{:0{}d}.{}", index + 1, digits, extension);
}

}  // namespace synth

namespace {

bool is_generated_image(const fs::path& p) {
  const std::string stem = p.stem().string(), ext = p.extension().string();
  return (ext == ".jpg" || ext == ".png") && !stem.empty() &&
         std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Refuses to overwrite a dataset without --force; with it, removes the images a previous
// run left, so that a smaller dataset does not keep stale files beside it.
void prepare_output(const SynthOptions& o, const fs::path& annotation, const fs::path& images) {
  std::error_code ec;
  std::vector<fs::path> old_images;
  if (fs::is_directory(images, ec))
    for (const auto& entry : fs::directory_iterator(images))
      if (is_generated_image(entry.path())) old_images.push_back(entry.path());
  if (!o.force) {
    if (fs::exists(annotation, ec))
      throw UsageError(fmt::format("{}: output exists (use --force to overwrite)", annotation.string()));
    if (!old_images.empty())
      throw UsageError(fmt::format("{}: holds {} images of an earlier run (use --force to overwrite)", images.string(),
                                   old_images.size()));
    if (!o.detections.empty() && fs::exists(o.detections, ec))
      throw UsageError(fmt::format("{}: output exists (use --force to overwrite)", o.detections));
  }
  fs::create_directories(images, ec);
  if (ec) throw Error(fmt::format("{}: cannot create directory ({})", images.string(), ec.message()));
  // Checked after creating the dataset directory, so that the boxes may go inside it.
  if (!o.detections.empty()) {
    const fs::path parent = fs::path(o.detections).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec))
      throw UsageError(fmt::format("{}: output directory {} does not exist", o.detections, parent.string()));
  }
  for (const auto& p : old_images) fs::remove(p, ec);
}

void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(fmt::format("{}: cannot open for writing", partial));
    write(out);
    out.flush();
    if (!out) throw Error(fmt::format("{}: write failed (disk full?)", partial));
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) throw Error(fmt::format("{}: cannot rename to {}", partial, path));
}

void write_file(const fs::path& path, const std::vector<uchar>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error(fmt::format("{}: write failed", path.string()));
}

// The generator's settings, recorded in the annotation file. The thread count is left out:
// it does not change the output.
std::string info_json(const SynthOptions& o, const SceneKnobs& k, const std::string& skeleton) {
  using synth::json_number;
  using synth::json_string;
  return fmt::format(
      "{{\"description\": \"Synthetic people rendered by posekd pose-synth\", \"version\": {}, \"split\": {}, "
      "\"seed\": {}, \"difficulty\": {}, \"skeleton\": {}, \"size\": [{}, {}], \"label_noise\": {}, "
      "\"annotator_noise\": {}, \"knobs\": {{\"min_people\": {}, \"max_people\": {}, \"scale_range\": [{}, {}], \"rotation\": {}, "
      "\"articulation\": {}, \"max_overlap\": {}, \"truncation\": {}, \"occluders\": {}, \"clutter\": {}, "
      "\"lr_contrast\": {}, \"pixel_noise\": {}}}}}",
      json_string(version()), json_string(o.split), o.seed, json_string(to_string(o.difficulty)), json_string(skeleton),
      o.width, o.height, json_number(o.label_noise, 6),
      json_number(o.annotator_noise, 6), k.min_people, k.max_people, json_number(k.min_scale, 6),
      json_number(k.max_scale, 6), json_number(k.rotation, 6), json_number(k.articulation, 6), json_number(k.max_overlap, 6),
      json_number(k.truncation, 6), json_number(k.occluders, 6), json_number(k.clutter, 6), json_number(k.lr_contrast, 6),
      json_number(k.pixel_noise, 6));
}

}  // namespace

SynthSummary run_synth(const SynthOptions& o) {
  validate(o);
  const auto started = std::chrono::steady_clock::now();
  const SceneKnobs knobs = resolve_knobs(o);
  const Skeleton skeleton = Skeleton::load(o.skeleton.empty() ? default_skeleton(o.format) : o.skeleton);
  const std::vector<synth::BodyPoint> points = synth::body_points_for(skeleton);

  const fs::path annotation = fs::path(o.output_dir) / o.annotation_name;
  const fs::path image_dir = fs::path(o.output_dir) / "images";
  prepare_output(o, annotation, image_dir);

  std::vector<synth::SynthImage> images(static_cast<size_t>(o.images));
  const int threads = static_cast<int>(std::clamp<int64_t>(
      o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency()), 1, o.images));
  const std::vector<int> encode_params = o.image_format == "jpg"
                                             ? std::vector<int>{cv::IMWRITE_JPEG_QUALITY, o.jpeg_quality}
                                             : std::vector<int>{cv::IMWRITE_PNG_COMPRESSION, 1};
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  Progress progress("rendering", o.images, "img");

  auto work = [&] {
    try {
      std::vector<uchar> bytes;
      for (int64_t i = next++; i < o.images && !failed; i = next++) {
        synth::SynthSample sample = synth::make_sample(o, knobs, points, i);
        synth::SynthImage& im = images[static_cast<size_t>(i)];
        im.id = i + 1;
        // Relative to the annotation file's directory, where posekd's readers look by default.
        im.file_name = "images/" + synth::image_file_name(i, o.images, o.image_format);
        im.width = o.width;
        im.height = o.height;
        im.people = std::move(sample.people);
        if (!o.detections.empty()) {
          synth::Rng rng = synth::Rng::stream(o.seed, o.split + "/detections", static_cast<uint64_t>(i));
          im.detections = synth::simulate_detections(im.people, skeleton.num_joints(), o.width, o.height, rng);
        }
        if (!cv::imencode("." + o.image_format, sample.rendered.image, bytes, encode_params))
          throw Error(fmt::format("{}: OpenCV could not encode the image", im.file_name));
        write_file(fs::path(o.output_dir) / im.file_name, bytes);
        progress.advance();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (first_error) std::rethrow_exception(first_error);
  progress.finish();

  SynthSummary summary;
  summary.annotation_path = annotation.string();
  summary.image_dir = image_dir.string();
  summary.images = o.images;
  for (size_t i = 0; i < images.size(); ++i) {
    auto& im = images[i];
    summary.people += static_cast<int64_t>(im.people.size());
    summary.detections += static_cast<int64_t>(im.detections.size());
    for (const auto& p : im.people)
      for (const auto& k : p.keypoints) (k.v == 2 ? summary.visible : k.v == 1 ? summary.hidden : summary.outside)++;
    // Noise comes last, from its own stream: the same seed gives the same images with and
    // without it, and the detections stay those of the true boxes.
    synth::Rng rng = synth::Rng::stream(o.seed, o.split + "/label-noise", i);
    for (auto& p : im.people)
      summary.noise.add(o.label_noise > 0 ? synth::corrupt_label(p, skeleton, o.label_noise, rng, o.width, o.height)
                                          : synth::LabelNoise::none);
    // Annotator imprecision, on every person, from a stream of its own (so adding it changes
    // neither the images nor which annotations carry mistakes).
    if (o.annotator_noise > 0) {
      synth::Rng jitter = synth::Rng::stream(o.seed, o.split + "/annotator-noise", i);
      for (auto& p : im.people)
        summary.annotator_jittered += synth::annotator_noise(p, skeleton, o.annotator_noise, jitter, o.width, o.height);
    }
  }

  const std::string info = info_json(o, knobs, skeleton.name);
  write_atomically(summary.annotation_path, [&](std::ostream& out) {
    if (o.format == DatasetFormat::mpii) synth::write_mpii_json(out, images);
    else synth::write_coco_json(out, images, skeleton, o.format == DatasetFormat::crowdpose, info);
  });
  if (!o.detections.empty())
    write_atomically(o.detections, [&](std::ostream& out) { synth::write_detections_json(out, images); });

  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  log::info("{} images, {} people, keypoints {} visible / {} hidden / {} outside; {} annotations with label noise{}; "
            "{:.1f} s",
            summary.images, summary.people, summary.visible, summary.hidden, summary.outside, summary.noise.corrupted(),
            o.annotator_noise > 0 ? fmt::format(", {} with annotator noise x{:g}", summary.annotator_jittered,
                                                o.annotator_noise)
                                  : std::string(),
            summary.seconds);
  return summary;
}

}  // namespace posekd
