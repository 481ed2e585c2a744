#include "posekd/data/synth_paint.h"

#include <algorithm>
#include <cmath>

#include "posekd/data/synth_geometry.h"
#include "posekd/data/synth_look.h"

namespace posekd::synth {
namespace {

Point2 pt(const Body& b, BodyPoint p) { return b.points[static_cast<int>(p)]; }
double r0(const Body& b, BodyPart p) { return b.radius_start[static_cast<int>(p)]; }
double r1(const Body& b, BodyPart p) { return b.radius_end[static_cast<int>(p)]; }

Point2 unit(Point2 v) {
  const double l = length(v);
  return l > 1e-9 ? v * (1 / l) : Point2{0, 1};
}

Paint cloth(const Look& look, Colour colour, Pattern pattern, double brightness) {
  Paint p;
  p.colour = colour;
  p.pattern = pattern;
  p.period = look.pattern_period;
  p.depth = 0.28;
  p.roundness = 0.4;
  p.brightness = brightness;
  return p;
}

Paint skin(const Look& look, double brightness) {
  Paint p;
  p.colour = look.skin;
  p.roundness = 0.35;
  p.brightness = brightness;
  return p;
}

// +1 when the person's left side faces the light (Look::light_from_image_left), else -1.
double left_towards_light(const Body& b) {
  const double light_x = b.look.light_from_image_left ? -1.0 : 1.0;
  return b.person_left.x * light_x >= 0 ? 1.0 : -1.0;
}

void paint_torso(Canvas& canvas, const Body& b, int owner) {
  const Look& look = b.look;
  const Point2 up = b.body_up, left = b.person_left;
  const Point2 pelvis = pt(b, BodyPoint::pelvis), thorax = pt(b, BodyPoint::thorax);
  const double torso = length(thorax - pelvis);
  const double arm = r0(b, BodyPart::left_upper_arm), thigh = r0(b, BodyPart::left_thigh);
  const Point2 lh = pt(b, BodyPoint::left_hip), rh = pt(b, BodyPoint::right_hip);
  const Point2 ls = pt(b, BodyPoint::left_shoulder), rs = pt(b, BodyPoint::right_shoulder);
  const double hip_half = length(lh - rh) * 0.5;

  const Point2 waist = pelvis + up * (0.3 * torso);
  Paint pants = cloth(look, look.pants, look.pants_pattern, 1.0);
  pants.side_axis = left;
  pants.side_gain = look.side_shading * 0.8 * left_towards_light(b);
  canvas.polygon({waist + left * (hip_half + thigh * 0.9), waist - left * (hip_half + thigh * 0.9),
                  rh - left * (thigh * 0.95) - up * (thigh * 0.5), lh + left * (thigh * 0.95) - up * (thigh * 0.5)},
                 up, pants, owner);

  Paint shirt = cloth(look, look.shirt, look.shirt_pattern, 1.0);
  shirt.side_axis = left;
  shirt.side_gain = look.side_shading * 0.8 * left_towards_light(b);
  shirt.roundness = 0.3;
  const Point2 hem = pelvis + up * (0.18 * torso);
  canvas.polygon({ls + left * (arm * 0.8) + up * (arm * 0.8), rs - left * (arm * 0.8) + up * (arm * 0.8),
                  hem - left * (hip_half + thigh * 0.8), hem + left * (hip_half + thigh * 0.8)},
                 up, shirt, owner);
  if (look.emblem_on_chest) {
    Paint emblem;
    emblem.colour = look.emblem;
    emblem.roundness = 0.1;
    const double r = 0.28 * length(ls - rs) * 0.5 + 0.5;
    canvas.ellipse(thorax - up * (0.3 * torso) + left * (0.25 * length(ls - rs) * 0.5), r, r, left, emblem, owner);
  }
}

void paint_head(Canvas& canvas, const Body& b, int owner) {
  const Look& look = b.look;
  const double r = b.head_radius;
  const Point2 c = b.head_centre, up = b.head_up;
  const Point2 across{-up.y, up.x};  // any unit vector perpendicular to up
  auto hidden = [&](BodyPoint p) { return b.self_hidden[static_cast<int>(p)]; };

  // An ear labelled visible is drawn over the head and the hair, with a dark concha at the
  // labelled point: when the face turns, the near ear moves onto the face disk, and drawn
  // beneath it (as before 2026-11-23) it was labelled visible yet hidden, so no model could
  // place it (ears cost the quick teacher 0.17 AP).
  auto paint_ears = [&] {
    Paint concha = skin(look, 0.55);
    concha.roundness = 0;
    for (BodyPoint ear : {BodyPoint::left_ear, BodyPoint::right_ear}) {
      if (hidden(ear)) continue;
      canvas.ellipse(pt(b, ear), 0.2 * r + 0.4, 0.28 * r + 0.4, across, skin(look, 0.82), owner);
      canvas.ellipse(pt(b, ear), 0.08 * r + 0.35, 0.11 * r + 0.35, across, concha, owner);
    }
  };

  Paint hair;
  hair.colour = look.hair;
  hair.roundness = 0.45;
  if (!b.facing_camera) {
    canvas.ellipse(c, r, r, across, hair, owner);
    paint_ears();
    return;
  }
  canvas.ellipse(c, r, r, across, skin(look, 1.0), owner);
  // The hair covers the top of the head and turns with the face.
  const Point2 hair_centre = c + up * (0.5 * r) - b.person_left * (0.15 * r * std::sin(b.head_yaw));
  canvas.ellipse(hair_centre, 1.02 * r, 0.6 * r, across, hair, owner);
  paint_ears();

  Paint dark;
  dark.colour = {30, 25, 25};
  dark.roundness = 0;
  const double eye = std::max(0.9, 0.15 * r);
  for (BodyPoint e : {BodyPoint::left_eye, BodyPoint::right_eye})
    if (!hidden(e)) canvas.ellipse(pt(b, e), eye, eye, across, dark, owner);
  if (!hidden(BodyPoint::nose)) {
    canvas.ellipse(pt(b, BodyPoint::nose), 0.14 * r + 0.3, 0.14 * r + 0.3, across, skin(look, 0.72), owner);
    Paint mouth;
    mouth.colour = {60, 50, 150};
    mouth.roundness = 0;
    canvas.ellipse(pt(b, BodyPoint::nose) - up * (0.3 * r), 0.26 * r + 0.3, 0.08 * r + 0.3, across, mouth, owner);
  }
}

void paint_limb(Canvas& canvas, const Body& b, BodyPart part, BodyPoint from, BodyPoint to, const Paint& paint, int owner) {
  canvas.capsule(pt(b, from), pt(b, to), r0(b, part), r1(b, part), paint, owner);
}

// A sleeve or trouser leg: the left/right helices when the look has them (a period that
// scales with the limb, so that it survives the crop's downscaling), else the cloth's own.
Paint limb_cloth(const Body& b, BodyPart part, bool left, Colour colour, Pattern own, double brightness) {
  const Look& look = b.look;
  Paint p = cloth(look, colour, own, brightness);
  if (look.helix_depth > 0) {
    p.pattern = left ? Pattern::left_helix : Pattern::right_helix;
    p.depth = look.helix_depth;
    p.period = std::max(5.0, 1.2 * r0(b, part));
  }
  return p;
}

}  // namespace

void paint_body(Canvas& canvas, const Body& b, int person) {
  const Look& look = b.look;
  const double lit = 1 + look.side_shading, shaded = 1 - look.side_shading;
  const bool left_lit = left_towards_light(b) > 0;
  const double left_brightness = left_lit ? lit : shaded, right_brightness = left_lit ? shaded : lit;
  for (BodyPart part : b.draw_order) {
    const int owner = owner_code(person, part);
    switch (part) {
      case BodyPart::torso: paint_torso(canvas, b, owner); break;
      case BodyPart::neck:
        paint_limb(canvas, b, part, BodyPoint::thorax, BodyPoint::upper_neck, skin(look, 0.9), owner);
        break;
      case BodyPart::head: paint_head(canvas, b, owner); break;
      case BodyPart::left_upper_arm:
      case BodyPart::right_upper_arm: {
        const bool left = part == BodyPart::left_upper_arm;
        paint_limb(canvas, b, part, left ? BodyPoint::left_shoulder : BodyPoint::right_shoulder,
                   left ? BodyPoint::left_elbow : BodyPoint::right_elbow,
                   limb_cloth(b, part, left, look.shirt, look.shirt_pattern, left ? left_brightness : right_brightness),
                   owner);
        break;
      }
      case BodyPart::left_forearm:
      case BodyPart::right_forearm: {
        const bool left = part == BodyPart::left_forearm;
        const BodyPoint elbow = left ? BodyPoint::left_elbow : BodyPoint::right_elbow;
        const BodyPoint wrist = left ? BodyPoint::left_wrist : BodyPoint::right_wrist;
        const double brightness = left ? left_brightness : right_brightness;
        // A long sleeve's forearm is a shade darker than its upper arm, so that the elbow of
        // a straight arm shows as the edge of the forearm's round end.
        const Paint sleeve = look.long_sleeves
                                 ? limb_cloth(b, part, left, look.shirt, look.shirt_pattern, 0.85 * brightness)
                                 : skin(look, brightness);
        paint_limb(canvas, b, part, elbow, wrist, sleeve, owner);
        const Point2 dir = unit(pt(b, wrist) - pt(b, elbow));
        const double hand = 0.036 * b.pixels_per_unit;
        // The hand starts at the wrist (the wrist is the hand's base, where the sleeve or the
        // forearm ends), and the hand of a bare arm is darker than the forearm: the wrist is
        // an edge either way. Before session 3 the hand was centred 0.7 hand-lengths past the
        // wrist, which put the wrist inside the hand, and bare forearms and hands were one tone.
        canvas.ellipse(pt(b, wrist) + dir * (1.15 * hand), 1.15 * hand, 0.85 * hand, dir,
                       skin(look, look.long_sleeves ? brightness : 0.75 * brightness), owner);
        break;
      }
      case BodyPart::left_thigh:
      case BodyPart::right_thigh: {
        const bool left = part == BodyPart::left_thigh;
        paint_limb(canvas, b, part, left ? BodyPoint::left_hip : BodyPoint::right_hip,
                   left ? BodyPoint::left_knee : BodyPoint::right_knee,
                   limb_cloth(b, part, left, look.pants, look.pants_pattern, left ? left_brightness : right_brightness),
                   owner);
        break;
      }
      case BodyPart::left_shin:
      case BodyPart::right_shin: {
        const bool left = part == BodyPart::left_shin;
        const BodyPoint knee = left ? BodyPoint::left_knee : BodyPoint::right_knee;
        const BodyPoint ankle = left ? BodyPoint::left_ankle : BodyPoint::right_ankle;
        const double brightness = left ? left_brightness : right_brightness;
        paint_limb(canvas, b, part, knee, ankle, limb_cloth(b, part, left, look.pants, look.pants_pattern, brightness),
                   owner);
        const Point2 dir = unit(pt(b, ankle) - pt(b, knee));
        const Point2 outward = (left ? b.person_left : -b.person_left);
        const double foot = 0.05 * b.pixels_per_unit;
        Paint shoe;
        shoe.colour = scaled(look.shoes, brightness);
        shoe.roundness = 0.3;
        canvas.ellipse(pt(b, ankle) + dir * (0.35 * foot) + outward * (0.35 * foot), foot, 0.5 * foot, outward, shoe, owner);
        break;
      }
      case BodyPart::count: break;
    }
  }
}

}  // namespace posekd::synth
