#include "posekd/data/synth_body.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "posekd/core/error.h"
#include "posekd/data/synth_geometry.h"
#include "posekd/data/synth_look.h"

namespace posekd::synth {
namespace {

constexpr const char* kPointNames[kBodyPoints] = {
    "head_top", "nose", "left_eye", "right_eye", "left_ear", "right_ear", "upper_neck",
    "thorax", "pelvis", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee",
    "left_ankle", "right_ankle"};

constexpr uint32_t bit(BodyPart p) { return 1u << static_cast<int>(p); }

// Standing height is 1 body unit, head top to the soles: 0.47 above the pelvis, 0.46 of leg
// and a sole below it.
constexpr double kStandingHeight = 0.95;

Point2& at(Body& b, BodyPoint p) { return b.points[static_cast<int>(p)]; }

struct Limb {
  Point2 joint, end;
};

// A two-segment limb from `root`: `outward` degrees away from straight down towards `side`
// (negative crosses the body), the second segment bent by `bend` degrees more.
Limb pose_limb(Point2 root, Point2 down, Point2 side, double outward, double bend, double upper, double lower) {
  const double a1 = radians(outward), a2 = radians(outward + bend);
  const Point2 d1 = down * std::cos(a1) + side * std::sin(a1);
  const Point2 d2 = down * std::cos(a2) + side * std::sin(a2);
  const Point2 joint = root + d1 * upper;
  return {joint, joint + d2 * lower};
}

// Limbs pointing at or away from the camera look shorter.
double foreshortening(Rng& rng, double articulation) {
  return rng.chance(0.3 * articulation) ? rng.uniform(0.6, 1.0) : 1.0;
}

}  // namespace

const char* name_of(BodyPoint p) { return kPointNames[static_cast<int>(p)]; }

uint32_t parts_showing(BodyPoint p) {
  switch (p) {
    case BodyPoint::head_top:
    case BodyPoint::nose:
    case BodyPoint::left_eye:
    case BodyPoint::right_eye:
    case BodyPoint::left_ear:
    case BodyPoint::right_ear: return bit(BodyPart::head);
    case BodyPoint::upper_neck: return bit(BodyPart::neck) | bit(BodyPart::head);
    case BodyPoint::thorax: return bit(BodyPart::neck) | bit(BodyPart::torso);
    case BodyPoint::pelvis: return bit(BodyPart::torso);
    case BodyPoint::left_shoulder: return bit(BodyPart::torso) | bit(BodyPart::left_upper_arm);
    case BodyPoint::right_shoulder: return bit(BodyPart::torso) | bit(BodyPart::right_upper_arm);
    case BodyPoint::left_elbow: return bit(BodyPart::left_upper_arm) | bit(BodyPart::left_forearm);
    case BodyPoint::right_elbow: return bit(BodyPart::right_upper_arm) | bit(BodyPart::right_forearm);
    case BodyPoint::left_wrist: return bit(BodyPart::left_forearm);
    case BodyPoint::right_wrist: return bit(BodyPart::right_forearm);
    case BodyPoint::left_hip: return bit(BodyPart::torso) | bit(BodyPart::left_thigh);
    case BodyPoint::right_hip: return bit(BodyPart::torso) | bit(BodyPart::right_thigh);
    case BodyPoint::left_knee: return bit(BodyPart::left_thigh) | bit(BodyPart::left_shin);
    case BodyPoint::right_knee: return bit(BodyPart::right_thigh) | bit(BodyPart::right_shin);
    case BodyPoint::left_ankle: return bit(BodyPart::left_shin);
    case BodyPoint::right_ankle: return bit(BodyPart::right_shin);
    case BodyPoint::count: break;
  }
  return 0;
}

std::vector<BodyPoint> body_points_for(const Skeleton& skeleton) {
  std::vector<BodyPoint> out;
  for (const auto& joint : skeleton.joints) {
    std::string name = joint;
    if (skeleton.name == "crowdpose14" && joint == "head") name = "head_top";
    else if (skeleton.name == "crowdpose14" && joint == "neck") name = "thorax";
    else if (skeleton.name == "lsp14" && joint == "neck") name = "upper_neck";
    int found = -1;
    for (int i = 0; i < kBodyPoints; ++i)
      if (name == kPointNames[i]) found = i;
    if (found < 0) {
      std::string known;
      for (const char* n : kPointNames) known += (known.empty() ? "" : ", ") + std::string(n);
      throw Error(fmt::format("skeleton {}: joint '{}' is not a point of the synthetic body (known: {})", skeleton.name,
                              joint, known));
    }
    out.push_back(static_cast<BodyPoint>(found));
  }
  return out;
}

Body sample_body(Rng& rng, double height_px, double rotation_deg, const PoseRanges& ranges) {
  const double a = ranges.articulation;
  Body b;
  b.facing_camera = rng.chance(0.6);
  // Seen from the front, the person's left is on the image's right.
  const double side = b.facing_camera ? 1.0 : -1.0;
  const double build = rng.uniform(0.85, 1.15);
  const double limbs = rng.uniform(0.94, 1.06);
  const double turn = 1.0 - rng.uniform(0.0, 0.4 * a);  // shoulders narrow as the body turns

  const double lean = radians(rng.bounded(12 * a + 3));
  const Point2 up{std::sin(lean), -std::cos(lean)};
  const Point2 down = -up;
  const Point2 left = Point2{std::cos(lean), std::sin(lean)} * side;

  const double torso = 0.29 * rng.uniform(0.95, 1.05);
  const double shoulder_half = 0.108 * build * turn, hip_half = 0.072 * build * turn;
  at(b, BodyPoint::pelvis) = {0, 0};
  const Point2 thorax = up * torso;
  at(b, BodyPoint::thorax) = thorax;
  at(b, BodyPoint::left_shoulder) = thorax + left * shoulder_half - up * 0.012;
  at(b, BodyPoint::right_shoulder) = thorax - left * shoulder_half - up * 0.012;
  at(b, BodyPoint::left_hip) = left * hip_half;
  at(b, BodyPoint::right_hip) = left * -hip_half;

  const double tilt = radians(rng.bounded(22 * a + 3));
  const Point2 head_up = rotated(up, tilt);
  const Point2 head_left = rotated(left, tilt);
  const double head_r = 0.064 * rng.uniform(0.92, 1.08);
  at(b, BodyPoint::upper_neck) = thorax + rotated(up, tilt * 0.5) * 0.058;
  const Point2 head_centre = at(b, BodyPoint::upper_neck) + head_up * (head_r * 0.95);
  at(b, BodyPoint::head_top) = head_centre + head_up * (head_r * 0.88);

  // Face points lie on the head seen as a sphere turned by the yaw: lateral offset r·sin(α),
  // seen from the front when cos(α) > 0. α is positive towards the person's left.
  b.head_yaw = radians(rng.bounded(45 * a + 5));
  struct FacePoint {
    BodyPoint point;
    double angle, rise;
    bool ear;
  };
  const FacePoint face[] = {{BodyPoint::nose, 0.0, -0.22, false},
                            {BodyPoint::left_eye, 0.42, 0.1, false},
                            {BodyPoint::right_eye, -0.42, 0.1, false},
                            {BodyPoint::left_ear, 1.5708, 0.0, true},
                            {BodyPoint::right_ear, -1.5708, 0.0, true}};
  for (const auto& f : face) {
    const double alpha = f.angle + b.head_yaw;
    const double lateral = std::sin(alpha) * (f.ear ? 0.97 : 0.85);
    at(b, f.point) = head_centre + head_left * (head_r * lateral) + head_up * (head_r * f.rise);
    const double toward = b.facing_camera ? std::cos(alpha) : -std::cos(alpha);
    const bool seen = f.ear ? toward > -0.15 : (b.facing_camera && toward > 0.2);
    b.self_hidden[static_cast<int>(f.point)] = !seen;
  }

  struct Side {
    BodyPoint shoulder, elbow, wrist, hip, knee, ankle;
    Point2 dir;
  };
  const Side sides[2] = {
      {BodyPoint::left_shoulder, BodyPoint::left_elbow, BodyPoint::left_wrist, BodyPoint::left_hip,
       BodyPoint::left_knee, BodyPoint::left_ankle, left},
      {BodyPoint::right_shoulder, BodyPoint::right_elbow, BodyPoint::right_wrist, BodyPoint::right_hip,
       BodyPoint::right_knee, BodyPoint::right_ankle, -left}};
  bool arm_in_front[2];
  for (int s = 0; s < 2; ++s) {
    const Side& sd = sides[s];
    const bool raised = rng.chance(0.08 + 0.25 * a);
    const double arm_out = raised ? rng.uniform(70, 70 + 100 * a) : rng.uniform(-30 * a, 12 + 40 * a);
    const double elbow = rng.bounded(20 + 120 * a);
    const Limb arm = pose_limb(at(b, sd.shoulder), down, sd.dir, arm_out, elbow,
                               0.165 * limbs * foreshortening(rng, a), 0.145 * limbs * foreshortening(rng, a));
    at(b, sd.elbow) = arm.joint;
    at(b, sd.wrist) = arm.end;
    arm_in_front[s] = arm_out < 0 || rng.chance(0.5);

    const double leg_out = rng.uniform(-8 * a, 4 + 36 * a);
    const double knee = rng.bounded(10 + 80 * a);
    const Limb leg = pose_limb(at(b, sd.hip), down, sd.dir, leg_out, knee, 0.235 * limbs * foreshortening(rng, a),
                               0.225 * limbs * foreshortening(rng, a));
    at(b, sd.knee) = leg.joint;
    at(b, sd.ankle) = leg.end;
  }

  const double unit = height_px / kStandingHeight;
  const Affine2D place = Affine2D::rotation(rotation_deg).after(Affine2D::scaling(unit, unit));
  const Affine2D turn_only = Affine2D::rotation(rotation_deg);
  for (auto& p : b.points) p = place.apply(p);
  b.head_centre = place.apply(head_centre);
  b.body_up = turn_only.apply(up);
  b.head_up = turn_only.apply(head_up);
  b.pixels_per_unit = unit;
  b.height_px = height_px;
  b.head_radius = head_r * unit;

  auto set_radius = [&](BodyPart part, double r0, double r1) {
    b.radius_start[static_cast<int>(part)] = r0 * unit * build;
    b.radius_end[static_cast<int>(part)] = r1 * unit * build;
  };
  set_radius(BodyPart::neck, 0.034, 0.031);
  for (auto [upper, fore] : {std::pair{BodyPart::left_upper_arm, BodyPart::left_forearm},
                             std::pair{BodyPart::right_upper_arm, BodyPart::right_forearm}}) {
    set_radius(upper, 0.042, 0.035);
    set_radius(fore, 0.034, 0.027);
  }
  for (auto [thigh, shin] : {std::pair{BodyPart::left_thigh, BodyPart::left_shin},
                             std::pair{BodyPart::right_thigh, BodyPart::right_shin}}) {
    set_radius(thigh, 0.062, 0.048);
    set_radius(shin, 0.045, 0.034);
  }

  b.person_left = turn_only.apply(left);
  std::vector<BodyPart>& order = b.draw_order;
  const BodyPart arms[2][2] = {{BodyPart::left_upper_arm, BodyPart::left_forearm},
                               {BodyPart::right_upper_arm, BodyPart::right_forearm}};
  for (int s = 0; s < 2; ++s)
    if (!arm_in_front[s]) order.insert(order.end(), {arms[s][0], arms[s][1]});
  const bool left_leg_first = rng.chance(0.5);
  const BodyPart legs[2][2] = {{BodyPart::left_thigh, BodyPart::left_shin}, {BodyPart::right_thigh, BodyPart::right_shin}};
  for (int s : {left_leg_first ? 0 : 1, left_leg_first ? 1 : 0}) order.insert(order.end(), {legs[s][1], legs[s][0]});
  order.insert(order.end(), {BodyPart::neck, BodyPart::torso, BodyPart::head});
  for (int s = 0; s < 2; ++s)
    if (arm_in_front[s]) order.insert(order.end(), {arms[s][0], arms[s][1]});

  b.look = sample_look(rng, b.facing_camera, ranges.lr_contrast);
  return b;
}

void translate(Body& body, double dx, double dy) {
  for (auto& p : body.points) p = {p.x + dx, p.y + dy};
  body.head_centre = {body.head_centre.x + dx, body.head_centre.y + dy};
}

std::array<double, 4> body_extent(const Body& body) {
  std::array<double, 4> e{body.head_centre.x, body.head_centre.y, body.head_centre.x, body.head_centre.y};
  auto grow = [&](Point2 p, double r) {
    e[0] = std::min(e[0], p.x - r);
    e[1] = std::min(e[1], p.y - r);
    e[2] = std::max(e[2], p.x + r);
    e[3] = std::max(e[3], p.y + r);
  };
  const double limb_margin = 0.085 * body.pixels_per_unit;  // covers hands, shoes and the widest limb
  for (const auto& p : body.points) grow(p, limb_margin);
  grow(body.head_centre, body.head_radius * 1.15);
  return e;
}

}  // namespace posekd::synth
