#pragma once
// pose-synth: a dataset of rendered people, written as COCO, CrowdPose or MPII annotations
// plus images (man/man1/pose-synth.1). Each image comes from its own random stream
// (seed, split, index), so the bytes written do not depend on the thread count.
//
//   DIR/images/000001.jpg ...   DIR/annotations.json   [--detections FILE]
// File names in the annotations are relative to DIR ("images/000001.jpg").
#include <cstdint>
#include <string>
#include <vector>

#include "posekd/data/synth_labels.h"
#include "posekd/data/synth_noise.h"
#include "posekd/data/synth_options.h"
#include "posekd/data/synth_scene.h"

namespace posekd {

struct SynthSummary {
  std::string annotation_path, image_dir;
  int64_t images = 0, people = 0;
  int64_t visible = 0, hidden = 0, outside = 0;  // keypoints labelled v = 2, 1, 0 (before noise)
  synth::LabelNoiseCounts noise;
  int64_t annotator_jittered = 0;  // annotations moved by --annotator-noise
  int64_t detections = 0;
  double seconds = 0;
};

SynthSummary run_synth(const SynthOptions& options);

namespace synth {

// One image as run_synth makes it, before label noise; index counts from 0.
struct SynthSample {
  Scene scene;
  Rendered rendered;
  std::vector<PersonLabel> people;
};
SynthSample make_sample(const SynthOptions& options, const SceneKnobs& knobs, const std::vector<BodyPoint>& points,
                        int64_t index);

// The file name of image `index` (from 0): its id, zero-padded, and the extension.
std::string image_file_name(int64_t index, int64_t total, const std::string& extension);

}  // namespace synth
}  // namespace posekd
