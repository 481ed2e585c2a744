#include "posekd/data/synth_scene.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "posekd/data/synth_geometry.h"
#include "posekd/data/synth_look.h"
#include "posekd/data/synth_paint.h"

namespace posekd::synth {
namespace {

using Extent = std::array<double, 4>;  // x0, y0, x1, y1

double iou(const Extent& a, const Extent& b) {
  const double w = std::min(a[2], b[2]) - std::max(a[0], b[0]);
  const double h = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const double inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

Point2 direction(double degrees) { return {std::cos(radians(degrees)), std::sin(radians(degrees))}; }

Paint object_paint(Rng& rng, double saturation_max) {
  Paint p;
  p.colour = from_hsv(rng.uniform(0, 360), rng.uniform(0.05, saturation_max), rng.uniform(0.25, 0.95));
  const double roll = rng.uniform();
  p.pattern = roll < 0.25 ? Pattern::stripes : (roll < 0.4 ? Pattern::checks : Pattern::plain);
  p.period = rng.uniform(4, 14);
  p.depth = rng.uniform(0.1, 0.35);
  p.roundness = rng.uniform(0.0, 0.25);
  return p;
}

// Background objects, a share of them limb-like: a skin or cloth coloured, shaded capsule,
// sometimes bent, sized like the limbs of the people in the scene.
Shape sample_clutter(Rng& rng, int width, int height) {
  Shape s;
  const double h = height;
  const Point2 centre{rng.uniform(0, width - 1), rng.uniform(0, height - 1)};
  const double roll = rng.uniform();
  if (roll < 0.3) {
    s.kind = ShapeKind::box;
    s.a = centre;
    s.r0 = rng.uniform(0.04, 0.25) * h;
    s.r1 = rng.uniform(0.04, 0.25) * h;
    s.axis = direction(rng.bounded(12));
    s.paint = object_paint(rng, 0.5);
  } else if (roll < 0.45) {
    s.kind = ShapeKind::ellipse;
    s.a = centre;
    s.r0 = rng.uniform(0.03, 0.12) * h;
    s.r1 = s.r0 * rng.uniform(0.6, 1.0);
    s.axis = direction(rng.uniform(0, 180));
    s.paint = object_paint(rng, 0.7);
    s.paint.roundness = rng.uniform(0.1, 0.4);
  } else if (roll < 0.6) {
    s.kind = ShapeKind::capsule;
    const double len = rng.uniform(0.3, 1.0) * width;
    const Point2 d = direction(rng.uniform(0, 180)) * (0.5 * len);
    s.a = centre - d;
    s.b = centre + d;
    s.r0 = s.r1 = rng.uniform(0.6, 2.0);
    s.paint = object_paint(rng, 0.4);
    s.paint.pattern = Pattern::plain;
  } else {
    s.kind = ShapeKind::capsule;
    const double len = rng.uniform(0.08, 0.25) * h;
    const Point2 d = direction(rng.uniform(0, 360)) * len;
    s.a = centre;
    s.b = centre + d;
    s.r0 = rng.uniform(0.018, 0.04) * h;
    s.r1 = s.r0 * rng.uniform(0.7, 1.0);
    if (rng.chance(0.5)) {
      static const Colour skins[] = {{189, 211, 241}, {130, 168, 214}, {70, 105, 150}};
      s.paint.colour = skins[rng.integer(0, 2)];
      s.paint.pattern = Pattern::plain;
    } else {
      s.paint = object_paint(rng, 0.9);
    }
    s.paint.roundness = 0.4;
    s.paint.brightness = rng.uniform(0.7, 1.3);
  }
  return s;
}

Shape sample_occluder(Rng& rng, const Body& body, int height) {
  static const BodyPoint targets[] = {BodyPoint::left_wrist, BodyPoint::right_wrist, BodyPoint::left_elbow,
                                      BodyPoint::right_elbow, BodyPoint::left_knee, BodyPoint::right_knee,
                                      BodyPoint::left_ankle, BodyPoint::right_ankle, BodyPoint::left_hip,
                                      BodyPoint::right_hip, BodyPoint::left_shoulder, BodyPoint::right_shoulder,
                                      BodyPoint::pelvis, BodyPoint::head_top};
  const Point2 target = body.points[static_cast<int>(targets[rng.integer(0, 13)])];
  const double size = body.height_px * rng.uniform(0.1, 0.28);
  Shape s;
  s.a = target + Point2{rng.uniform(-0.4, 0.4), rng.uniform(-0.4, 0.4)} * size;
  s.paint = object_paint(rng, 0.9);
  const double roll = rng.uniform();
  if (roll < 0.5) {
    s.kind = ShapeKind::box;
    s.r0 = size * rng.uniform(0.5, 1.0);
    s.r1 = size * rng.uniform(0.5, 1.0);
    s.axis = direction(rng.bounded(20));
  } else if (roll < 0.75) {
    s.kind = ShapeKind::ellipse;
    s.r0 = size * rng.uniform(0.5, 0.9);
    s.r1 = s.r0 * rng.uniform(0.7, 1.0);
    s.axis = direction(rng.uniform(0, 180));
    s.paint.roundness = 0.35;
  } else {  // a pole or a post across the image
    s.kind = ShapeKind::box;
    s.r0 = height;
    s.r1 = size * rng.uniform(0.12, 0.25);
    s.axis = direction(90 + rng.bounded(12));
  }
  return s;
}

void draw_shape(Canvas& canvas, const Shape& s, int owner) {
  switch (s.kind) {
    case ShapeKind::capsule: canvas.capsule(s.a, s.b, s.r0, s.r1, s.paint, owner); break;
    case ShapeKind::ellipse: canvas.ellipse(s.a, s.r0, s.r1, s.axis, s.paint, owner); break;
    case ShapeKind::box: {
      const Point2 u = s.axis * s.r0, v = Point2{-s.axis.y, s.axis.x} * s.r1;
      canvas.polygon({s.a + u + v, s.a - u + v, s.a - u - v, s.a + u - v}, s.axis, s.paint, owner);
      break;
    }
  }
}

// The place of a body whose extent (around the origin) is `e`: wholly inside the image when
// it fits, else centred; or, when truncated, anywhere that keeps the pelvis in the image.
Point2 sample_position(Rng& rng, const Extent& e, int width, int height, bool truncated) {
  auto axis = [&](double lo, double hi, int size) {
    if (truncated) return rng.uniform(0, size - 1);
    const double from = -lo, to = size - 1 - hi;
    return from <= to ? rng.uniform(from, to) : 0.5 * (from + to);
  };
  return {axis(e[0], e[2], width), axis(e[1], e[3], height)};
}

}  // namespace

Scene sample_scene(Rng& rng, const SceneKnobs& knobs, int width, int height) {
  Scene scene;
  scene.width = width;
  scene.height = height;
  const Colour wall = from_hsv(rng.uniform(0, 360), rng.uniform(0.05, 0.4), rng.uniform(0.35, 0.85));
  const Colour floor = from_hsv(rng.uniform(0, 360), rng.uniform(0.05, 0.4), rng.uniform(0.25, 0.75));
  for (int i = 0; i < 12; ++i) scene.backdrop[i] = scaled(i < 8 ? wall : floor, rng.uniform(0.8, 1.2));

  const int clutter = static_cast<int>(std::lround(knobs.clutter * rng.uniform(4, 12)));
  for (int i = 0; i < clutter; ++i) scene.clutter.push_back(sample_clutter(rng, width, height));

  const PoseRanges ranges{knobs.articulation, knobs.lr_contrast};
  const int wanted = rng.integer(knobs.min_people, knobs.max_people);
  std::vector<Extent> placed;
  std::vector<double> nearness;
  for (int i = 0; i < wanted; ++i) {
    for (int attempt = 0; attempt < 40; ++attempt) {
      const double height_px = height * std::exp(rng.uniform(std::log(knobs.min_scale), std::log(knobs.max_scale)));
      Body body = sample_body(rng, height_px, rng.bounded(knobs.rotation, 2.0), ranges);
      Extent e = body_extent(body);
      const Point2 at = sample_position(rng, e, width, height, rng.chance(knobs.truncation));
      translate(body, at.x, at.y);
      e = {e[0] + at.x, e[1] + at.y, e[2] + at.x, e[3] + at.y};
      const bool crowded = std::any_of(placed.begin(), placed.end(), [&](const Extent& o) { return iou(e, o) > knobs.max_overlap; });
      if (crowded) continue;
      placed.push_back(e);
      // Taller people are nearer the camera, mostly.
      nearness.push_back(height_px * rng.uniform(0.8, 1.25));
      scene.people.push_back(std::move(body));
      break;
    }
  }
  std::vector<size_t> order(scene.people.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return nearness[a] < nearness[b]; });
  std::vector<Body> sorted;
  for (size_t i : order) sorted.push_back(std::move(scene.people[i]));
  scene.people = std::move(sorted);

  scene.occluders.resize(scene.people.size());
  for (size_t i = 0; i < scene.people.size(); ++i)
    if (rng.chance(knobs.occluders)) scene.occluders[i].push_back(sample_occluder(rng, scene.people[i], height));

  scene.pixel_noise = knobs.pixel_noise;
  scene.noise_seed = rng.next();
  return scene;
}

Rendered render_scene(const Scene& scene, bool with_occluders) {
  Canvas canvas(scene.width, scene.height);
  cv::Mat3f& colour = canvas.colour();
  const double sx = 3.0 / std::max(1, scene.width - 1), sy = 2.0 / std::max(1, scene.height - 1);
  for (int y = 0; y < scene.height; ++y) {
    const double gy = y * sy;
    const int r = std::min(1, static_cast<int>(gy));
    const double fy = gy - r;
    for (int x = 0; x < scene.width; ++x) {
      const double gx = x * sx;
      const int c = std::min(2, static_cast<int>(gx));
      const double fx = gx - c;
      auto at = [&](int row, int col) { return scene.backdrop[row * 4 + col]; };
      const Colour c00 = at(r, c), c01 = at(r, c + 1), c10 = at(r + 1, c), c11 = at(r + 1, c + 1);
      auto mix = [&](float v00, float v01, float v10, float v11) {
        return static_cast<float>((v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy);
      };
      colour(y, x) = {mix(c00.b, c01.b, c10.b, c11.b), mix(c00.g, c01.g, c10.g, c11.g), mix(c00.r, c01.r, c10.r, c11.r)};
    }
  }
  for (const auto& s : scene.clutter) draw_shape(canvas, s, kBackgroundOwner);
  for (size_t i = 0; i < scene.people.size(); ++i) {
    paint_body(canvas, scene.people[i], static_cast<int>(i));
    if (with_occluders)
      for (const auto& s : scene.occluders[i]) draw_shape(canvas, s, kOccluderOwner);
  }
  return {canvas.finish(scene.pixel_noise, scene.noise_seed), canvas.owner().clone(), canvas.last_touch().clone()};
}

}  // namespace posekd::synth
