#pragma once
// What pose-synth makes: the dataset's shape (split, format, skeleton, image size) and the
// scene knobs that set how hard it is to learn (man/man1/pose-synth.1 documents each).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "posekd/data/dataset.h"

namespace posekd {

enum class SynthDifficulty { easy, medium, hard };
SynthDifficulty parse_synth_difficulty(const std::string& name);  // throws UsageError
const char* to_string(SynthDifficulty d);

// Everything that shapes a scene. Fractions of the image height, degrees, probabilities.
struct SceneKnobs {
  int min_people = 1;
  int max_people = 2;
  double min_scale = 0.45;      // person height / image height
  double max_scale = 0.95;
  double rotation = 15;         // in-plane rotation, at most ± this many degrees
  double articulation = 0.6;    // 0: rest pose, 1: the full range of limb angles
  double max_overlap = 0.2;     // largest IoU of two people's boxes
  double truncation = 0.05;     // chance that a person is placed across the image border
  double occluders = 0.1;       // chance per person of an object in front of them
  double clutter = 0.2;         // background objects and limb-like distractors; 1 = many
  double lr_contrast = 1.0;     // strength of the left-light / right-dark shading cue, 0..1
  double pixel_noise = 3.0;     // standard deviation of sensor noise, in 0..255 grey levels
};
SceneKnobs knobs_for(SynthDifficulty d);

// The knobs given one by one on the command line, applied over the difficulty's preset.
struct SceneKnobOverrides {
  std::optional<int> min_people, max_people;
  std::optional<std::pair<double, double>> scale_range;
  std::optional<double> rotation, articulation, max_overlap, truncation, occluders, clutter,
      lr_contrast, pixel_noise;
};

struct SynthOptions {
  std::string output_dir;
  std::string annotation_name = "annotations.json";  // inside output_dir
  int64_t images = 100;
  std::string split = "train";  // train, val or test: part of each image's random stream
  DatasetFormat format = DatasetFormat::coco;
  std::string skeleton;  // "" = the format's own: coco17, crowdpose14, mpii16
  int width = 256, height = 192;
  uint64_t seed = 0;
  double label_noise = 0;      // fraction of annotations corrupted; train split only
  double annotator_noise = 0;  // every labelled joint moved by N(0, (f·σ_j·sqrt(area))²); train only
  SynthDifficulty difficulty = SynthDifficulty::easy;
  SceneKnobOverrides overrides;
  std::string image_format = "jpg";  // jpg or png
  int jpeg_quality = 92;
  std::string detections;  // "" = none; else a COCO results file of detector-like boxes
  int threads = 0;         // 0 = the machine's cores
  bool force = false;
};

// The difficulty's preset with the overrides applied; throws UsageError on values out of
// range, naming the option.
SceneKnobs resolve_knobs(const SynthOptions& options);
// Checks everything but the output location; throws UsageError naming the option.
void validate(const SynthOptions& options);
// "256x192" (width x height) -> {256, 192}; throws UsageError.
std::pair<int, int> parse_image_size(const std::string& text);
// The skeleton that a format implies when none is given.
std::string default_skeleton(DatasetFormat format);

}  // namespace posekd
