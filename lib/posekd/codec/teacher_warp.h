#pragma once
// Stored teacher maps under the student's augmentation (DESIGN 3.3), and DDSR's
// cross-resolution step: a map rendered for one crop/heatmap size is resampled into another.
#include <string>
#include <vector>

#include "posekd/codec/heatmap_geometry.h"

namespace posekd {

enum class WarpInterpolation { bilinear, bicubic, lanczos4 };

// How a map's blobs change size under the warp.
//  - keep_width: a map whose peak reaches keep_width_min_peak is moved so that its peak lands
//    where the full affine sends it, and turned (rotation, mirror) about that peak, but not
//    scaled: a σ-pixel Gaussian stays σ heatmap pixels wide, as a teacher run on the student's
//    crop (and the student's own ground-truth target) draws it, whatever the crop's zoom or the
//    resolution change. A map without such a peak (a joint the teacher does not find) has no
//    blob to keep and gets the full affine.
//  - affine: the map is resampled through the full affine, scale included, so a σ-pixel blob
//    becomes σ·zoom pixels wide. Under mmpose's scale factor 0.5 (zooms 0.5-1.5) an ideal
//    teacher's warped maps then correlate 0.935 with its own maps on the augmented crops,
//    against 0.9996 with keep_width (bench_teacher_warp).
enum class WarpWidth { keep_width, affine };

struct TeacherWarpOptions {
  // Lanczos-4 by default: against the target rendered directly at an augmented crop, a
  // warped σ=2 map is off by up to 0.19 with bilinear sampling (a peak between teacher pixels
  // is under-read), 0.03 with OpenCV's bicubic, 0.015 with Lanczos-4 (bench_teacher_warp).
  WarpInterpolation interpolation = WarpInterpolation::lanczos4;
  WarpWidth width = WarpWidth::keep_width;
  double keep_width_min_peak = 0.3;
  // Maps warped through the full affine: when one student heatmap pixel spans
  // f > antialias_min_factor teacher pixels (DDSR's 3×), the teacher map is first blurred with
  // a Gaussian of σ = (f-1)/2 teacher pixels (skimage's anti-aliasing rule) and rescaled to its
  // original maximum: point samples then miss less of a narrow peak and its decoded location is
  // 5× closer (bench_teacher_warp). Below that factor Lanczos-4 alone keeps peaks and
  // locations, and the blur would only widen them.
  bool antialias = true;
  double antialias_min_factor = 2.5;
};

// The map of heatmap space `from` in heatmap space `to`: H_to∘A_to∘A_from⁻¹∘H_from⁻¹.
Affine2D heatmap_warp(const CropFrame& from, const CropFrame& to);

// `src`: K×from.heatmap_h×from.heatmap_w; `dst`: K×to.heatmap_h×to.heatmap_w. One
// cv::warpAffine per map, zero outside the source (keep_width: about the map's sub-pixel peak,
// found by a log-parabola through its maximum and the neighbours on each axis, exact for a
// Gaussian; a map whose maximum is below keep_width_min_peak gets the full affine). When the
// warp mirrors (the student crop is flipped relative to the dump's), dst map k comes from src
// map flip_index[k]; flip_index may be empty when it never does.
// "keep-width" | "affine" (UsageError otherwise).
WarpWidth parse_warp_width(const std::string& name);

void warp_heatmaps(const float* src, int num_joints, const CropFrame& from, const CropFrame& to,
                   const std::vector<int>& flip_index, float* dst, const TeacherWarpOptions& options = {});

}  // namespace posekd
