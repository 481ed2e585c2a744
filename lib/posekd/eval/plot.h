#pragma once
// --plot FILE.png: the reports' curves drawn with OpenCV, one panel per report that has
// curves (PCK against threshold, AP against OKS threshold), stacked vertically.
#include <string>
#include <vector>

#include "posekd/eval/report.h"

namespace posekd {

// Throws posekd::Error when no report has a curve or the image cannot be written.
void write_plot(const std::vector<MetricReport>& reports, const std::string& path);

}  // namespace posekd
