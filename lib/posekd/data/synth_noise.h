#pragma once
// Annotation noise for training splits (--label-noise): the mistakes human annotators make,
// under which a teacher's soft targets should beat the raw labels. Each annotation is
// corrupted with probability `rate`, by one of: jitter of every labelled joint, a left/right
// swap (the whole body, or one limb), or dropped joints. The box and area stay clean.
#include <cstdint>

#include "posekd/core/skeleton.h"
#include "posekd/data/synth_labels.h"
#include "posekd/data/synth_random.h"

namespace posekd::synth {

enum class LabelNoise { none, jitter, swap, drop };

struct LabelNoiseCounts {
  int64_t annotations = 0, jittered = 0, swapped = 0, dropped = 0;
  int64_t corrupted() const { return jittered + swapped + dropped; }
  void add(LabelNoise kind);
};

// Corrupts `label` (or not) and says how. Jittered joints stay inside width x height.
LabelNoise corrupt_label(PersonLabel& label, const Skeleton& skeleton, double rate, Rng& rng, int width, int height);

}  // namespace posekd::synth
