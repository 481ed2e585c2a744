#include "posekd/eval/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "posekd/core/error.h"

namespace posekd {
namespace {

constexpr int kWidth = 760, kHeight = 480;
constexpr int kLeft = 70, kRight = 170, kTop = 40, kBottom = 60;  // margins; legend on the right

const cv::Scalar kPalette[] = {{40, 40, 40},   {180, 119, 31}, {14, 127, 255}, {44, 160, 44},  {40, 39, 214},
                               {189, 103, 148}, {75, 86, 140},  {194, 119, 227}, {34, 189, 188}, {207, 190, 23}};

// A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` intervals over `span`.
double tick_step(double span, int target) {
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

std::string tick_label(double v, double step) {
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  if (std::fabs(v) < step * 1e-6) v = 0;  // no "-0.0" from accumulated steps
  return fmt::format("{:.{}f}", v, decimals);
}

void put_text(cv::Mat& img, const std::string& s, cv::Point at, double scale = 0.45, int align = 0) {
  int base = 0;
  const cv::Size size = cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &base);
  if (align == 1) at.x -= size.width / 2;
  if (align == 2) at.x -= size.width;
  cv::putText(img, s, at, cv::FONT_HERSHEY_SIMPLEX, scale, {0, 0, 0}, 1, cv::LINE_AA);
}

void draw_y_label(cv::Mat& img, const std::string& text, int top, int height) {
  // The y label reads bottom to top: draw it horizontally, then rotate that strip.
  int base = 0;
  const cv::Size s = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, 0.45, 1, &base);
  cv::Mat strip(s.height + base + 4, s.width + 4, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(strip, text, {2, s.height + 2}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {0, 0, 0}, 1, cv::LINE_AA);
  cv::Mat rotated;
  cv::rotate(strip, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  const int x = 8, y = std::max(0, top + height / 2 - rotated.rows / 2);
  if (y + rotated.rows <= img.rows && x + rotated.cols <= img.cols) rotated.copyTo(img(cv::Rect(x, y, rotated.cols, rotated.rows)));
}

cv::Mat draw_panel(const MetricReport& r) {
  cv::Mat img(kHeight, kWidth, CV_8UC3, cv::Scalar(255, 255, 255));
  double x0 = 1e300, x1 = -1e300, y1 = 0;
  for (const auto& c : r.curves)
    for (std::size_t i = 0; i < c.x.size(); ++i) {
      x0 = std::min(x0, c.x[i]);
      x1 = std::max(x1, c.x[i]);
      if (std::isfinite(c.y[i])) y1 = std::max(y1, c.y[i]);
    }
  if (!(x1 > x0)) x1 = x0 + 1;
  y1 = y1 > 1.0 ? 100.0 : 1.0;  // percentages or fractions
  const double y0 = 0;
  const int pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + static_cast<int>(std::lround((x - x0) / (x1 - x0) * pw)); };
  auto py = [&](double y) { return kTop + ph - static_cast<int>(std::lround((y - y0) / (y1 - y0) * ph)); };

  const double xs = tick_step(x1 - x0, 8), ys = tick_step(y1 - y0, 5);
  for (double t = std::ceil(x0 / xs - 1e-9) * xs; t <= x1 + 1e-9; t += xs) {
    cv::line(img, {px(t), kTop}, {px(t), kTop + ph}, {235, 235, 235}, 1);
    cv::line(img, {px(t), kTop + ph}, {px(t), kTop + ph + 5}, {0, 0, 0}, 1);
    put_text(img, tick_label(t, xs), {px(t), kTop + ph + 20}, 0.4, 1);
  }
  for (double t = 0; t <= y1 + 1e-9; t += ys) {
    cv::line(img, {kLeft, py(t)}, {kLeft + pw, py(t)}, {235, 235, 235}, 1);
    cv::line(img, {kLeft - 5, py(t)}, {kLeft, py(t)}, {0, 0, 0}, 1);
    put_text(img, tick_label(t, ys), {kLeft - 8, py(t) + 4}, 0.4, 2);
  }
  cv::rectangle(img, {kLeft, kTop}, {kLeft + pw, kTop + ph}, {0, 0, 0}, 1);
  put_text(img, r.title, {kWidth / 2, 24}, 0.5, 1);
  put_text(img, r.curve_x, {kLeft + pw / 2, kHeight - 18}, 0.45, 1);
  draw_y_label(img, r.curve_y, kTop, ph);

  for (std::size_t k = 0; k < r.curves.size(); ++k) {
    const auto& c = r.curves[k];
    const cv::Scalar color = kPalette[k % (sizeof kPalette / sizeof kPalette[0])];
    const int thickness = k == 0 ? 2 : 1;
    std::vector<cv::Point> pts;
    for (std::size_t i = 0; i < c.x.size(); ++i) {
      if (!std::isfinite(c.y[i])) continue;
      pts.emplace_back(px(c.x[i]), py(std::clamp(c.y[i], y0, y1)));
    }
    if (pts.size() > 1) cv::polylines(img, pts, false, color, thickness, cv::LINE_AA);
    for (const auto& p : pts) cv::circle(img, p, pts.size() > 20 ? 1 : 3, color, cv::FILLED, cv::LINE_AA);
    const int ly = kTop + 14 + static_cast<int>(k) * 20;
    cv::line(img, {kWidth - kRight + 12, ly - 4}, {kWidth - kRight + 40, ly - 4}, color, 2, cv::LINE_AA);
    put_text(img, c.label, {kWidth - kRight + 46, ly});
  }
  return img;
}

cv::Mat draw_bar_panel(const BarPanel& panel) {
  const int n = static_cast<int>(panel.bars.size());
  // Each bar's slot fits its model's name, so long names side by side do not overlap.
  const double label_scale = 0.4;
  int label_width = 0;
  for (const auto& bar : panel.bars) {
    int base = 0;
    label_width = std::max(label_width, cv::getTextSize(bar.first, cv::FONT_HERSHEY_SIMPLEX, label_scale, 1, &base).width);
  }
  const int width = std::max(kWidth - kRight + 40, kLeft + 30 + n * std::max(90, label_width + 14));
  cv::Mat img(kHeight, width, CV_8UC3, cv::Scalar(255, 255, 255));
  double top = 1.0;
  for (const auto& [label, v] : panel.bars)
    if (std::isfinite(v) && v > 1.0) top = 100.0;  // percentages
  const int pw = width - kLeft - 30, ph = kHeight - kTop - kBottom;
  auto py = [&](double y) { return kTop + ph - static_cast<int>(std::lround(std::clamp(y, 0.0, top) / top * ph)); };
  const double ys = tick_step(top, 5);
  for (double t = 0; t <= top + 1e-9; t += ys) {
    cv::line(img, {kLeft, py(t)}, {kLeft + pw, py(t)}, {235, 235, 235}, 1);
    cv::line(img, {kLeft - 5, py(t)}, {kLeft, py(t)}, {0, 0, 0}, 1);
    put_text(img, tick_label(t, ys), {kLeft - 8, py(t) + 4}, 0.4, 2);
  }
  const int slot = n > 0 ? pw / n : pw;
  for (int i = 0; i < n; ++i) {
    const auto& [label, v] = panel.bars[static_cast<std::size_t>(i)];
    const int cx = kLeft + slot * i + slot / 2, half = std::max(8, slot * 3 / 10);
    const cv::Scalar color = kPalette[static_cast<std::size_t>(i) % (sizeof kPalette / sizeof kPalette[0])];
    if (std::isfinite(v) && v >= 0) {  // COCO's -1: nothing to evaluate
      cv::rectangle(img, {cx - half, py(v)}, {cx + half, py(0)}, color, cv::FILLED);
      put_text(img, top > 1 ? fmt::format("{:.1f}", v) : fmt::format("{:.3f}", v), {cx, py(v) - 6}, 0.42, 1);
    } else {
      put_text(img, "n/a", {cx, py(0) - 6}, 0.42, 1);
    }
    put_text(img, label, {cx, kTop + ph + 20}, label_scale, 1);
  }
  cv::rectangle(img, {kLeft, kTop}, {kLeft + pw, kTop + ph}, {0, 0, 0}, 1);
  put_text(img, panel.title, {width / 2, 24}, 0.5, 1);
  draw_y_label(img, panel.value_label, kTop, ph);
  return img;
}

// Stacks panels of any widths (left-aligned on white) and writes the PNG.
void write_panels(const std::vector<cv::Mat>& panels, const std::string& path, const char* what) {
  int width = 0;
  for (const auto& p : panels) width = std::max(width, p.cols);
  std::vector<cv::Mat> padded;
  for (const auto& p : panels) {
    cv::Mat row(p.rows, width, CV_8UC3, cv::Scalar(255, 255, 255));
    p.copyTo(row(cv::Rect(0, 0, p.cols, p.rows)));
    padded.push_back(row);
  }
  cv::Mat all;
  cv::vconcat(padded, all);
  write_png(all, path, what);
}

}  // namespace

void write_png(const cv::Mat& image, const std::string& path, const std::string& what) {
  bool written = false;
  try {
    written = cv::imwrite(path, image);
  } catch (const cv::Exception& e) {
    throw Error(fmt::format("{}: cannot write the {}: {}", path, what, e.what()));
  }
  if (!written) throw Error(fmt::format("{}: cannot write the {} (OpenCV refused the file name or folder)", path, what));
}

void write_plot(const std::vector<MetricReport>& reports, const std::string& path) {
  std::vector<cv::Mat> panels;
  for (const auto& r : reports)
    if (!r.curves.empty()) panels.push_back(draw_panel(r));
  if (panels.empty()) throw Error(fmt::format("{}: no curves to plot", path));
  write_panels(panels, path, "plot");
}

void write_bar_chart(const std::vector<BarPanel>& bar_panels, const std::string& path) {
  std::vector<cv::Mat> panels;
  for (const auto& p : bar_panels) panels.push_back(draw_bar_panel(p));
  if (panels.empty()) throw Error(fmt::format("{}: no values to chart", path));
  write_panels(panels, path, "bar chart");
}

}  // namespace posekd
