#include "posekd/data/transforms_augment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "posekd/core/error.h"

namespace posekd {
namespace {

bool lower_body_name(const std::string& joint) {
  for (const char* part : {"hip", "knee", "ankle", "pelvis"})
    if (joint.find(part) != std::string::npos) return true;
  return false;
}

// HRNet's half_body_transform: the labelled joints of one half (upper with probability 0.69
// when it has more than 2, else lower when it has more than 2, else upper), centre = their
// mean, size = their bounding box grown to the aspect × 1.5. Returns false when fewer than 2.
bool half_body_crop(const Instance& instance, const std::vector<int>& upper_body, int input_w, int input_h,
                    double padding, SampleRng& rng, CropParams* out) {
  std::vector<bool> is_upper(instance.keypoints.size(), false);
  for (int j : upper_body)
    if (j >= 0 && size_t(j) < is_upper.size()) is_upper[size_t(j)] = true;
  std::vector<const Keypoint*> upper, lower;
  for (size_t j = 0; j < instance.keypoints.size(); ++j)
    if (instance.keypoints[j].v > 0) (is_upper[j] ? upper : lower).push_back(&instance.keypoints[j]);
  // HRNet and mmpose 0.x draw np.random.randn() < 0.5 here (not rand): the upper half is
  // preferred with probability 0.69, which mmpose 1.x kept as upper_prioritized_prob = 0.7.
  const bool take_upper = rng.normal() < 0.5 && upper.size() > 2;
  const auto& selected = take_upper ? upper : (lower.size() > 2 ? lower : upper);
  if (selected.size() < 2) return false;
  double sx = 0, sy = 0, x0 = std::numeric_limits<double>::max(), y0 = x0, x1 = -x0, y1 = -x0;
  for (const Keypoint* kp : selected) {
    sx += kp->x;
    sy += kp->y;
    x0 = std::min<double>(x0, kp->x);
    y0 = std::min<double>(y0, kp->y);
    x1 = std::max<double>(x1, kp->x);
    y1 = std::max<double>(y1, kp->y);
  }
  Box box{x0, y0, x1 - x0, y1 - y0};
  CropParams c = crop_from_box(box, input_w, input_h, padding);
  c.center_x = sx / double(selected.size());
  c.center_y = sy / double(selected.size());
  *out = c;
  return true;
}

}  // namespace

void AugParams::to_array(double* out) const {
  const double v[kFields] = {crop.center_x, crop.center_y, crop.width,  crop.height, crop.rotation,
                             crop.flip ? 1.0 : 0.0, half_body ? 1.0 : 0.0, brightness, contrast, saturation};
  std::copy(v, v + kFields, out);
}

AugParams AugParams::from_array(const double* in) {
  AugParams p;
  p.crop.center_x = in[0];
  p.crop.center_y = in[1];
  p.crop.width = in[2];
  p.crop.height = in[3];
  p.crop.rotation = in[4];
  p.crop.flip = in[5] != 0;
  p.half_body = in[6] != 0;
  p.brightness = float(in[7]);
  p.contrast = float(in[8]);
  p.saturation = float(in[9]);
  return p;
}

std::vector<int> upper_body_joints(const Skeleton& skeleton) {
  std::vector<int> out;
  for (int j = 0; j < skeleton.num_joints(); ++j)
    if (!lower_body_name(skeleton.joints[size_t(j)])) out.push_back(j);
  return out;
}

AugParams draw_augmentation(const Instance& instance, const CropParams& base, int input_w, int input_h,
                            const AugmentOptions& o, const std::vector<int>& upper_body, SampleRng& rng) {
  AugParams p;
  p.crop = base;
  p.crop.flip = rng.uniform() <= o.flip_prob && o.flip_prob > 0;  // "rand() <= flip_prob", as HRNet

  int labelled = 0;
  for (const auto& kp : instance.keypoints) labelled += kp.v > 0;
  // HRNet and mmpose 0.x: "np.sum(joints_vis[:, 0]) > num_joints_half_body" — strictly more.
  const double half_draw = rng.uniform();
  if (labelled > o.half_body_min_joints && half_draw < o.half_body_prob) {
    CropParams half;
    if (half_body_crop(instance, upper_body, input_w, input_h, o.half_body_padding, rng, &half)) {
      half.flip = p.crop.flip;
      p.crop = half;
      p.half_body = true;
    }
  }

  // Drawn whether or not used, so enabling one augmentation leaves the others' draws alone.
  const double shift_draw = rng.uniform();
  const double shift_x = 2 * rng.uniform() - 1, shift_y = 2 * rng.uniform() - 1;
  if (shift_draw < o.shift_prob) {
    p.crop.center_x += shift_x * o.shift_factor * p.crop.width;
    p.crop.center_y += shift_y * o.shift_factor * p.crop.height;
  }

  const double s = std::clamp(rng.normal() * o.scale_factor + 1, 1 - o.scale_factor, 1 + o.scale_factor);
  p.crop.width *= s;
  p.crop.height *= s;

  const double r = std::clamp(rng.normal() * o.rotation_factor, -2 * o.rotation_factor, 2 * o.rotation_factor);
  p.crop.rotation = rng.uniform() <= o.rotation_prob ? r : 0.0;

  auto factor = [&](double j) { return float(1 - j + 2 * j * rng.uniform()); };
  p.brightness = factor(o.brightness);
  p.contrast = factor(o.contrast);
  p.saturation = factor(o.saturation);
  return p;
}

RenderedCrop render_augmented(const cv::Mat& image, const Instance& instance, const AugParams& params, int input_w,
                              int input_h, CropGeometry geometry, const std::vector<int>& flip_index) {
  RenderedCrop out;
  out.affine = crop_affine(params.crop, input_w, input_h, geometry);
  out.image = render_crop(image, out.affine, input_w, input_h);
  apply_colour_jitter(out.image, params);
  out.keypoints = transform_keypoints(instance.keypoints, out.affine, params.crop.flip, flip_index);
  return out;
}

void apply_colour_jitter(cv::Mat& bgr, const AugParams& p) {
  if (p.brightness == 1 && p.contrast == 1 && p.saturation == 1) return;
  if (bgr.type() != CV_8UC3) throw Error("colour jitter expects an 8-bit 3-channel image");
  cv::Mat f;
  bgr.convertTo(f, CV_32FC3, p.brightness);
  cv::min(f, 255.0, f);
  auto grey = [](const cv::Vec3f& v) { return 0.299f * v[2] + 0.587f * v[1] + 0.114f * v[0]; };
  if (p.contrast != 1) {
    double mean = 0;
    for (auto it = f.begin<cv::Vec3f>(); it != f.end<cv::Vec3f>(); ++it) mean += grey(*it);
    const float m = float(mean / double(f.total()));
    for (auto it = f.begin<cv::Vec3f>(); it != f.end<cv::Vec3f>(); ++it)
      for (int c = 0; c < 3; ++c) (*it)[c] = std::clamp(p.contrast * (*it)[c] + (1 - p.contrast) * m, 0.0f, 255.0f);
  }
  if (p.saturation != 1) {
    for (auto it = f.begin<cv::Vec3f>(); it != f.end<cv::Vec3f>(); ++it) {
      const float g = grey(*it);
      for (int c = 0; c < 3; ++c) (*it)[c] = std::clamp(p.saturation * (*it)[c] + (1 - p.saturation) * g, 0.0f, 255.0f);
    }
  }
  f.convertTo(bgr, CV_8UC3);
}

}  // namespace posekd
