#pragma once
// A 2×3 affine map of the plane, p' = M·[x, y, 1]ᵀ, in double precision. Crops, augmentation
// and teacher-map warps are all compositions of these (DESIGN 3.2, 3.3).
#include <array>

namespace posekd {

struct Point2 {
  double x = 0, y = 0;
};

class Affine2D {
 public:
  Affine2D() = default;  // identity
  Affine2D(double a, double b, double c, double d, double e, double f) : m_{a, b, c, d, e, f} {}

  static Affine2D identity() { return {}; }
  static Affine2D translation(double tx, double ty) { return {1, 0, tx, 0, 1, ty}; }
  static Affine2D scaling(double sx, double sy) { return {sx, 0, 0, 0, sy, 0}; }
  // Counter-clockwise rotation by `degrees` in image coordinates (y down), about the origin.
  static Affine2D rotation(double degrees);
  // Mirror x about the vertical line x = axis.
  static Affine2D flip_x(double axis) { return {-1, 0, 2 * axis, 0, 1, 0}; }

  Point2 apply(Point2 p) const { return {m_[0] * p.x + m_[1] * p.y + m_[2], m_[3] * p.x + m_[4] * p.y + m_[5]}; }
  // (*this ∘ first): apply `first`, then this.
  Affine2D after(const Affine2D& first) const;
  Affine2D then(const Affine2D& second) const { return second.after(*this); }
  Affine2D inverse() const;  // throws posekd::Error when singular
  double determinant() const { return m_[0] * m_[4] - m_[1] * m_[3]; }

  double operator()(int row, int col) const { return m_[row * 3 + col]; }
  const std::array<double, 6>& data() const { return m_; }
  std::array<float, 6> to_float() const;
  static Affine2D from(const float* six);
  static Affine2D from(const double* six);

  bool approx_equal(const Affine2D& o, double tol = 1e-9) const;

 private:
  std::array<double, 6> m_{1, 0, 0, 0, 1, 0};
};

}  // namespace posekd
