#pragma once
// Normalised coordinate regression targets (mmpose's RegressionLabel): (x/w, y/h) in the
// input crop.
#include <vector>

#include "posekd/codec/heatmap_decode.h"

namespace posekd {

// `keypoints`: K×3 (x, y, v) in input pixels. targets: K×2. Weight 1 when v > 0 and the
// joint lies inside [0, w-1]×[0, h-1]; targets of weight-0 joints are still x/w, y/h.
void encode_regression(const float* keypoints, int num_joints, int input_w, int input_h, float* targets,
                       float* weights);

// K×2 normalised (x, y) -> input pixels; `scores` (K values) or nullptr for score 1.
std::vector<DecodedKeypoint> decode_regression(const float* coords, const float* scores, int num_joints, int input_w,
                                               int input_h);

}  // namespace posekd
