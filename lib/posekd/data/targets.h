#pragma once
// A sample's training targets from its keypoints in input pixels: heatmaps, SimCC labels,
// normalised regression targets, each with its per-joint weights.
#include <vector>

#include "posekd/codec/heatmap_encode.h"
#include "posekd/codec/simcc.h"

namespace posekd {

struct TargetOptions {
  int input_w = 192, input_h = 256;
  int heatmap_w = 48, heatmap_h = 64;
  bool heatmaps = true;
  HeatmapTargetOptions heatmap;
  bool simcc = false;
  SimccOptions simcc_options;
  bool regression = false;

  CropGeometry geometry() const { return crop_geometry(heatmap.codec); }
};

struct SampleTargets {
  std::vector<float> heatmaps, heatmap_weights;      // K×h×w, K
  std::vector<float> simcc_x, simcc_y, simcc_weights;  // K×bins(w), K×bins(h), K
  std::vector<float> regression, regression_weights;   // K×2, K
};

// `keypoints`: K×3 (x, y, v) in input pixels (transform_keypoints' output).
SampleTargets build_targets(const std::vector<float>& keypoints, const TargetOptions& options);

}  // namespace posekd
