#include "posekd/codec/heatmap_encode.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "posekd/core/error.h"

namespace posekd {
namespace {

// HRNet/mmpose test "is any of the 3σ patch on the map" with Python's int() (truncation toward
// zero) on the patch corners; the same test decides the weight in all three codecs.
bool patch_on_map(double mu_x, double mu_y, double radius, int w, int h, int* ul_x, int* ul_y, int* br_x, int* br_y) {
  *ul_x = static_cast<int>(mu_x - radius);
  *ul_y = static_cast<int>(mu_y - radius);
  *br_x = static_cast<int>(mu_x + radius + 1);
  *br_y = static_cast<int>(mu_y + radius + 1);
  return !(*ul_x >= w || *ul_y >= h || *br_x < 0 || *br_y < 0);
}

// HRNet's patch: np.arange(0, 2r+1) with its centre at (2r+1)//2, written at pixel ul + i for
// i < br - ul; `offset_*` moves the centre off the integer (UDP), 0 for HRNet.
void draw_patch(float* map, int w, int h, double sigma, double radius, int ul_x, int ul_y, int br_x, int br_y,
                double offset_x, double offset_y) {
  const double size = 2 * radius + 1;
  const int n = static_cast<int>(std::ceil(size));
  const double centre = std::floor(size / 2);
  const double inv = 1.0 / (2 * sigma * sigma);
  for (int i = std::max(0, -ul_y); i < std::min(br_y, h) - ul_y && i < n; ++i) {
    const double dy = i - centre - offset_y;
    for (int j = std::max(0, -ul_x); j < std::min(br_x, w) - ul_x && j < n; ++j) {
      const double dx = j - centre - offset_x;
      map[(ul_y + i) * w + (ul_x + j)] = static_cast<float>(std::exp(-(dx * dx + dy * dy) * inv));
    }
  }
}

}  // namespace

void encode_heatmaps(const float* keypoints, int num_joints, int input_w, int input_h, int heatmap_w,
                     int heatmap_h, const HeatmapTargetOptions& options, float* heatmaps, float* weights) {
  if (!(options.sigma > 0)) throw UsageError("heatmap sigma must be positive, found " + std::to_string(options.sigma));
  const Affine2D to_map =
      input_to_heatmap(input_w, input_h, heatmap_w, heatmap_h, crop_geometry(options.codec));
  const double radius = 3 * options.sigma;
  const double inv = 1.0 / (2 * options.sigma * options.sigma);
  const size_t plane = size_t(heatmap_w) * heatmap_h;
  std::fill(heatmaps, heatmaps + plane * num_joints, 0.0f);
  for (int k = 0; k < num_joints; ++k) {
    const float* kp = keypoints + 3 * k;
    float* map = heatmaps + plane * k;
    weights[k] = kp[2] > 0 ? 1.0f : 0.0f;
    const Point2 mu = to_map.apply({kp[0], kp[1]});
    int ul_x, ul_y, br_x, br_y;
    if (options.codec == HeatmapCodec::unbiased) {
      if (!patch_on_map(mu.x, mu.y, radius, heatmap_w, heatmap_h, &ul_x, &ul_y, &br_x, &br_y)) weights[k] = 0;
      if (weights[k] == 0) continue;
      // exp(-(dx²+dy²)·c) = exp(-dx²·c)·exp(-dy²·c), in double: w + h exponentials per map
      // instead of w·h, equal to the direct form after rounding to float.
      std::vector<double> gx(static_cast<size_t>(heatmap_w)), gy(static_cast<size_t>(heatmap_h));
      for (int x = 0; x < heatmap_w; ++x) gx[size_t(x)] = std::exp(-(x - mu.x) * (x - mu.x) * inv);
      for (int y = 0; y < heatmap_h; ++y) gy[size_t(y)] = std::exp(-(y - mu.y) * (y - mu.y) * inv);
      for (int y = 0; y < heatmap_h; ++y)
        for (int x = 0; x < heatmap_w; ++x) map[y * heatmap_w + x] = static_cast<float>(gy[size_t(y)] * gx[size_t(x)]);
      continue;
    }
    // HRNet and UDP: int(mu + 0.5) as the reference code writes it (truncation, not floor).
    const int cx = static_cast<int>(mu.x + 0.5), cy = static_cast<int>(mu.y + 0.5);
    if (!patch_on_map(cx, cy, radius, heatmap_w, heatmap_h, &ul_x, &ul_y, &br_x, &br_y)) weights[k] = 0;
    if (weights[k] == 0) continue;
    const bool udp = options.codec == HeatmapCodec::udp;
    draw_patch(map, heatmap_w, heatmap_h, options.sigma, radius, ul_x, ul_y, br_x, br_y, udp ? mu.x - cx : 0.0,
               udp ? mu.y - cy : 0.0);
  }
}

}  // namespace posekd
