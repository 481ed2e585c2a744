#pragma once
// How a synthetic person looks: skin, hair and clothes colours, patterns, and the cues that
// tell left from right and front from back.
#include "posekd/data/synth_body.h"
#include "posekd/data/synth_random.h"

namespace posekd::synth {

// hue in degrees, saturation and value in 0..1 -> BGR 0..255.
Colour from_hsv(double hue, double saturation, double value);
Colour scaled(Colour c, double factor);

// The helices' brightness contrast at --lr-contrast 1: ± this fraction.
constexpr double kFullHelixDepth = 0.4;

Look sample_look(Rng& rng, bool facing_camera, double lr_contrast);

}  // namespace posekd::synth
