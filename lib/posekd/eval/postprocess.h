#pragma once
// What HRNet's COCO evaluation (and mmpose's top-down one) does to predictions before
// COCOeval: rescoring by keypoint confidence, then OKS-NMS per image. Also used by
// pose-dump-heatmaps.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace posekd {

// HRNet: the mean of the keypoint scores above `visibility_threshold` (0 when none is),
// times the box score. Scores are summed in joint order.
double rescore_instance(const double* keypoints, int num_joints, double box_score, double visibility_threshold = 0.2);

// HRNet's oks_iou for one pair: OKS over all joints with the mean of both areas as scale,
// exp(-(dx²+dy²) / (2σ)² / ((a_g + a_d)/2 + eps) / 2), averaged over K.
double nms_oks(const double* a, const double* b, double area_a, double area_b, const std::vector<double>& variances,
               double* scratch);

// HRNet's oks_nms: visit by descending score in NumPy's argsort order (`scores.argsort()[::-1]`,
// so equal scores come out as NumPy's quicksort leaves them, reversed), keep the first and
// drop every later one whose OKS with it exceeds `threshold`. Returns the kept indices in
// that order. keypoints[i] points at K × (x, y, score).
std::vector<std::size_t> oks_nms(const std::vector<const double*>& keypoints, const std::vector<double>& scores,
                                 const std::vector<double>& areas, const std::vector<double>& sigmas, double threshold);

}  // namespace posekd
