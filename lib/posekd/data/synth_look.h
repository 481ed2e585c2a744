#pragma once
// How a synthetic person looks: skin, hair and clothes colours, patterns, and the cues that
// tell left from right and front from back.
#include "posekd/data/synth_body.h"
#include "posekd/data/synth_random.h"

namespace posekd::synth {

// hue in degrees, saturation and value in 0..1 -> BGR 0..255.
Colour from_hsv(double hue, double saturation, double value);
Colour scaled(Colour c, double factor);
Colour mixed(Colour a, Colour b, double t);  // a at t = 0, b at t = 1

// How much of the side colour replaces the clothes at --lr-contrast 1.
constexpr double kFullSideMix = 0.7;

Look sample_look(Rng& rng, bool facing_camera, double lr_contrast);

}  // namespace posekd::synth
