#include "posekd/data/transforms.h"

#include <opencv2/imgproc.hpp>

#include <string>

#include "posekd/core/error.h"

namespace posekd {
namespace {

CropParams grown_to_aspect(double cx, double cy, double w, double h, int input_w, int input_h, double padding) {
  const double aspect = double(input_w) / input_h;
  if (w > aspect * h)
    h = w / aspect;
  else
    w = h * aspect;
  CropParams c;
  c.center_x = cx;
  c.center_y = cy;
  c.width = w * padding;
  c.height = h * padding;
  return c;
}

}  // namespace

CropParams crop_from_box(const Box& box, int input_w, int input_h, double padding) {
  return grown_to_aspect(box.x + box.w * 0.5, box.y + box.h * 0.5, box.w, box.h, input_w, input_h, padding);
}

CropParams crop_from_instance(const Instance& instance, int input_w, int input_h, double padding) {
  if (instance.scale > 0) {
    const double side = instance.scale * 200;
    // The reader's scale already holds HRNet's 1.25: other paddings (a padded teacher dump)
    // scale relative to it.
    return grown_to_aspect(instance.center_x, instance.center_y, side, side, input_w, input_h, padding / 1.25);
  }
  return crop_from_box(instance.box, input_w, input_h, padding);
}

double flip_axis(int input_w, CropGeometry geometry) {
  return geometry == CropGeometry::udp ? (input_w - 1) * 0.5 : input_w * 0.5;
}

Affine2D crop_affine(const CropParams& crop, int input_w, int input_h, CropGeometry geometry) {
  if (!(crop.width > 0) || !(crop.height > 0))
    throw Error("crop of zero size (width " + std::to_string(crop.width) + ", height " + std::to_string(crop.height) +
                ")");
  double sx, sy, tx, ty;
  if (geometry == CropGeometry::udp) {
    sx = (input_w - 1) / crop.width;
    sy = (input_h - 1) / crop.height;
    tx = (input_w - 1) * 0.5;
    ty = (input_h - 1) * 0.5;
  } else {
    // HRNet scales both axes by the width ratio (scale[0] only); the height agrees by
    // construction of the aspect.
    sx = sy = input_w / crop.width;
    tx = input_w * 0.5;
    ty = input_h * 0.5;
  }
  Affine2D a = Affine2D::translation(-crop.center_x, -crop.center_y)
                   .then(Affine2D::rotation(crop.rotation))
                   .then(Affine2D::scaling(sx, sy))
                   .then(Affine2D::translation(tx, ty));
  if (crop.flip) a = a.then(Affine2D::flip_x(flip_axis(input_w, geometry)));
  return a;
}

std::vector<float> transform_keypoints(const std::vector<Keypoint>& keypoints, const Affine2D& crop, bool flipped,
                                       const std::vector<int>& flip_index) {
  const size_t k = keypoints.size();
  if (flipped && flip_index.size() != k)
    throw Error("flip index has " + std::to_string(flip_index.size()) + " joints, the instance has " +
                std::to_string(k));
  std::vector<float> out(3 * k);
  for (size_t i = 0; i < k; ++i) {
    const Keypoint& kp = keypoints[flipped ? size_t(flip_index[i]) : i];
    const Point2 p = crop.apply({kp.x, kp.y});
    out[3 * i] = float(p.x);
    out[3 * i + 1] = float(p.y);
    out[3 * i + 2] = kp.v;
  }
  return out;
}

cv::Mat render_crop(const cv::Mat& image, const Affine2D& crop, int input_w, int input_h) {
  const cv::Matx23d m(crop(0, 0), crop(0, 1), crop(0, 2), crop(1, 0), crop(1, 1), crop(1, 2));
  cv::Mat out;
  cv::warpAffine(image, out, m, cv::Size(input_w, input_h), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  return out;
}

}  // namespace posekd
