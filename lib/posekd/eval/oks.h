#pragma once
// Object keypoint similarity as the reference evaluators compute it.
#include <cstddef>
#include <vector>

namespace posekd {

// One ground-truth person as the COCO evaluator sees it (doubles, as the reference's JSON).
struct OksGroundTruth {
  const double* keypoints = nullptr;  // K × (x, y, v)
  double bbox[4] = {0, 0, 0, 0};      // x, y, w, h
  double area = 0;                    // the scale s² in OKS
};

// pycocotools' computeOks for one pair: the mean of exp(-d²/(2 s² (2σ)²)) over the GT's
// labelled joints (v > 0), s² = area + np.spacing(1). A GT without labelled joints is
// compared with a box twice its bbox: only the distance outside that box counts, over all K.
// `vars` holds (2σ)² per joint; `scratch` (K doubles) keeps the per-joint terms in NumPy's
// summation order.
double coco_oks(const OksGroundTruth& gt, const double* detection, const double* vars, int num_joints,
                double* scratch);

// (2σ)² per joint, as `(sigmas * 2) ** 2`.
std::vector<double> oks_variances(const std::vector<double>& sigmas);

}  // namespace posekd
