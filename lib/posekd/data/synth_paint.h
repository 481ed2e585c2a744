#pragma once
// Paints one posed body onto the canvas, part by part in its depth order, each part's pixels
// owned by owner_code(person, part).
#include "posekd/data/synth_body.h"
#include "posekd/data/synth_canvas.h"

namespace posekd::synth {

void paint_body(Canvas& canvas, const Body& body, int person);

}  // namespace posekd::synth
