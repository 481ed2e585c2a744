#include "posekd/data/synth_detections.h"

#include <algorithm>
#include <cmath>

namespace posekd::synth {
namespace {

Box clipped(double x0, double y0, double x1, double y1, int width, int height) {
  x0 = std::clamp(x0, 0.0, width - 1.0), x1 = std::clamp(x1, 0.0, width - 1.0);
  y0 = std::clamp(y0, 0.0, height - 1.0), y1 = std::clamp(y1, 0.0, height - 1.0);
  return {x0, y0, std::max(1.0, x1 - x0), std::max(1.0, y1 - y0)};
}

}  // namespace

std::vector<Detection> simulate_detections(const std::vector<PersonLabel>& people, int joints, int width, int height,
                                           Rng& rng) {
  std::vector<Detection> out;
  for (const auto& p : people) {
    const double size = std::sqrt(p.area);
    const double hidden = joints > 0 ? 1.0 - static_cast<double>(p.num_keypoints()) / joints : 0.0;
    const double miss = 0.02 + 0.3 * std::exp(-size / 12.0) + 0.15 * hidden;
    if (rng.chance(miss)) continue;
    const double cx = p.box.x + 0.5 * p.box.w + rng.normal(0, 0.06 * p.box.w);
    const double cy = p.box.y + 0.5 * p.box.h + rng.normal(0, 0.05 * p.box.h);
    const double w = p.box.w * std::exp(rng.normal(0, 0.1)), h = p.box.h * std::exp(rng.normal(0, 0.08));
    const double score = std::clamp(0.97 - 0.35 * hidden - 0.4 * std::exp(-size / 20.0) + rng.normal(0, 0.05), 0.05, 1.0);
    out.push_back({clipped(cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h, width, height), score});
  }
  // False positives: person-shaped boxes on the background, with low scores.
  const int false_positives = rng.chance(0.3) ? (rng.chance(0.25) ? 2 : 1) : 0;
  for (int i = 0; i < false_positives; ++i) {
    const double h = height * rng.uniform(0.2, 0.8), w = h * rng.uniform(0.3, 0.8);
    const double x = rng.uniform(0, std::max(1.0, width - w)), y = rng.uniform(0, std::max(1.0, height - h));
    out.push_back({clipped(x, y, x + w, y + h, width, height), rng.uniform(0.05, 0.55)});
  }
  std::stable_sort(out.begin(), out.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  return out;
}

}  // namespace posekd::synth
