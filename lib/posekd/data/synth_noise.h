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

// Annotator imprecision (--annotator-noise): moves every labelled joint by N(0, (f·σ_j·s)²) in x
// and in y, σ_j the skeleton's OKS sigma of joint j and s = sqrt(area), the spread COCO measured
// between annotators of the same person. Unlike corrupt_label's mistakes it touches every
// annotation: zero-mean on each joint, so a model trained on many such labels learns the true
// position and its predictions are better targets than the labels (knowledge distillation's
// premise). Joints stay inside width x height. Returns whether a joint moved.
bool annotator_noise(PersonLabel& label, const Skeleton& skeleton, double factor, Rng& rng, int width, int height);

}  // namespace posekd::synth
