#include "posekd/core/affine.h"

#include <cmath>

#include "posekd/core/error.h"

namespace posekd {

Affine2D Affine2D::rotation(double degrees) {
  const double r = degrees * M_PI / 180.0;
  const double c = std::cos(r), s = std::sin(r);
  return {c, s, 0, -s, c, 0};
}

Affine2D Affine2D::after(const Affine2D& f) const {
  const auto& a = m_;
  const auto& b = f.m_;
  return {a[0] * b[0] + a[1] * b[3], a[0] * b[1] + a[1] * b[4], a[0] * b[2] + a[1] * b[5] + a[2],
          a[3] * b[0] + a[4] * b[3], a[3] * b[1] + a[4] * b[4], a[3] * b[2] + a[4] * b[5] + a[5]};
}

Affine2D Affine2D::inverse() const {
  const double det = determinant();
  if (std::abs(det) < 1e-300) throw Error("affine map is singular (determinant 0)");
  const auto& m = m_;
  const double ia = m[4] / det, ib = -m[1] / det, id = -m[3] / det, ie = m[0] / det;
  return {ia, ib, -(ia * m[2] + ib * m[5]), id, ie, -(id * m[2] + ie * m[5])};
}

std::array<float, 6> Affine2D::to_float() const {
  std::array<float, 6> out{};
  for (int i = 0; i < 6; ++i) out[i] = static_cast<float>(m_[i]);
  return out;
}

Affine2D Affine2D::from(const float* s) { return {s[0], s[1], s[2], s[3], s[4], s[5]}; }
Affine2D Affine2D::from(const double* s) { return {s[0], s[1], s[2], s[3], s[4], s[5]}; }

bool Affine2D::approx_equal(const Affine2D& o, double tol) const {
  for (int i = 0; i < 6; ++i)
    if (std::abs(m_[i] - o.m_[i]) > tol) return false;
  return true;
}

}  // namespace posekd
