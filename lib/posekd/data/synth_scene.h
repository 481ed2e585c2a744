#pragma once
// One synthetic image as data: background, clutter, people far to near, and the objects in
// front of them. Sampling and rendering are separate so that tests can render a scene with
// and without its occluders and compare the pixels.
#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <vector>

#include "posekd/data/synth_body.h"
#include "posekd/data/synth_canvas.h"
#include "posekd/data/synth_options.h"
#include "posekd/data/synth_random.h"

namespace posekd::synth {

enum class ShapeKind { capsule, ellipse, box };

// A clutter item or an occluder. Capsule: a -> b with radii r0, r1. Ellipse and box: centre
// a, half sizes r0 (along `axis`) and r1.
struct Shape {
  ShapeKind kind = ShapeKind::box;
  Point2 a, b;
  double r0 = 1, r1 = 1;
  Point2 axis{1, 0};
  Paint paint;
};

struct Scene {
  int width = 0, height = 0;
  std::array<Colour, 12> backdrop{};  // a 4x3 grid of colours, bilinearly blended
  std::vector<Shape> clutter;
  std::vector<Body> people;                   // far to near
  std::vector<std::vector<Shape>> occluders;  // occluders[i] stand just in front of people[i]
  double pixel_noise = 0;
  uint64_t noise_seed = 0;
};

Scene sample_scene(Rng& rng, const SceneKnobs& knobs, int width, int height);

struct Rendered {
  cv::Mat3b image;
  cv::Mat1i owner;       // owner codes of synth_canvas.h: the shape covering most of each pixel
  cv::Mat1i last_touch;  // the last shape that painted any part of each pixel
};

Rendered render_scene(const Scene& scene, bool with_occluders = true);

}  // namespace posekd::synth
