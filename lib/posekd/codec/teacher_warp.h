#pragma once
// Stored teacher maps under the student's augmentation (DESIGN 3.3), and DDSR's
// cross-resolution step: a map rendered for one crop/heatmap size is resampled into another.
#include <vector>

#include "posekd/codec/heatmap_geometry.h"

namespace posekd {

enum class WarpInterpolation { bilinear, bicubic, lanczos4 };

struct TeacherWarpOptions {
  // Lanczos-4 by default: against the target rendered directly at an augmented crop, a
  // warped σ=2 map is off by up to 0.19 with bilinear sampling (a peak between teacher pixels
  // is under-read), 0.03 with OpenCV's bicubic, 0.015 with Lanczos-4 (bench_teacher_warp).
  WarpInterpolation interpolation = WarpInterpolation::lanczos4;
  // When one student heatmap pixel spans f > antialias_min_factor teacher pixels (DDSR's 3×),
  // the teacher map is first blurred with a Gaussian of σ = (f-1)/2 teacher pixels (skimage's
  // anti-aliasing rule) and rescaled to its original maximum: point samples then miss less
  // of a narrow peak and its decoded location is 5× closer (bench_teacher_warp). Below that
  // factor Lanczos-4 alone keeps peaks and locations, and the blur would only widen them.
  bool antialias = true;
  double antialias_min_factor = 2.5;
};

// The map of heatmap space `from` in heatmap space `to`: H_to∘A_to∘A_from⁻¹∘H_from⁻¹.
Affine2D heatmap_warp(const CropFrame& from, const CropFrame& to);

// `src`: K×from.heatmap_h×from.heatmap_w; `dst`: K×to.heatmap_h×to.heatmap_w. One
// cv::warpAffine per map, zero outside the source. When the warp mirrors (the student crop is flipped
// relative to the dump's), dst map k comes from src map flip_index[k]; flip_index may be
// empty when it never does.
void warp_heatmaps(const float* src, int num_joints, const CropFrame& from, const CropFrame& to,
                   const std::vector<int>& flip_index, float* dst, const TeacherWarpOptions& options = {});

}  // namespace posekd
