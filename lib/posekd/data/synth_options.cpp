#include "posekd/data/synth_options.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>

#include "posekd/core/error.h"
#include "posekd/core/skeleton.h"

namespace posekd {

SynthDifficulty parse_synth_difficulty(const std::string& name) {
  if (name == "easy") return SynthDifficulty::easy;
  if (name == "medium") return SynthDifficulty::medium;
  if (name == "hard") return SynthDifficulty::hard;
  throw UsageError(fmt::format("--difficulty: expected easy, medium or hard, found '{}'", name));
}

const char* to_string(SynthDifficulty d) {
  switch (d) {
    case SynthDifficulty::easy: return "easy";
    case SynthDifficulty::medium: return "medium";
    case SynthDifficulty::hard: return "hard";
  }
  return "?";
}

// The presets are tuned so that a small model learns `easy` in minutes on a CPU, while
// `medium` and `hard` add the crowding, occlusion and clutter that separate big models from
// small ones. The man page lists them; keep the two in step.
SceneKnobs knobs_for(SynthDifficulty d) {
  SceneKnobs k;
  switch (d) {
    case SynthDifficulty::easy: break;
    case SynthDifficulty::medium:
      k.max_people = 3;
      k.min_scale = 0.3;
      k.max_scale = 1.0;
      k.rotation = 30;
      k.articulation = 0.8;
      k.max_overlap = 0.3;
      k.truncation = 0.15;
      k.occluders = 0.35;
      k.clutter = 0.55;
      k.lr_contrast = 0.6;
      k.pixel_noise = 5;
      break;
    case SynthDifficulty::hard:
      k.max_people = 4;
      k.min_scale = 0.2;
      k.max_scale = 1.1;
      k.rotation = 50;
      k.articulation = 1.0;
      k.max_overlap = 0.45;
      k.truncation = 0.25;
      k.occluders = 0.6;
      k.clutter = 1.0;
      k.lr_contrast = 0.3;
      k.pixel_noise = 8;
      break;
  }
  return k;
}

namespace {

void require(bool ok, const char* option, const std::string& expected, const std::string& found) {
  if (!ok) throw UsageError(fmt::format("{}: expected {}, found {}", option, expected, found));
}

void check_fraction(double v, const char* option) { require(v >= 0 && v <= 1, option, "a value in [0, 1]", fmt::format("{}", v)); }

}  // namespace

SceneKnobs resolve_knobs(const SynthOptions& options) {
  SceneKnobs k = knobs_for(options.difficulty);
  const SceneKnobOverrides& o = options.overrides;
  if (o.min_people) k.min_people = *o.min_people;
  if (o.max_people) k.max_people = *o.max_people;
  if (o.min_people && !o.max_people && k.max_people < k.min_people) k.max_people = k.min_people;
  if (o.max_people && !o.min_people && k.min_people > k.max_people) k.min_people = k.max_people;
  if (o.scale_range) std::tie(k.min_scale, k.max_scale) = *o.scale_range;
  if (o.rotation) k.rotation = *o.rotation;
  if (o.articulation) k.articulation = *o.articulation;
  if (o.max_overlap) k.max_overlap = *o.max_overlap;
  if (o.truncation) k.truncation = *o.truncation;
  if (o.occluders) k.occluders = *o.occluders;
  if (o.clutter) k.clutter = *o.clutter;
  if (o.lr_contrast) k.lr_contrast = *o.lr_contrast;
  if (o.pixel_noise) k.pixel_noise = *o.pixel_noise;

  require(k.min_people >= 1 && k.min_people <= 16, "--min-people", "1..16", fmt::format("{}", k.min_people));
  require(k.max_people >= k.min_people && k.max_people <= 16, "--max-people",
          fmt::format("{}..16 (at least --min-people)", k.min_people), fmt::format("{}", k.max_people));
  require(k.min_scale > 0.02 && k.min_scale <= k.max_scale && k.max_scale <= 3, "--scale-range",
          "0.02 < LO <= HI <= 3 (person height / image height)", fmt::format("{} {}", k.min_scale, k.max_scale));
  require(k.rotation >= 0 && k.rotation <= 180, "--rotation", "degrees in [0, 180]", fmt::format("{}", k.rotation));
  check_fraction(k.articulation, "--articulation");
  check_fraction(k.max_overlap, "--max-overlap");
  check_fraction(k.truncation, "--truncation");
  check_fraction(k.occluders, "--occluders");
  require(k.clutter >= 0 && k.clutter <= 3, "--clutter", "a value in [0, 3]", fmt::format("{}", k.clutter));
  check_fraction(k.lr_contrast, "--lr-contrast");
  require(k.pixel_noise >= 0 && k.pixel_noise <= 64, "--pixel-noise", "a value in [0, 64]", fmt::format("{}", k.pixel_noise));
  return k;
}

std::pair<int, int> parse_image_size(const std::string& text) {
  const auto x = text.find('x');
  char* end = nullptr;
  if (x != std::string::npos && x > 0 && x + 1 < text.size()) {
    const long w = std::strtol(text.c_str(), &end, 10);
    if (end == text.c_str() + x) {
      const long h = std::strtol(text.c_str() + x + 1, &end, 10);
      if (*end == '\0' && w >= 16 && h >= 16 && w <= 8192 && h <= 8192) return {static_cast<int>(w), static_cast<int>(h)};
    }
  }
  throw UsageError(fmt::format("--size: expected WIDTHxHEIGHT with each in 16..8192 (e.g. 256x192), found '{}'", text));
}

std::string default_skeleton(DatasetFormat format) {
  switch (format) {
    case DatasetFormat::crowdpose: return "crowdpose14";
    case DatasetFormat::mpii: return "mpii16";
    default: return "coco17";
  }
}

void validate(const SynthOptions& o) {
  resolve_knobs(o);
  require(!o.output_dir.empty(), "-o", "an output directory", "nothing");
  require(o.images >= 1 && o.images <= 100000000, "--images", "1..100000000", fmt::format("{}", o.images));
  require(o.split == "train" || o.split == "val" || o.split == "test", "--split", "train, val or test",
          "'" + o.split + "'");
  require(o.format == DatasetFormat::coco || o.format == DatasetFormat::crowdpose || o.format == DatasetFormat::mpii,
          "--format", "coco, crowdpose or mpii", "auto");
  require(o.width >= 16 && o.height >= 16, "--size", "at least 16x16", fmt::format("{}x{}", o.width, o.height));
  require(o.label_noise >= 0 && o.label_noise <= 1, "--label-noise", "a fraction in [0, 1]", fmt::format("{}", o.label_noise));
  // Evaluation splits stay clean: noisy labels there would measure the noise, not the model.
  require(o.label_noise == 0 || o.split == "train", "--label-noise", "--split train (validation and test labels stay clean)",
          "--split " + o.split);
  require(o.annotator_noise >= 0 && o.annotator_noise <= 10, "--annotator-noise", "a factor in [0, 10]",
          fmt::format("{}", o.annotator_noise));
  require(o.annotator_noise == 0 || o.split == "train", "--annotator-noise",
          "--split train (validation and test labels stay clean)", "--split " + o.split);
  require(o.image_format == "jpg" || o.image_format == "png", "--image-format", "jpg or png", "'" + o.image_format + "'");
  require(o.jpeg_quality >= 1 && o.jpeg_quality <= 100, "--jpeg-quality", "1..100", fmt::format("{}", o.jpeg_quality));
  require(!o.annotation_name.empty() && o.annotation_name.find('/') == std::string::npos, "--annotations",
          "a file name without '/'", "'" + o.annotation_name + "'");
  require(o.threads >= 0, "--threads", ">= 0", fmt::format("{}", o.threads));
  if (!o.skeleton.empty() && !Skeleton::find_builtin(o.skeleton)) {
    std::string known;
    for (const auto& n : Skeleton::builtin_names()) known += (known.empty() ? "" : ", ") + n;
    require(std::ifstream(o.skeleton).good(), "--skeleton", "one of " + known + " or a skeleton JSON file",
            "'" + o.skeleton + "'");
  }
}

}  // namespace posekd
