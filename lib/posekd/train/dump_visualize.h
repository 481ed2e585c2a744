#pragma once
// PNG overlays for looking at what a teacher teaches: the input crop, the maximum over the
// joints' heatmaps in colour, and the decoded skeleton.
#include <string>
#include <vector>

#include "posekd/core/affine.h"
#include "posekd/core/skeleton.h"

namespace posekd::train {

struct OverlayInput {
  const float* image = nullptr;  // [3,H,W] RGB, normalised with `mean`/`std`
  int input_w = 0, input_h = 0;
  const float* heatmaps = nullptr;  // [K,h,w]
  int heatmap_w = 0, heatmap_h = 0;
  std::vector<double> keypoints;  // K × (x, y, score), image pixels
  Affine2D crop;                  // image -> input
  float mean[3] = {0.485f, 0.456f, 0.406f};
  float std[3] = {0.229f, 0.224f, 0.225f};
};

// Writes `path` (PNG), scaled up to at least 384 pixels high. Joints scoring below
// `min_score` are left out.
void write_overlay(const OverlayInput& in, const Skeleton& skeleton, const std::string& path, double min_score = 0.2);

}  // namespace posekd::train
