#pragma once
// The rasteriser of pose-synth: anti-aliased capsules, ellipses and convex polygons with
// shading and textures, painted far to near. Two buffers record who painted each pixel: the
// owner (the last shape covering at least half of it) and the last toucher (the last shape
// covering any of it, an anti-aliased edge included). They decide whether a keypoint is
// visible: a joint whose pixel a nearer edge has tinted is not labelled visible.
#include <opencv2/core.hpp>

#include <vector>

#include "posekd/data/synth_body.h"

namespace posekd::synth {

// Owner codes: a person's part is person * kOwnerStride + part; the rest are negative.
constexpr int kOwnerStride = 16;
constexpr int kBackgroundOwner = -1;
constexpr int kOccluderOwner = -2;
inline int owner_code(int person, BodyPart part) { return person * kOwnerStride + static_cast<int>(part); }
inline int owner_person(int code) { return code >= 0 ? code / kOwnerStride : -1; }
inline int owner_part(int code) { return code >= 0 ? code % kOwnerStride : -1; }

struct Paint {
  Colour colour;
  Pattern pattern = Pattern::plain;
  double period = 6;      // pattern period, pixels
  double depth = 0.25;    // pattern contrast: brightness varies by ± this fraction
  double roundness = 0.35;  // cylinder/sphere shading: the rim is this much darker
  double brightness = 1.0;  // whole-shape factor (the left/right cue of limbs)
  // A brightness ramp across the shape towards `side_axis` (the torso's left/right cue).
  Point2 side_axis{0, 0};
  double side_gain = 0;
};

class Canvas {
 public:
  Canvas(int width, int height);
  int width() const { return colour_.cols; }
  int height() const { return colour_.rows; }
  cv::Mat3f& colour() { return colour_; }  // BGR, 0..255
  const cv::Mat1i& owner() const { return owner_; }
  const cv::Mat1i& last_touch() const { return last_touch_; }

  // A capsule from a to b whose radius goes from ra to rb; textures run along a -> b.
  void capsule(Point2 a, Point2 b, double ra, double rb, const Paint& paint, int owner);
  // An ellipse with half-axes rx (along `axis`, a unit vector) and ry.
  void ellipse(Point2 centre, double rx, double ry, Point2 axis, const Paint& paint, int owner);
  // A convex polygon (either winding); textures run along `axis`.
  void polygon(const std::vector<Point2>& corners, Point2 axis, const Paint& paint, int owner);

  // Adds sensor noise of standard deviation `sigma` and rounds to 8 bits.
  cv::Mat3b finish(double sigma, uint64_t noise_seed) const;

 private:
  // u: along the axis (px), v: across (px), across: v in -1..1 of the half width, rim: 0 at
  // the centre to 1 at the outline (for shading).
  void shade(int x, int y, float coverage, const Paint& paint, double u, double v, double rim, Point2 p, Point2 centre,
             double half_width, int owner);
  cv::Mat3f colour_;
  cv::Mat1i owner_;
  cv::Mat1i last_touch_;
};

}  // namespace posekd::synth
