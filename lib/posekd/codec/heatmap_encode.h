#pragma once
// Gaussian heatmap targets and target weights (DESIGN 3.2), on plain float buffers.
#include "posekd/codec/heatmap_geometry.h"

namespace posekd {

struct HeatmapTargetOptions {
  HeatmapCodec codec = HeatmapCodec::unbiased;
  double sigma = 2.0;  // heatmap pixels (HRNet/mmpose: 2 at 64x48, 3 at 96x72)
};

// `keypoints`: K×3 (x, y, v) in input-crop pixels. Writes K×heatmap_h×heatmap_w maps and K
// weights: 1 for v > 0, 0 for unlabelled joints and for joints whose 3σ patch lies entirely
// off the map (HRNet's rule); such joints get an all-zero map.
void encode_heatmaps(const float* keypoints, int num_joints, int input_w, int input_h, int heatmap_w,
                     int heatmap_h, const HeatmapTargetOptions& options, float* heatmaps, float* weights);

}  // namespace posekd
