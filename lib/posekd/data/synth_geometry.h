#pragma once
// Vector arithmetic on Point2 for the synthetic renderer; pixel centres are integer
// coordinates (DESIGN 3.2).
#include <cmath>

#include "posekd/core/affine.h"

namespace posekd::synth {

inline Point2 operator+(Point2 a, Point2 b) { return {a.x + b.x, a.y + b.y}; }
inline Point2 operator-(Point2 a, Point2 b) { return {a.x - b.x, a.y - b.y}; }
inline Point2 operator-(Point2 a) { return {-a.x, -a.y}; }
inline Point2 operator*(Point2 a, double s) { return {a.x * s, a.y * s}; }
inline double dot(Point2 a, Point2 b) { return a.x * b.x + a.y * b.y; }
inline double length(Point2 a) { return std::sqrt(dot(a, a)); }
// Turns `v` by `radians` counter-clockwise on screen (y down), as Affine2D::rotation does.
inline Point2 rotated(Point2 v, double radians) {
  const double c = std::cos(radians), s = std::sin(radians);
  return {c * v.x + s * v.y, -s * v.x + c * v.y};
}
inline double radians(double degrees) { return degrees * 0.017453292519943295; }

}  // namespace posekd::synth
