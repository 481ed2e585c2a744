#include "posekd/codec/teacher_warp.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <string>

#include "posekd/core/error.h"

namespace posekd {

Affine2D heatmap_warp(const CropFrame& from, const CropFrame& to) {
  return to.image_to_heatmap().after(from.heatmap_to_image());
}

void warp_heatmaps(const float* src, int num_joints, const CropFrame& from, const CropFrame& to,
                   const std::vector<int>& flip_index, float* dst, const TeacherWarpOptions& options) {
  const Affine2D m = heatmap_warp(from, to);
  const bool mirrored = m.determinant() < 0;
  if (mirrored && int(flip_index.size()) != num_joints)
    throw Error("teacher map warp mirrors the map but the flip index has " + std::to_string(flip_index.size()) +
                " joints, expected " + std::to_string(num_joints));
  // Teacher pixels per student pixel: the area scale of the inverse map.
  const double factor = std::sqrt(std::abs(1.0 / m.determinant()));
  const bool blur = options.antialias && factor > options.antialias_min_factor;
  const double sigma = (factor - 1) / 2;
  const cv::Matx23d matrix(m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2));
  const size_t src_plane = size_t(from.heatmap_h) * from.heatmap_w;
  const size_t dst_plane = size_t(to.heatmap_h) * to.heatmap_w;
  const int flags = options.interpolation == WarpInterpolation::lanczos4  ? cv::INTER_LANCZOS4
                    : options.interpolation == WarpInterpolation::bicubic ? cv::INTER_CUBIC
                                                                          : cv::INTER_LINEAR;
  cv::Mat blurred;
  for (int k = 0; k < num_joints; ++k) {
    const int source = mirrored ? flip_index[k] : k;
    cv::Mat in(from.heatmap_h, from.heatmap_w, CV_32F, const_cast<float*>(src + src_plane * source));
    if (blur) {
      const int ksize = 2 * static_cast<int>(std::ceil(3 * sigma)) + 1;
      cv::GaussianBlur(in, blurred, cv::Size(ksize, ksize), sigma, sigma, cv::BORDER_CONSTANT);
      double before = 0, after = 0;
      cv::minMaxLoc(in, nullptr, &before);
      cv::minMaxLoc(blurred, nullptr, &after);
      if (before > 0 && after > 0) blurred *= before / after;
      in = blurred;
    }
    cv::Mat out(to.heatmap_h, to.heatmap_w, CV_32F, dst + dst_plane * k);
    cv::warpAffine(in, out, matrix, out.size(), flags,
                   cv::BORDER_CONSTANT, 0);
  }
}

}  // namespace posekd
