#include "posekd/train/dump_visualize.h"

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "posekd/core/error.h"

namespace posekd::train {

void write_overlay(const OverlayInput& in, const Skeleton& skeleton, const std::string& path, double min_score) {
  const int W = in.input_w, H = in.input_h, K = skeleton.num_joints();
  cv::Mat crop(H, W, CV_8UC3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) {
        const float v = in.image[(c * H + y) * W + x] * in.std[c] + in.mean[c];
        crop.at<cv::Vec3b>(y, x)[2 - c] = cv::saturate_cast<uchar>(v * 255.0f);  // RGB -> BGR
      }
  // Maps are compared on one fixed scale [0, 1] (a trained model's peaks are near 1), so a
  // weak teacher looks weak instead of being stretched to full colour.
  cv::Mat peak(in.heatmap_h, in.heatmap_w, CV_8UC1);
  for (int y = 0; y < in.heatmap_h; ++y)
    for (int x = 0; x < in.heatmap_w; ++x) {
      float m = 0;
      for (int k = 0; k < K; ++k) m = std::max(m, in.heatmaps[(k * in.heatmap_h + y) * in.heatmap_w + x]);
      peak.at<uchar>(y, x) = cv::saturate_cast<uchar>(std::min(m, 1.0f) * 255.0f);
    }
  const double zoom = std::max(1.0, 384.0 / H);
  const cv::Size size(int(W * zoom + 0.5), int(H * zoom + 0.5));
  cv::Mat big, colour, heat;
  cv::resize(crop, big, size, 0, 0, cv::INTER_LINEAR);
  cv::resize(peak, heat, size, 0, 0, cv::INTER_LINEAR);
  cv::applyColorMap(heat, colour, cv::COLORMAP_JET);
  cv::addWeighted(big, 0.55, colour, 0.45, 0, big);

  std::vector<cv::Point2d> points(K);
  for (int k = 0; k < K; ++k) {
    const Point2 p = in.crop.apply({in.keypoints[3 * k], in.keypoints[3 * k + 1]});
    // Input pixel centres sit at integers: pixel x spans [x - 0.5, x + 0.5) before zooming.
    points[k] = {(p.x + 0.5) * zoom - 0.5, (p.y + 0.5) * zoom - 0.5};
  }
  const auto shown = [&](int k) { return in.keypoints[3 * k + 2] >= min_score; };
  for (const auto& [a, b] : skeleton.edges)
    if (shown(a) && shown(b)) cv::line(big, points[a], points[b], cv::Scalar(255, 255, 255), 2, cv::LINE_AA);
  for (int k = 0; k < K; ++k) {
    if (!shown(k)) continue;
    const std::string& name = skeleton.joints[k];
    // Left joints green, right joints red, centre joints yellow: a flipped teacher shows at once.
    const bool left = name.rfind("left", 0) == 0 || name.rfind("l_", 0) == 0;
    const bool right = name.rfind("right", 0) == 0 || name.rfind("r_", 0) == 0;
    const cv::Scalar colour = left ? cv::Scalar(0, 220, 0) : right ? cv::Scalar(0, 0, 255) : cv::Scalar(0, 255, 255);
    cv::circle(big, points[k], 4, colour, cv::FILLED, cv::LINE_AA);
  }
  if (!cv::imwrite(path, big)) throw Error(fmt::format("{}: cannot write the PNG overlay", path));
}

}  // namespace posekd::train
