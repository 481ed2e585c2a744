#include "posekd/codec/flip_test.h"

#include <algorithm>
#include <string>
#include <vector>

#include "posekd/core/error.h"

namespace posekd {

void flip_heatmaps(float* heatmaps, int num_joints, int heatmap_h, int heatmap_w, const std::vector<int>& flip_index) {
  if (int(flip_index.size()) != num_joints)
    throw Error("flip index has " + std::to_string(flip_index.size()) + " joints, the heatmaps have " +
                std::to_string(num_joints));
  const size_t plane = size_t(heatmap_h) * heatmap_w;
  std::vector<float> copy(heatmaps, heatmaps + plane * num_joints);
  for (int k = 0; k < num_joints; ++k) {
    const float* src = copy.data() + plane * flip_index[k];
    float* dst = heatmaps + plane * k;
    for (int y = 0; y < heatmap_h; ++y)
      std::reverse_copy(src + size_t(y) * heatmap_w, src + size_t(y + 1) * heatmap_w, dst + size_t(y) * heatmap_w);
  }
}

void merge_flip_test(const float* original, const float* flipped_output, int num_joints, int heatmap_h,
                     int heatmap_w, const std::vector<int>& flip_index, bool shift, float* merged) {
  const size_t total = size_t(num_joints) * heatmap_h * heatmap_w;
  std::vector<float> back(flipped_output, flipped_output + total);
  flip_heatmaps(back.data(), num_joints, heatmap_h, heatmap_w, flip_index);
  for (size_t row = 0; row < size_t(num_joints) * heatmap_h; ++row) {
    const float* b = back.data() + row * heatmap_w;
    const float* o = original + row * heatmap_w;
    float* m = merged + row * heatmap_w;
    for (int x = 0; x < heatmap_w; ++x) {
      const float flipped = shift && x > 0 ? b[x - 1] : b[x];
      m[x] = (o[x] + flipped) * 0.5f;
    }
  }
}

}  // namespace posekd
