#include "posekd/data/targets.h"

#include "posekd/codec/regression.h"

namespace posekd {

SampleTargets build_targets(const std::vector<float>& keypoints, const TargetOptions& o) {
  const int k = int(keypoints.size() / 3);
  SampleTargets t;
  if (o.heatmaps) {
    t.heatmaps.resize(size_t(k) * o.heatmap_h * o.heatmap_w);
    t.heatmap_weights.resize(size_t(k));
    encode_heatmaps(keypoints.data(), k, o.input_w, o.input_h, o.heatmap_w, o.heatmap_h, o.heatmap, t.heatmaps.data(),
                    t.heatmap_weights.data());
  }
  if (o.simcc) {
    t.simcc_x.resize(size_t(k) * simcc_bins(o.input_w, o.simcc_options.split_ratio));
    t.simcc_y.resize(size_t(k) * simcc_bins(o.input_h, o.simcc_options.split_ratio));
    t.simcc_weights.resize(size_t(k));
    encode_simcc(keypoints.data(), k, o.input_w, o.input_h, o.simcc_options, t.simcc_x.data(), t.simcc_y.data(),
                 t.simcc_weights.data());
  }
  if (o.regression) {
    t.regression.resize(size_t(k) * 2);
    t.regression_weights.resize(size_t(k));
    encode_regression(keypoints.data(), k, o.input_w, o.input_h, t.regression.data(), t.regression_weights.data());
  }
  return t;
}

}  // namespace posekd
