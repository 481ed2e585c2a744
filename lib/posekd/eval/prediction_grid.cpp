#include "posekd/eval/prediction_grid.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "posekd/core/error.h"
#include "posekd/eval/plot.h"

namespace posekd {
namespace {

constexpr int kCellWidth = 200, kCellHeight = 240;
constexpr int kHeader = 28;
const cv::Scalar kLeftColor{255, 128, 0}, kRightColor{0, 96, 255}, kCentreColor{0, 200, 0};  // BGR

enum class Side { left, right, centre };

Side side_of(const std::string& joint) {
  if (joint.rfind("left", 0) == 0 || joint.rfind("l_", 0) == 0) return Side::left;
  if (joint.rfind("right", 0) == 0 || joint.rfind("r_", 0) == 0) return Side::right;
  return Side::centre;
}

const cv::Scalar& color_of(Side s) { return s == Side::left ? kLeftColor : s == Side::right ? kRightColor : kCentreColor; }

bool labelled_person(const Instance& inst) {
  return !inst.iscrowd && std::any_of(inst.keypoints.begin(), inst.keypoints.end(), [](const Keypoint& k) { return k.v > 0; });
}

struct Region {
  const ImageInfo* image = nullptr;
  cv::Rect2d box;  // image pixels
};

std::vector<Region> pick_regions(const Dataset& gt, int count) {
  std::vector<Region> candidates;
  for (const auto& im : gt.images) {
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    for (const auto& inst : gt.instances) {
      if (inst.image_id != im.id || !labelled_person(inst)) continue;
      x0 = std::min(x0, inst.box.x);
      y0 = std::min(y0, inst.box.y);
      x1 = std::max(x1, inst.box.x + inst.box.w);
      y1 = std::max(y1, inst.box.y + inst.box.h);
    }
    if (x1 <= x0 || y1 <= y0) continue;
    const double pad_w = 0.15 * (x1 - x0), pad_h = 0.15 * (y1 - y0);
    candidates.push_back({&im, cv::Rect2d(x0 - pad_w, y0 - pad_h, x1 - x0 + 2 * pad_w, y1 - y0 + 2 * pad_h)});
  }
  std::vector<Region> picked;
  const std::size_t n = std::min(candidates.size(), static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < n; ++i) picked.push_back(candidates[i * candidates.size() / n]);
  return picked;
}

void draw_detection(cv::Mat& cell, const EvalDetection& d, const Skeleton& s, const cv::Rect2d& region, double scale,
                    double min_score) {
  const int K = s.num_joints();
  bool scored = false;
  for (int j = 0; j < K; ++j) scored |= d.keypoints[3 * j + 2] > 0;
  auto shown = [&](int j) { return !scored || d.keypoints[3 * j + 2] >= min_score; };
  auto at = [&](int j) {
    return cv::Point(static_cast<int>(std::lround((d.keypoints[3 * j] - region.x) * scale)),
                     static_cast<int>(std::lround((d.keypoints[3 * j + 1] - region.y) * scale)));
  };
  for (const auto& [a, b] : s.edges) {
    if (!shown(a) || !shown(b)) continue;
    const Side sa = side_of(s.joints[a]), sb = side_of(s.joints[b]);
    cv::line(cell, at(a), at(b), color_of(sa == sb ? sa : Side::centre), 2, cv::LINE_AA);
  }
  for (int j = 0; j < K; ++j)
    if (shown(j)) cv::circle(cell, at(j), 3, color_of(side_of(s.joints[j])), cv::FILLED, cv::LINE_AA);
}

void put_label(cv::Mat& img, const std::string& text, cv::Point at) {
  cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, 0.45, {0, 0, 0}, 1, cv::LINE_AA);
}

}  // namespace

void write_prediction_grid(const Dataset& gt, const std::vector<ModelEvaluation>& models, int count,
                           const std::string& path, double min_score) {
  const std::vector<Region> regions = pick_regions(gt, count);
  if (regions.empty()) throw Error(fmt::format("{}: no image with a labelled person to draw for --grid", gt.path));
  std::vector<cv::Mat> rows;
  for (const auto& r : regions) {
    const std::string where = fmt::format("images (id {})", r.image->id);
    // Checked first so a missing file is an error of its own, not OpenCV's warning + decode failure.
    if (!std::ifstream(r.image->path)) fail(gt.path, where, fmt::format("cannot open {}", r.image->path));
    const cv::Mat image = cv::imread(r.image->path, cv::IMREAD_COLOR);
    if (image.empty()) fail(gt.path, where, fmt::format("cannot decode {}", r.image->path));
    // Every cell has the same size: the region is fitted and centred (out-of-image pixels grey),
    // so the header's model names sit above their columns.
    const double scale = std::min(kCellHeight / r.box.height, kCellWidth / r.box.width);
    const cv::Rect2d view(r.box.x + r.box.width / 2 - kCellWidth / scale / 2, r.box.y + r.box.height / 2 - kCellHeight / scale / 2,
                          kCellWidth / scale, kCellHeight / scale);
    cv::Mat affine = (cv::Mat_<double>(2, 3) << scale, 0, -view.x * scale, 0, scale, -view.y * scale);
    cv::Mat base;
    cv::warpAffine(image, base, affine, cv::Size(kCellWidth, kCellHeight), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                   cv::Scalar(128, 128, 128));
    std::vector<cv::Mat> cells;
    for (const auto& m : models) {
      cv::Mat cell = base.clone();
      for (const auto& d : m.predictions.detections)
        if (d.image_id == r.image->id && d.score >= min_score) draw_detection(cell, d, gt.skeleton, view, scale, min_score);
      cv::Mat framed;
      cv::copyMakeBorder(cell, framed, 2, 2, 2, 2, cv::BORDER_CONSTANT, cv::Scalar(255, 255, 255));
      cells.push_back(framed);
    }
    cv::Mat row;
    cv::hconcat(cells, row);
    rows.push_back(row);
  }
  const int column_w = kCellWidth + 4, width = column_w * static_cast<int>(models.size());
  cv::Mat header(kHeader, width, CV_8UC3, cv::Scalar(255, 255, 255));
  for (std::size_t i = 0; i < models.size(); ++i) {
    const auto& m = models[i];
    std::string text = m.label;
    if (!m.reports.empty() && !m.reports[0].summary.empty())
      text += fmt::format(" {} {:.3f}", m.reports[0].summary[0].first, m.reports[0].summary[0].second);
    put_label(header, text, {static_cast<int>(i) * column_w + 4, 19});
  }
  rows.insert(rows.begin(), header);
  cv::Mat all;
  cv::vconcat(rows, all);
  write_png(all, path, "prediction grid");
}

}  // namespace posekd
