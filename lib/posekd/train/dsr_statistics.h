#pragma once
// DDSR's relative-location statistics D: for every directed joint pair (i → j), how often the
// training annotations put joint j at offset (x_j − x_i, y_j − y_i) from joint i, counted on a
// [2h, 2w] grid of heatmap pixels. The DSR module turns them into its edge weights P_ij.
#include <cstdint>
#include <vector>

#include "posekd/data/instance.h"
#include "posekd/data/targets.h"

namespace posekd::train {

struct RelationStatistics {
  int joints = 0;
  int heatmap_w = 0, heatmap_h = 0;
  // [K, K, 2h, 2w] row-major. Offset (dx, dy), rounded to whole heatmap pixels, sits at row
  // dy + h, column dx + w, so zero offset is cell (h, w). The diagonal i = i stays zero.
  std::vector<float> counts;
  int64_t poses = 0;    // annotations that contributed at least one pair
  int64_t outside = 0;  // pair offsets off the grid (dx outside [−w, w) or dy outside [−h, h))

  RelationStatistics(int joints, int heatmap_w, int heatmap_h);
  int grid_w() const { return 2 * heatmap_w; }
  int grid_h() const { return 2 * heatmap_h; }
  float at(int i, int j, int row, int column) const;

  // `keypoints`: K×3 (x, y, v) in heatmap pixels; joints with v ≤ 0 are unlabelled and skipped.
  void add_pose(const std::vector<float>& keypoints);
};

// D over `instances` (crowd annotations skipped), each keypoint taken into heatmap space by the
// instance's plain (unaugmented) crop in `geometry`'s input and heatmap sizes and convention,
// the crop the model sees at inference.
RelationStatistics relation_statistics(const std::vector<Instance>& instances, const TargetOptions& geometry);

}  // namespace posekd::train
