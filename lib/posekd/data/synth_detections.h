#pragma once
// Detector-like person boxes for top-down evaluation with --detections: the true boxes
// jittered, with scores that fall for small and occluded people, some people missed, and
// some false positives on the background.
#include <vector>

#include "posekd/data/instance.h"
#include "posekd/data/synth_labels.h"
#include "posekd/data/synth_random.h"

namespace posekd::synth {

struct Detection {
  Box box;
  double score = 0;
};

// Highest score first, as detectors list them.
std::vector<Detection> simulate_detections(const std::vector<PersonLabel>& people, int joints, int width, int height,
                                           Rng& rng);

}  // namespace posekd::synth
