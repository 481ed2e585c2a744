#pragma once
// SimCC 1-D classification targets and decoding (mmpose's SimCCLabel), in input-crop pixels.
#include <vector>

#include "posekd/codec/heatmap_decode.h"

namespace posekd {

enum class SimccSmoothing { gaussian, standard };

struct SimccOptions {
  double split_ratio = 2.0;  // bins per input pixel (k)
  double sigma = 6.0;        // bins, for gaussian smoothing
  SimccSmoothing smoothing = SimccSmoothing::gaussian;
  double label_smooth_weight = 0.0;  // standard (one-hot) smoothing: ε spread over the other bins
  bool normalize = true;             // gaussian: divide by σ·sqrt(2π)
};

int simcc_bins(int input_size, double split_ratio);  // round(size·k), as np.around

// `keypoints`: K×3 (x, y, v) in input pixels. x_labels: K×bins(w), y_labels: K×bins(h).
// The centre is round(x·k) (np.around: half to even) as mmpose does without DARK; weight 0 for
// v = 0 and for a centre whose 3σ window misses the bins entirely.
void encode_simcc(const float* keypoints, int num_joints, int input_w, int input_h, const SimccOptions& options,
                  float* x_labels, float* y_labels, float* weights);

// argmax per axis / k; score = the smaller of the two maxima; a score <= 0 gives (-1, -1)
// in bins, as mmpose's get_simcc_maximum.
std::vector<DecodedKeypoint> decode_simcc(const float* x_labels, const float* y_labels, int num_joints, int bins_x,
                                          int bins_y, double split_ratio);

}  // namespace posekd
