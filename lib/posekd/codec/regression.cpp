#include "posekd/codec/regression.h"

namespace posekd {

void encode_regression(const float* keypoints, int num_joints, int input_w, int input_h, float* targets,
                       float* weights) {
  for (int k = 0; k < num_joints; ++k) {
    const float x = keypoints[3 * k], y = keypoints[3 * k + 1], v = keypoints[3 * k + 2];
    targets[2 * k] = x / float(input_w);
    targets[2 * k + 1] = y / float(input_h);
    const bool inside = x >= 0 && y >= 0 && x <= input_w - 1 && y <= input_h - 1;
    weights[k] = v > 0 && inside ? 1.0f : 0.0f;
  }
}

std::vector<DecodedKeypoint> decode_regression(const float* coords, const float* scores, int num_joints, int input_w,
                                               int input_h) {
  std::vector<DecodedKeypoint> out(size_t(num_joints > 0 ? num_joints : 0));
  for (int k = 0; k < num_joints; ++k)
    out[k] = {double(coords[2 * k]) * input_w, double(coords[2 * k + 1]) * input_h, scores ? double(scores[k]) : 1.0};
  return out;
}

}  // namespace posekd
