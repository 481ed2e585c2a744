#pragma once
// Flip-test on plain K×h×w float buffers (HRNet's flip_back + shift_heatmap).
#include <vector>

namespace posekd {

// Mirrors every map about its vertical centre line (column x -> w-1-x) and moves map k to
// flip_index[k], so the output of a model run on the mirrored input lines up with the
// original's joints. In place.
void flip_heatmaps(float* heatmaps, int num_joints, int heatmap_h, int heatmap_w, const std::vector<int>& flip_index);

// (original + flip_heatmaps(flipped_output) [shifted]) / 2 into `merged`. `shift`: HRNet's
// shift_heatmap, moving the flipped-back maps one column right (column 0 keeps its value),
// which offsets the 0.75-pixel misalignment of the input-space and heatmap-space mirrors under
// the standard crop geometry; UDP needs no shift.
void merge_flip_test(const float* original, const float* flipped_output, int num_joints, int heatmap_h,
                     int heatmap_w, const std::vector<int>& flip_index, bool shift, float* merged);

}  // namespace posekd
