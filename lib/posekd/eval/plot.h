#pragma once
// --plot FILE.png: the reports' curves drawn with OpenCV, one panel per report that has
// curves (PCK against threshold, AP against OKS threshold), stacked vertically.
#include <string>
#include <utility>
#include <vector>

#include "posekd/eval/report.h"

namespace cv {
class Mat;
}

namespace posekd {

// Writes `image` as PNG; posekd::Error naming `path` and `what` when it cannot.
void write_png(const cv::Mat& image, const std::string& path, const std::string& what);

// Throws posekd::Error when no report has a curve or the image cannot be written.
void write_plot(const std::vector<MetricReport>& reports, const std::string& path);

struct BarPanel {
  std::string title, value_label;
  std::vector<std::pair<std::string, double>> bars;  // label, value (NaN: drawn as "n/a")
};
// Bar charts, one panel per entry, stacked vertically; values on [0, 1] or percentages.
void write_bar_chart(const std::vector<BarPanel>& panels, const std::string& path);

}  // namespace posekd
