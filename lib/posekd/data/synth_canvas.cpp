#include "posekd/data/synth_canvas.h"

#include <algorithm>
#include <cmath>

#include "posekd/data/synth_geometry.h"
#include "posekd/data/synth_random.h"

namespace posekd::synth {
namespace {

constexpr double kTwoPi = 6.283185307179586;

double clamp1(double v) { return std::clamp(v, -1.0, 1.0); }
double cross(Point2 a, Point2 b) { return a.x * b.y - a.y * b.x; }

// Pixels whose centre (integer coordinates) lies within `margin` of [lo, hi], clipped.
std::pair<int, int> pixel_span(double lo, double hi, double margin, int size) {
  return {std::max(0, static_cast<int>(std::floor(lo - margin))), std::min(size - 1, static_cast<int>(std::ceil(hi + margin)))};
}

}  // namespace

Canvas::Canvas(int width, int height) : colour_(height, width, cv::Vec3f(0, 0, 0)), owner_(height, width, kBackgroundOwner),
      last_touch_(height, width, kBackgroundOwner) {}

void Canvas::shade(int x, int y, float coverage, const Paint& paint, double u, double v, double rim, Point2 p, Point2 centre,
                   double half_width, int owner) {
  double f = paint.brightness;
  if (paint.pattern == Pattern::left_helix || paint.pattern == Pattern::right_helix) {
    // Lines u ± v = const; reversing the axis flips u and v together and keeps them.
    const double handed = paint.pattern == Pattern::left_helix ? 1.0 : -1.0;
    f *= 1 + paint.depth * clamp1(3 * std::sin(kTwoPi * (u + handed * v) / (paint.period * std::sqrt(2.0))));
  } else if (paint.pattern != Pattern::plain) {
    // Square-ish waves (a clipped sine) so that stripes survive JPEG and downscaling.
    const double along = clamp1(3 * std::sin(kTwoPi * u / paint.period));
    const double across = paint.pattern == Pattern::checks ? clamp1(3 * std::sin(kTwoPi * v / paint.period)) : 1.0;
    f *= 1 + paint.depth * along * across;
  }
  f *= 1 - paint.roundness * (1 - std::sqrt(std::max(0.0, 1 - rim * rim)));
  if (paint.side_gain != 0 && half_width > 0)
    f *= 1 + paint.side_gain * clamp1(2 * dot(p - centre, paint.side_axis) / half_width);
  cv::Vec3f& dst = colour_(y, x);
  const float src[3] = {paint.colour.b, paint.colour.g, paint.colour.r};
  for (int c = 0; c < 3; ++c) {
    const float value = std::min(255.0f, static_cast<float>(src[c] * f));
    dst[c] += (value - dst[c]) * coverage;
  }
  if (coverage >= 0.5f) owner_(y, x) = owner;
  last_touch_(y, x) = owner;
}

void Canvas::capsule(Point2 a, Point2 b, double ra, double rb, const Paint& paint, int owner) {
  const Point2 d = b - a;
  const double len2 = dot(d, d);
  const double len = std::sqrt(len2);
  const Point2 dir = len > 1e-9 ? d * (1 / len) : Point2{1, 0};
  const double rmax = std::max(ra, rb);
  const auto [x0, x1] = pixel_span(std::min(a.x, b.x), std::max(a.x, b.x), rmax + 1, width());
  const auto [y0, y1] = pixel_span(std::min(a.y, b.y), std::max(a.y, b.y), rmax + 1, height());
  const Point2 mid = (a + b) * 0.5;
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      const Point2 p{static_cast<double>(x), static_cast<double>(y)};
      const Point2 ap = p - a;
      const double t = len2 > 0 ? std::clamp(dot(ap, d) / len2, 0.0, 1.0) : 0.0;
      const double dist = length(ap - d * t);
      const double r = ra + (rb - ra) * t;
      const double signed_distance = dist - r;
      if (signed_distance >= 0.5) continue;
      const float coverage = static_cast<float>(std::min(1.0, 0.5 - signed_distance));
      shade(x, y, coverage, paint, dot(ap, dir), cross(dir, ap), std::min(1.0, dist / std::max(r, 1e-6)), p, mid, r, owner);
    }
}

void Canvas::ellipse(Point2 c, double rx, double ry, Point2 axis, const Paint& paint, int owner) {
  const double rmax = std::max(rx, ry);
  const auto [x0, x1] = pixel_span(c.x, c.x, rmax + 1, width());
  const auto [y0, y1] = pixel_span(c.y, c.y, rmax + 1, height());
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      const Point2 p{static_cast<double>(x), static_cast<double>(y)};
      const Point2 q = p - c;
      const double lx = dot(q, axis), ly = cross(axis, q);
      const double n = std::sqrt((lx / rx) * (lx / rx) + (ly / ry) * (ly / ry));
      // First-order distance to the outline: (n - 1) / |grad n|.
      const double grad = n > 1e-9 ? std::sqrt((lx / (rx * rx)) * (lx / (rx * rx)) + (ly / (ry * ry)) * (ly / (ry * ry))) / n
                                   : 1.0 / rmax;
      const double signed_distance = (n - 1) / std::max(grad, 1e-9);
      if (signed_distance >= 0.5) continue;
      const float coverage = static_cast<float>(std::min(1.0, 0.5 - signed_distance));
      shade(x, y, coverage, paint, lx, ly, std::min(1.0, n), p, c, rmax, owner);
    }
}

void Canvas::polygon(const std::vector<Point2>& corners, Point2 axis, const Paint& paint, int owner) {
  const size_t n = corners.size();
  Point2 centre{0, 0};
  for (const auto& p : corners) centre = centre + p * (1.0 / n);
  std::vector<Point2> normals(n);
  double lo_x = corners[0].x, hi_x = lo_x, lo_y = corners[0].y, hi_y = lo_y, half_width = 1e-6;
  for (size_t i = 0; i < n; ++i) {
    const Point2 e = corners[(i + 1) % n] - corners[i];
    Point2 normal = Point2{e.y, -e.x} * (1 / std::max(length(e), 1e-9));
    if (dot(centre - corners[i], normal) > 0) normal = -normal;
    normals[i] = normal;
    lo_x = std::min(lo_x, corners[i].x), hi_x = std::max(hi_x, corners[i].x);
    lo_y = std::min(lo_y, corners[i].y), hi_y = std::max(hi_y, corners[i].y);
    half_width = std::max(half_width, std::fabs(cross(axis, corners[i] - centre)));
  }
  const auto [x0, x1] = pixel_span(lo_x, hi_x, 1, width());
  const auto [y0, y1] = pixel_span(lo_y, hi_y, 1, height());
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      const Point2 p{static_cast<double>(x), static_cast<double>(y)};
      double signed_distance = -1e9;
      for (size_t i = 0; i < n; ++i) signed_distance = std::max(signed_distance, dot(p - corners[i], normals[i]));
      if (signed_distance >= 0.5) continue;
      const float coverage = static_cast<float>(std::min(1.0, 0.5 - signed_distance));
      const Point2 q = p - centre;
      const double v = cross(axis, q);
      shade(x, y, coverage, paint, dot(q, axis), v, std::min(1.0, std::fabs(v) / half_width), p, centre, half_width, owner);
    }
}

cv::Mat3b Canvas::finish(double sigma, uint64_t noise_seed) const {
  cv::Mat3b out(colour_.rows, colour_.cols);
  Rng rng(noise_seed);
  // Three per-channel and one shared (luminance) uniform from one 64-bit draw: the sum of two
  // uniforms has standard deviation sqrt(2/12).
  const double scale = sigma / std::sqrt(2.0 / 12.0) / 65536.0;
  for (int y = 0; y < colour_.rows; ++y) {
    const cv::Vec3f* src = colour_.ptr<cv::Vec3f>(y);
    cv::Vec3b* dst = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < colour_.cols; ++x) {
      const uint64_t r = sigma > 0 ? rng.next() : 0x8000800080008000ull;
      const double shared = static_cast<double>((r >> 48) & 0xFFFF) - 32768.0;
      for (int c = 0; c < 3; ++c) {
        const double own = static_cast<double>((r >> (16 * c)) & 0xFFFF) - 32768.0;
        dst[x][c] = cv::saturate_cast<uchar>(src[x][c] + (own + shared) * scale);
      }
    }
  }
  return out;
}

}  // namespace posekd::synth
