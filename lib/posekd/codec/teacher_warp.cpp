#include "posekd/codec/teacher_warp.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <string>

#include "posekd/core/error.h"

namespace posekd {

namespace {

// Offset of a peak from sample 0 given its neighbours: the vertex of the parabola through the
// logarithms of the three values (exact for a Gaussian), through the values themselves when
// one is not positive; 0 when the values do not bend down. Within ±0.5.
double vertex_offset(float minus, float centre, float plus) {
  double a = minus, b = centre, c = plus;
  if (a > 0 && b > 0 && c > 0) a = std::log(a), b = std::log(b), c = std::log(c);
  const double curvature = a - 2 * b + c;
  if (!(curvature < 0)) return 0;
  const double offset = 0.5 * (a - c) / curvature;
  return std::fmax(-0.5, std::fmin(0.5, offset));
}

// The sub-pixel peak of a map, or nothing when its maximum is below `min_peak` (or not positive).
bool subpixel_peak(const cv::Mat& map, double min_peak, Point2& peak) {
  double max_value = 0;
  cv::Point at;
  cv::minMaxLoc(map, nullptr, &max_value, nullptr, &at);
  if (!(max_value > 0) || max_value < min_peak) return false;
  const auto v = [&](int y, int x) { return map.at<float>(y, x); };
  peak = {double(at.x), double(at.y)};
  if (at.x > 0 && at.x + 1 < map.cols) peak.x += vertex_offset(v(at.y, at.x - 1), v(at.y, at.x), v(at.y, at.x + 1));
  if (at.y > 0 && at.y + 1 < map.rows) peak.y += vertex_offset(v(at.y - 1, at.x), v(at.y, at.x), v(at.y + 1, at.x));
  return true;
}

// `m` with its uniform scale taken out, fixed where it sends `peak`.
Affine2D unscaled_about(const Affine2D& m, Point2 peak) {
  const double s = 1 / std::sqrt(std::abs(m.determinant()));
  const double a = m(0, 0) * s, b = m(0, 1) * s, d = m(1, 0) * s, e = m(1, 1) * s;
  const Point2 q = m.apply(peak);
  return {a, b, q.x - a * peak.x - b * peak.y, d, e, q.y - d * peak.x - e * peak.y};
}

}  // namespace

Affine2D heatmap_warp(const CropFrame& from, const CropFrame& to) {
  return to.image_to_heatmap().after(from.heatmap_to_image());
}

WarpWidth parse_warp_width(const std::string& name) {
  if (name == "keep-width") return WarpWidth::keep_width;
  if (name == "affine") return WarpWidth::affine;
  throw UsageError("teacher warp '" + name + "': expected keep-width or affine");
}

void warp_heatmaps(const float* src, int num_joints, const CropFrame& from, const CropFrame& to,
                   const std::vector<int>& flip_index, float* dst, const TeacherWarpOptions& options) {
  const Affine2D m = heatmap_warp(from, to);
  const bool mirrored = m.determinant() < 0;
  if (mirrored && int(flip_index.size()) != num_joints)
    throw Error("teacher map warp mirrors the map but the flip index has " + std::to_string(flip_index.size()) +
                " joints, expected " + std::to_string(num_joints));
  const bool keep_width = options.width == WarpWidth::keep_width;
  // Teacher pixels per student pixel: the area scale of the inverse map. A width-keeping warp
  // samples one teacher pixel per student pixel and needs no anti-aliasing.
  const double factor = std::sqrt(std::abs(1.0 / m.determinant()));
  const bool blur = options.antialias && factor > options.antialias_min_factor;
  const double sigma = (factor - 1) / 2;
  const size_t src_plane = size_t(from.heatmap_h) * from.heatmap_w;
  const size_t dst_plane = size_t(to.heatmap_h) * to.heatmap_w;
  const int flags = options.interpolation == WarpInterpolation::lanczos4  ? cv::INTER_LANCZOS4
                    : options.interpolation == WarpInterpolation::bicubic ? cv::INTER_CUBIC
                                                                          : cv::INTER_LINEAR;
  cv::Mat blurred;
  for (int k = 0; k < num_joints; ++k) {
    const int source = mirrored ? flip_index[k] : k;
    cv::Mat in(from.heatmap_h, from.heatmap_w, CV_32F, const_cast<float*>(src + src_plane * source));
    Affine2D w = m;
    Point2 peak;
    if (keep_width && subpixel_peak(in, options.keep_width_min_peak, peak)) {
      w = unscaled_about(m, peak);
    } else if (blur) {
      const int ksize = 2 * static_cast<int>(std::ceil(3 * sigma)) + 1;
      cv::GaussianBlur(in, blurred, cv::Size(ksize, ksize), sigma, sigma, cv::BORDER_CONSTANT);
      double before = 0, after = 0;
      cv::minMaxLoc(in, nullptr, &before);
      cv::minMaxLoc(blurred, nullptr, &after);
      if (before > 0 && after > 0) blurred *= before / after;
      in = blurred;
    }
    const cv::Matx23d matrix(w(0, 0), w(0, 1), w(0, 2), w(1, 0), w(1, 1), w(1, 2));
    cv::Mat out(to.heatmap_h, to.heatmap_w, CV_32F, dst + dst_plane * k);
    cv::warpAffine(in, out, matrix, out.size(), flags, cv::BORDER_CONSTANT, 0);
  }
}

}  // namespace posekd
