#pragma once
// Flip-test on plain K×h×w float buffers (HRNet's flip_back + shift_heatmap).
#include <string>
#include <vector>

namespace posekd {

// Mirrors every map about its vertical centre line (column x -> w-1-x) and moves map k to
// flip_index[k], so the output of a model run on the mirrored input lines up with the
// original's joints. In place.
void flip_heatmaps(float* heatmaps, int num_joints, int heatmap_h, int heatmap_w, const std::vector<int>& flip_index);

// How far the flipped-back maps move right before they are averaged with the original.
// Under the standard crop geometry the input-space mirror (x -> input_w - 1 - x) and the
// heatmap-space one (column x -> heatmap_w - 1 - x) differ by 1 - 1/stride columns (0.75 at
// stride 4); under UDP they agree.
//  - none: no shift.
//  - hrnet: HRNet's and mmpose's shift_heatmap, one whole column (column 0 keeps its value).
//    At stride 4 it over-shifts by 0.25, so the merged peak sits 0.125 column right of the
//    joint: validation and predictions keep it by default, to give mmpose's AP.
//  - exact: the mirrors' true offset, 1 - 1/stride columns by linear interpolation (0 under
//    UDP): unbiased maps and coordinates, what stored teacher targets need.
enum class FlipShift { none, hrnet, exact };

std::string to_string(FlipShift shift);  // none, hrnet, exact
// "none"/"off", "hrnet"/"on", "exact"; anything else is a UsageError naming `option`.
FlipShift parse_flip_shift(const std::string& text, const std::string& option);

// Columns to shift for `shift` with this input and heatmap width and geometry (udp: true
// for UDP's crop geometry).
double flip_shift_columns(FlipShift shift, int input_w, int heatmap_w, bool udp);

// (original + flip_heatmaps(flipped_output) moved `shift_columns` right) / 2 into `merged`.
// Whole columns copy (column 0 keeps its own value, as HRNet's shift_heatmap); fractions
// interpolate linearly between neighbouring columns, column -1 read as column 0.
void merge_flip_test(const float* original, const float* flipped_output, int num_joints, int heatmap_h,
                     int heatmap_w, const std::vector<int>& flip_index, double shift_columns, float* merged);

}  // namespace posekd
