#pragma once
// Stored teacher maps under the student's augmentation (DESIGN 3.3), and DDSR's
// cross-resolution step: a map rendered for one crop/heatmap size is resampled into another.
#include <vector>

#include "posekd/codec/heatmap_geometry.h"

namespace posekd {

enum class WarpInterpolation { bilinear, bicubic, lanczos4 };

struct TeacherWarpOptions {
  // Lanczos-4 by default: on a σ=2 Gaussian warped to a new crop, bilinear sampling is off by
  // up to 0.12 and OpenCV's bicubic by 0.023 where a peak falls between teacher pixels,
  // Lanczos-4 by 0.007 (bench_teacher_warp; DECISIONS.md).
  WarpInterpolation interpolation = WarpInterpolation::lanczos4;
  // When one student heatmap pixel spans f > antialias_min_factor teacher pixels, the teacher
  // map is first blurred with a Gaussian of σ = (f-1)/2 teacher pixels (skimage's
  // anti-aliasing rule) and rescaled to its original maximum, so narrow peaks are not missed
  // by point sampling and peak values stay those of the teacher (measured in DECISIONS.md).
  bool antialias = true;
  double antialias_min_factor = 1.5;
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
