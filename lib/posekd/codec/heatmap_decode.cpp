#include "posekd/codec/heatmap_decode.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "posekd/core/error.h"

namespace posekd {
namespace {

// np.argmax semantics: the first maximum in row-major order. A maximum <= 0 gives (0, 0), as
// HRNet's get_max_preds masks it.
DecodedKeypoint argmax(const float* map, int h, int w) {
  const float* best = std::max_element(map, map + size_t(h) * w);
  const size_t idx = size_t(best - map);
  DecodedKeypoint out;
  out.score = *best;
  if (*best > 0) {
    out.x = double(idx % w);
    out.y = double(idx / w);
  }
  return out;
}

double sign(double v) { return (v > 0) - (v < 0); }

// HRNet's condition is 1 < px < w-1 (not 0 < px): column 1 and row 1 get no offset.
void quarter_offset(const float* map, int h, int w, DecodedKeypoint& kp) {
  const int px = static_cast<int>(std::floor(kp.x + 0.5)), py = static_cast<int>(std::floor(kp.y + 0.5));
  if (1 < px && px < w - 1 && 1 < py && py < h - 1) {
    kp.x += 0.25 * sign(map[py * w + px + 1] - map[py * w + px - 1]);
    kp.y += 0.25 * sign(map[(py + 1) * w + px] - map[(py - 1) * w + px]);
  }
}

// mmpose 0.x _gaussian_blur: zero border of (k-1)/2, cv2.GaussianBlur with σ from the kernel
// size, then rescaled so the blurred map keeps the original maximum.
cv::Mat dark_blur(const float* map, int h, int w, int kernel) {
  const int border = (kernel - 1) / 2;
  cv::Mat padded = cv::Mat::zeros(h + 2 * border, w + 2 * border, CV_32F);
  cv::Mat(h, w, CV_32F, const_cast<float*>(map)).copyTo(padded(cv::Rect(border, border, w, h)));
  cv::GaussianBlur(padded, padded, cv::Size(kernel, kernel), 0);
  cv::Mat out = padded(cv::Rect(border, border, w, h)).clone();
  double origin_max = *std::max_element(map, map + size_t(h) * w), blurred_max = 0;
  cv::minMaxLoc(out, nullptr, &blurred_max);
  if (blurred_max > 0) out *= origin_max / blurred_max;
  return out;
}

// DARK's Taylor step (mmpose 0.x _taylor): derivatives by central differences of step 1 and
// 2 on log(max(blurred, 1e-10)); only where 1 < px < w-2 and 1 < py < h-2.
void dark_refine(const float* map, int h, int w, int kernel, DecodedKeypoint& kp) {
  const int px = static_cast<int>(kp.x), py = static_cast<int>(kp.y);
  if (!(1 < px && px < w - 2 && 1 < py && py < h - 2)) return;
  cv::Mat blurred = dark_blur(map, h, w, kernel);
  auto L = [&](int y, int x) { return std::log(std::max(double(blurred.at<float>(y, x)), 1e-10)); };
  const double dx = 0.5 * (L(py, px + 1) - L(py, px - 1));
  const double dy = 0.5 * (L(py + 1, px) - L(py - 1, px));
  const double dxx = 0.25 * (L(py, px + 2) - 2 * L(py, px) + L(py, px - 2));
  const double dxy = 0.25 * (L(py + 1, px + 1) - L(py - 1, px + 1) - L(py + 1, px - 1) + L(py - 1, px - 1));
  const double dyy = 0.25 * (L(py + 2, px) - 2 * L(py, px) + L(py - 2, px));
  const double det = dxx * dyy - dxy * dxy;
  if (det == 0) return;
  kp.x -= (dyy * dx - dxy * dy) / det;
  kp.y -= (-dxy * dx + dxx * dy) / det;
}

// mmpose post_dark_udp: in-place cv2.GaussianBlur (reflect-101 border), clip to
// [0.001, 50], log, edge padding by one pixel, step-1 differences, and ε·I added to the
// Hessian before inverting.
void dark_udp_refine(const float* map, int h, int w, int kernel, DecodedKeypoint& kp) {
  cv::Mat blurred;
  cv::GaussianBlur(cv::Mat(h, w, CV_32F, const_cast<float*>(map)), blurred, cv::Size(kernel, kernel), 0);
  auto L = [&](int y, int x) {
    y = std::clamp(y, 0, h - 1);
    x = std::clamp(x, 0, w - 1);
    return double(std::log(std::clamp(blurred.at<float>(y, x), 0.001f, 50.0f)));
  };
  const int px = static_cast<int>(kp.x), py = static_cast<int>(kp.y);
  const double i0 = L(py, px), ix1 = L(py, px + 1), iy1 = L(py + 1, px), ix1y1 = L(py + 1, px + 1);
  const double ix1_y1_ = L(py - 1, px - 1), ix1_ = L(py, px - 1), iy1_ = L(py - 1, px);
  const double dx = 0.5 * (ix1 - ix1_), dy = 0.5 * (iy1 - iy1_);
  const double eps = 1.1920929e-07;  // np.finfo(np.float32).eps
  const double dxx = ix1 - 2 * i0 + ix1_ + eps, dyy = iy1 - 2 * i0 + iy1_ + eps;
  const double dxy = 0.5 * (ix1y1 - ix1 - iy1 + i0 + i0 - ix1_ - iy1_ + ix1_y1_);
  const double det = dxx * dyy - dxy * dxy;
  if (det == 0) return;
  kp.x -= (dyy * dx - dxy * dy) / det;
  kp.y -= (-dxy * dx + dxx * dy) / det;
}

}  // namespace

int default_blur_kernel(int heatmap_w) {
  const int half = static_cast<int>(std::lround((11.0 * heatmap_w / 48.0 - 1.0) / 2.0));
  return std::max(3, 2 * half + 1);
}

HeatmapDecoder parse_heatmap_decoder(const std::string& name) {
  if (name == "argmax") return HeatmapDecoder::argmax;
  if (name == "quarter-offset" || name == "default") return HeatmapDecoder::quarter_offset;
  if (name == "dark" || name == "unbiased") return HeatmapDecoder::dark;
  if (name == "dark-udp") return HeatmapDecoder::dark_udp;
  throw UsageError("unknown heatmap decoder '" + name + "', expected one of argmax, quarter-offset, dark, dark-udp");
}

const char* to_string(HeatmapDecoder decoder) {
  switch (decoder) {
    case HeatmapDecoder::argmax: return "argmax";
    case HeatmapDecoder::quarter_offset: return "quarter-offset";
    case HeatmapDecoder::dark: return "dark";
    case HeatmapDecoder::dark_udp: return "dark-udp";
  }
  return "?";
}

HeatmapDecoder default_decoder(HeatmapCodec codec) {
  switch (codec) {
    case HeatmapCodec::hrnet: return HeatmapDecoder::quarter_offset;
    case HeatmapCodec::unbiased: return HeatmapDecoder::dark;
    case HeatmapCodec::udp: return HeatmapDecoder::dark_udp;
  }
  return HeatmapDecoder::dark;
}

std::vector<DecodedKeypoint> decode_heatmaps(const float* heatmaps, int num_joints, int heatmap_h, int heatmap_w,
                                             const HeatmapDecodeOptions& options) {
  const bool blurs = options.decoder == HeatmapDecoder::dark || options.decoder == HeatmapDecoder::dark_udp;
  if (blurs && (options.blur_kernel < 1 || options.blur_kernel % 2 == 0))
    throw UsageError("DARK blur kernel must be a positive odd number, found " + std::to_string(options.blur_kernel));
  std::vector<DecodedKeypoint> out(size_t(std::max(num_joints, 0)));
  const size_t plane = size_t(heatmap_h) * heatmap_w;
  for (int k = 0; k < num_joints; ++k) {
    const float* map = heatmaps + plane * k;
    DecodedKeypoint& kp = out[k];
    kp = argmax(map, heatmap_h, heatmap_w);
    switch (options.decoder) {
      case HeatmapDecoder::argmax: break;
      case HeatmapDecoder::quarter_offset: quarter_offset(map, heatmap_h, heatmap_w, kp); break;
      case HeatmapDecoder::dark: dark_refine(map, heatmap_h, heatmap_w, options.blur_kernel, kp); break;
      case HeatmapDecoder::dark_udp: dark_udp_refine(map, heatmap_h, heatmap_w, options.blur_kernel, kp); break;
    }
  }
  return out;
}

void back_project(std::vector<DecodedKeypoint>& keypoints, const CropFrame& frame) {
  apply_affine(keypoints, frame.heatmap_to_image());
}

void apply_affine(std::vector<DecodedKeypoint>& keypoints, const Affine2D& to) {
  for (auto& kp : keypoints) {
    const Point2 p = to.apply({kp.x, kp.y});
    kp.x = p.x;
    kp.y = p.y;
  }
}

}  // namespace posekd
