#include "posekd/train/dsr_statistics.h"

#include <cmath>

#include "posekd/codec/heatmap_geometry.h"
#include "posekd/core/error.h"
#include "posekd/data/transforms.h"

namespace posekd::train {

RelationStatistics::RelationStatistics(int joints_, int heatmap_w_, int heatmap_h_)
    : joints(joints_), heatmap_w(heatmap_w_), heatmap_h(heatmap_h_) {
  if (joints <= 0 || heatmap_w <= 0 || heatmap_h <= 0)
    throw Error("relation statistics: expected positive joints and heatmap size, found " + std::to_string(joints) +
                " joints at " + std::to_string(heatmap_w) + "x" + std::to_string(heatmap_h));
  counts.assign(size_t(joints) * joints * grid_w() * grid_h(), 0.0f);
}

float RelationStatistics::at(int i, int j, int row, int column) const {
  return counts[((size_t(i) * joints + j) * grid_h() + row) * grid_w() + column];
}

void RelationStatistics::add_pose(const std::vector<float>& keypoints) {
  if (keypoints.size() != size_t(joints) * 3)
    throw Error("relation statistics: expected " + std::to_string(joints) + "x3 keypoint values, found " +
                std::to_string(keypoints.size()));
  bool counted = false;
  for (int i = 0; i < joints; ++i) {
    if (keypoints[i * 3 + 2] <= 0) continue;
    for (int j = 0; j < joints; ++j) {
      if (j == i || keypoints[j * 3 + 2] <= 0) continue;
      const long column = std::lround(keypoints[j * 3] - keypoints[i * 3]) + heatmap_w;
      const long row = std::lround(keypoints[j * 3 + 1] - keypoints[i * 3 + 1]) + heatmap_h;
      if (column < 0 || column >= grid_w() || row < 0 || row >= grid_h()) {
        ++outside;
        continue;
      }
      counts[((size_t(i) * joints + j) * grid_h() + size_t(row)) * grid_w() + size_t(column)] += 1.0f;
      counted = true;
    }
  }
  if (counted) ++poses;
}

RelationStatistics relation_statistics(const std::vector<Instance>& instances, const TargetOptions& geometry) {
  if (instances.empty()) throw Error("relation statistics: no training instances");
  const int joints = int(instances.front().keypoints.size());
  RelationStatistics statistics(joints, geometry.heatmap_w, geometry.heatmap_h);
  std::vector<float> keypoints(size_t(joints) * 3);
  for (const auto& instance : instances) {
    if (instance.iscrowd) continue;
    if (int(instance.keypoints.size()) != joints)
      throw Error("relation statistics: sample " + std::to_string(instance.sample_id) + ": expected " +
                  std::to_string(joints) + " keypoints, found " + std::to_string(instance.keypoints.size()));
    CropFrame frame;
    frame.input_w = geometry.input_w;
    frame.input_h = geometry.input_h;
    frame.heatmap_w = geometry.heatmap_w;
    frame.heatmap_h = geometry.heatmap_h;
    frame.geometry = geometry.geometry();
    frame.crop = crop_affine(crop_from_instance(instance, geometry.input_w, geometry.input_h), geometry.input_w,
                             geometry.input_h, frame.geometry);
    const Affine2D to_heatmap = frame.image_to_heatmap();
    for (int k = 0; k < joints; ++k) {
      const auto& keypoint = instance.keypoints[k];
      const Point2 p = to_heatmap.apply({keypoint.x, keypoint.y});
      keypoints[k * 3] = float(p.x);
      keypoints[k * 3 + 1] = float(p.y);
      keypoints[k * 3 + 2] = keypoint.v;
    }
    statistics.add_pose(keypoints);
  }
  return statistics;
}

}  // namespace posekd::train
