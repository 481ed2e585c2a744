#include "posekd/codec/simcc.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "posekd/core/error.h"

namespace posekd {

int simcc_bins(int input_size, double split_ratio) {
  return static_cast<int>(std::nearbyint(input_size * split_ratio));
}

void encode_simcc(const float* keypoints, int num_joints, int input_w, int input_h, const SimccOptions& options,
                  float* x_labels, float* y_labels, float* weights) {
  if (!(options.split_ratio > 0) || !(options.sigma > 0))
    throw UsageError("SimCC split ratio and sigma must be positive");
  const int bx = simcc_bins(input_w, options.split_ratio), by = simcc_bins(input_h, options.split_ratio);
  std::fill(x_labels, x_labels + size_t(bx) * num_joints, 0.0f);
  std::fill(y_labels, y_labels + size_t(by) * num_joints, 0.0f);
  const double radius = 3 * options.sigma;
  const double norm = options.normalize ? options.sigma * std::sqrt(2 * M_PI) : 1.0;
  const double eps = options.label_smooth_weight;
  for (int k = 0; k < num_joints; ++k) {
    const float* kp = keypoints + 3 * k;
    weights[k] = kp[2] > 0 ? 1.0f : 0.0f;
    if (weights[k] == 0) continue;
    // np.around then astype(int64): rounding half to even under the default rounding mode.
    const double mx = std::nearbyint(kp[0] * options.split_ratio), my = std::nearbyint(kp[1] * options.split_ratio);
    float* tx = x_labels + size_t(bx) * k;
    float* ty = y_labels + size_t(by) * k;
    if (options.smoothing == SimccSmoothing::standard) {
      if (mx >= bx || my >= by || mx < 0 || my < 0) {
        weights[k] = 0;
        continue;
      }
      if (eps > 0) {
        std::fill(tx, tx + bx, float(eps / (bx - 1)));
        std::fill(ty, ty + by, float(eps / (by - 1)));
      }
      tx[int(mx)] = float(1 - eps);
      ty[int(my)] = float(1 - eps);
      continue;
    }
    if (mx - radius >= bx || my - radius >= by || mx + radius + 1 < 0 || my + radius + 1 < 0) {
      weights[k] = 0;
      continue;
    }
    const double inv = 1.0 / (2 * options.sigma * options.sigma);
    for (int i = 0; i < bx; ++i) tx[i] = float(std::exp(-(i - mx) * (i - mx) * inv) / norm);
    for (int i = 0; i < by; ++i) ty[i] = float(std::exp(-(i - my) * (i - my) * inv) / norm);
  }
}

std::vector<DecodedKeypoint> decode_simcc(const float* x_labels, const float* y_labels, int num_joints, int bins_x,
                                          int bins_y, double split_ratio) {
  std::vector<DecodedKeypoint> out(size_t(std::max(num_joints, 0)));
  for (int k = 0; k < num_joints; ++k) {
    const float* tx = x_labels + size_t(bins_x) * k;
    const float* ty = y_labels + size_t(bins_y) * k;
    const float* bx = std::max_element(tx, tx + bins_x);
    const float* byy = std::max_element(ty, ty + bins_y);
    auto& kp = out[k];
    kp.score = std::min(*bx, *byy);
    const double lx = kp.score > 0 ? double(bx - tx) : -1.0, ly = kp.score > 0 ? double(byy - ty) : -1.0;
    kp.x = lx / split_ratio;
    kp.y = ly / split_ratio;
  }
  return out;
}

}  // namespace posekd
