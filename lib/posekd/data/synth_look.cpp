#include "posekd/data/synth_look.h"

#include <algorithm>
#include <cmath>

namespace posekd::synth {

Colour from_hsv(double hue, double saturation, double value) {
  hue = std::fmod(std::fmod(hue, 360.0) + 360.0, 360.0);
  const double c = value * saturation;
  const double x = c * (1 - std::fabs(std::fmod(hue / 60.0, 2.0) - 1));
  const double m = value - c;
  double r = 0, g = 0, b = 0;
  switch (static_cast<int>(hue / 60.0)) {
    case 0: r = c, g = x; break;
    case 1: r = x, g = c; break;
    case 2: g = c, b = x; break;
    case 3: g = x, b = c; break;
    case 4: r = x, b = c; break;
    default: r = c, b = x; break;
  }
  return {static_cast<float>((b + m) * 255), static_cast<float>((g + m) * 255), static_cast<float>((r + m) * 255)};
}

Colour scaled(Colour c, double f) {
  auto s = [f](float v) { return static_cast<float>(std::min(255.0, v * f)); };
  return {s(c.b), s(c.g), s(c.r)};
}

Look sample_look(Rng& rng, bool facing_camera, double lr_contrast) {
  // Skin tones from light to dark, BGR.
  static const Colour skins[] = {{189, 211, 241}, {160, 190, 230}, {130, 168, 214}, {100, 140, 190},
                                 {70, 105, 150},  {50, 75, 110}};
  static const Colour hairs[] = {{20, 20, 25}, {30, 45, 70}, {60, 90, 140}, {110, 170, 215}, {40, 60, 150}, {150, 150, 155}};
  Look look;
  look.skin = skins[rng.integer(0, 5)];
  look.hair = hairs[rng.integer(0, 5)];
  look.shirt = from_hsv(rng.uniform(0, 360), rng.uniform(0.35, 0.9), rng.uniform(0.45, 0.95));
  look.pants = from_hsv(rng.uniform(0, 360), rng.uniform(0.2, 0.8), rng.uniform(0.25, 0.75));
  look.shoes = from_hsv(rng.uniform(0, 360), rng.uniform(0, 0.5), rng.uniform(0.1, 0.35));
  look.emblem = from_hsv(rng.uniform(0, 360), rng.uniform(0.5, 1.0), rng.uniform(0.7, 1.0));
  const double p = rng.uniform();
  look.shirt_pattern = p < 0.3 ? Pattern::stripes : (p < 0.45 ? Pattern::checks : Pattern::plain);
  look.pants_pattern = rng.chance(0.15) ? Pattern::stripes : Pattern::plain;
  look.pattern_period = rng.uniform(4, 9);
  look.long_sleeves = rng.chance(0.6);
  look.emblem_on_chest = facing_camera && rng.chance(0.75);
  look.light_from_image_left = rng.chance(0.5);
  look.helix_depth = kFullHelixDepth * lr_contrast;
  return look;
}

}  // namespace posekd::synth
