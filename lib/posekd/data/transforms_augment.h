#pragma once
// Training augmentation of the top-down crop. Every draw comes from a SampleRng seeded per
// sample, and the outcome is one small AugParams that re-renders the same crop (the SDP tool
// re-renders a past batch from stored parameters).
#include <opencv2/core.hpp>

#include <vector>

#include "posekd/core/skeleton.h"
#include "posekd/data/instance.h"
#include "posekd/data/transforms.h"
#include "posekd/data/transforms_random.h"

namespace posekd {

// Defaults are mmpose 0.x's COCO top-down pipeline (TopDownRandomFlip, TopDownHalfBodyTransform,
// TopDownGetRandomScaleRotation); HRNet's own COCO config differs only in scale_factor 0.35
// and rotation_factor 45.
struct AugmentOptions {
  double flip_prob = 0.5;
  double half_body_prob = 0.3;
  int half_body_min_joints = 8;      // half-body only with MORE than this many labelled joints
  double half_body_padding = 1.5;    // upper half preferred with P(N(0,1) < 0.5) = 0.69, as HRNet
  std::vector<int> upper_body_joints;  // empty: derived from the skeleton's joint names
  double shift_factor = 0.16;        // centre += U(-1,1)·f × crop size (mmpose TopDownRandomShiftBboxCenter) ...
  double shift_prob = 0.0;           // ... off by default, as in HRNet and most mmpose configs
  double scale_factor = 0.5;         // size × clip(1 + N(0,1)·f, 1-f, 1+f)
  double rotation_factor = 40;       // degrees: clip(N(0,1)·f, -2f, 2f) ...
  double rotation_prob = 0.6;        // ... with this probability, else 0
  // Colour jitter (torchvision ColorJitter semantics, fixed order brightness, contrast,
  // saturation; factor uniform in [1-j, 1+j]). Off by default: the reference COCO top-down
  // configs use none.
  double brightness = 0, contrast = 0, saturation = 0;
};

struct AugParams {
  CropParams crop;
  bool half_body = false;  // recorded for inspection; crop already holds its effect
  float brightness = 1, contrast = 1, saturation = 1;  // 1 = unchanged

  // Flat form for tensors and HDF5: center_x, center_y, width, height, rotation, flip,
  // half_body, brightness, contrast, saturation.
  static constexpr int kFields = 10;
  void to_array(double* out) const;
  static AugParams from_array(const double* in);
};

// Joints that count as upper body for half-body: everything but hips, knees, ankles, pelvis
// (this gives mmpose's upper_body_ids for COCO, MPII and CrowdPose).
std::vector<int> upper_body_joints(const Skeleton& skeleton);

// Draws in a fixed order: flip, half-body, shift, scale, rotation, colour. `base` is the
// unaugmented crop (crop_from_instance). `upper_body` must be given when half_body_prob > 0.
AugParams draw_augmentation(const Instance& instance, const CropParams& base, int input_w, int input_h,
                            const AugmentOptions& options, const std::vector<int>& upper_body, SampleRng& rng);

struct RenderedCrop {
  cv::Mat image;                // input_h × input_w, 8-bit BGR as decoded
  Affine2D affine;              // image -> input
  std::vector<float> keypoints;  // K×3 (x, y, v) in input pixels, flip pairs swapped
};

// The whole sample geometry from stored parameters: one crop affine, one warpAffine, the
// colour jitter, the keypoints through the same affine.
RenderedCrop render_augmented(const cv::Mat& image, const Instance& instance, const AugParams& params, int input_w,
                              int input_h, CropGeometry geometry, const std::vector<int>& flip_index);

// Brightness, contrast (against the mean grey of the crop), saturation (against each pixel's
// grey), in place on an 8-bit BGR crop; a no-op when all factors are 1.
void apply_colour_jitter(cv::Mat& bgr, const AugParams& params);

}  // namespace posekd
