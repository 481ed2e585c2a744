#include "posekd/codec/flip_test.h"

#include <algorithm>
#include <cmath>
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

std::string to_string(FlipShift shift) {
  switch (shift) {
    case FlipShift::none: return "none";
    case FlipShift::hrnet: return "hrnet";
    case FlipShift::exact: return "exact";
  }
  return "?";
}

FlipShift parse_flip_shift(const std::string& text, const std::string& option) {
  if (text == "none" || text == "off") return FlipShift::none;
  if (text == "hrnet" || text == "on") return FlipShift::hrnet;
  if (text == "exact") return FlipShift::exact;
  throw UsageError(option + ": expected none, hrnet or exact, found '" + text + "'");
}

double flip_shift_columns(FlipShift shift, int input_w, int heatmap_w, bool udp) {
  switch (shift) {
    case FlipShift::none: return 0;
    case FlipShift::hrnet: return 1;
    case FlipShift::exact: return udp ? 0 : 1 - double(heatmap_w) / double(input_w);
  }
  return 0;
}

void merge_flip_test(const float* original, const float* flipped_output, int num_joints, int heatmap_h,
                     int heatmap_w, const std::vector<int>& flip_index, double shift_columns, float* merged) {
  if (!(shift_columns >= 0 && shift_columns < heatmap_w))
    throw Error("flip test: shift of " + std::to_string(shift_columns) + " columns outside [0, " +
                std::to_string(heatmap_w) + ")");
  const size_t total = size_t(num_joints) * heatmap_h * heatmap_w;
  std::vector<float> back(flipped_output, flipped_output + total);
  flip_heatmaps(back.data(), num_joints, heatmap_h, heatmap_w, flip_index);
  const int whole = int(std::floor(shift_columns));
  const float fraction = float(shift_columns - whole);
  for (size_t row = 0; row < size_t(num_joints) * heatmap_h; ++row) {
    const float* b = back.data() + row * heatmap_w;
    const float* o = original + row * heatmap_w;
    float* m = merged + row * heatmap_w;
    // The value at x - shift: column x - whole, blended with its left neighbour by the fraction;
    // columns left of 0 read column 0 (HRNet's shift keeps column 0's value).
    const auto at = [&](int x) { return b[std::max(x, 0)]; };
    for (int x = 0; x < heatmap_w; ++x) {
      const float flipped = fraction > 0 ? (1 - fraction) * at(x - whole) + fraction * at(x - whole - 1) : at(x - whole);
      m[x] = (o[x] + flipped) * 0.5f;
    }
  }
}

}  // namespace posekd
