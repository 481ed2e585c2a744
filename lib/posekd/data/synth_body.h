#pragma once
// The articulated 2-D body of pose-synth: one set of anatomical points that every built-in
// skeleton is a projection of, limb capsules in a depth order, and an appearance whose
// shading and face make left/right and the facing direction readable.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "posekd/core/affine.h"
#include "posekd/core/skeleton.h"
#include "posekd/data/synth_random.h"

namespace posekd::synth {

enum class BodyPoint : int {
  head_top, nose, left_eye, right_eye, left_ear, right_ear, upper_neck, thorax, pelvis,
  left_shoulder, right_shoulder, left_elbow, right_elbow, left_wrist, right_wrist,
  left_hip, right_hip, left_knee, right_knee, left_ankle, right_ankle, count
};
constexpr int kBodyPoints = static_cast<int>(BodyPoint::count);

enum class BodyPart : int {
  torso, neck, head, left_upper_arm, left_forearm, right_upper_arm, right_forearm,
  left_thigh, left_shin, right_thigh, right_shin, count
};
constexpr int kBodyParts = static_cast<int>(BodyPart::count);

const char* name_of(BodyPoint p);
// The parts whose pixels show a point (a bit per BodyPart): an elbow is seen on the upper
// arm or the forearm; seen only on another part, it is hidden behind that part.
uint32_t parts_showing(BodyPoint p);

// Which body point each joint of `skeleton` is, by joint name. CrowdPose's "head" and
// "neck" are the head top and the thorax, LSP's "neck" is the upper neck (as LSP marks it),
// and skeleton files may use any BodyPoint name. Throws Error naming an unknown joint.
std::vector<BodyPoint> body_points_for(const Skeleton& skeleton);

// BGR colours in 0..255.
struct Colour {
  float b = 0, g = 0, r = 0;
};

// Helices are stripes at 45° to a capsule's axis, of one handedness: mirroring the image turns
// one into the other, so they tell left from right in a way flip augmentation keeps true.
enum class Pattern { plain, stripes, checks, left_helix, right_helix };

struct Look {
  Colour skin, hair, shirt, pants, shoes, emblem;
  Pattern shirt_pattern = Pattern::plain, pants_pattern = Pattern::plain;
  double pattern_period = 6;  // pixels
  bool long_sleeves = true;
  bool emblem_on_chest = false;  // only ever on the front: a facing cue
  // The left/right cue: sleeves and trouser legs carry left-handed helices on the left limbs,
  // right-handed ones on the right, with this contrast (0: the clothes' own patterns). A
  // mirrored image is then a valid sample with left and right swapped, as flip augmentation
  // with pair swapping assumes; an achiral cue tied to one side (a colour, a lit side) would
  // be contradicted by every mirrored sample.
  double helix_depth = 0;
  // The side of the body towards the light is brighter by this fraction. The light comes from
  // the image's left or right, never from an anatomical side: shading is appearance variety.
  double side_shading = 0.3;
  bool light_from_image_left = true;
};

// One posed person in image pixels.
struct Body {
  std::array<Point2, kBodyPoints> points;
  std::array<double, kBodyParts> radius_start{}, radius_end{};  // capsule radii along each limb
  double head_radius = 0;
  double pixels_per_unit = 0;  // body unit = standing height
  double height_px = 0;
  Point2 person_left;  // unit vector towards the person's left shoulder, in the image
  Point2 body_up;      // unit vector from pelvis to thorax
  Point2 head_up;      // unit vector from the head centre to the head top
  Point2 head_centre;
  bool facing_camera = true;
  double head_yaw = 0;  // radians; positive turns the face towards the person's left
  // Face points hidden by the head's own geometry (the face turned away, an ear behind).
  std::array<bool, kBodyPoints> self_hidden{};
  std::vector<BodyPart> draw_order;  // far to near within the person
  Look look;
};

struct PoseRanges {
  double articulation = 0.6;  // 0..1 scales every limb angle range
  double lr_contrast = 1.0;   // 0..1, contrast of the limbs' helices
};

// A body posed at the origin with its pelvis at (0, 0), `height_px` tall when standing,
// rotated in-plane by `rotation_deg` (counter-clockwise on screen).
Body sample_body(Rng& rng, double height_px, double rotation_deg, const PoseRanges& ranges);
void translate(Body& body, double dx, double dy);

// Axis-aligned extent of everything drawn for the body: [x0, y0, x1, y1].
std::array<double, 4> body_extent(const Body& body);

}  // namespace posekd::synth
