#pragma once
// What pose-eval prints: one report per metric family, written as an aligned table, JSON or
// CSV. Values keep full double precision in JSON and CSV; the table rounds for reading.
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace posekd {

struct MetricCurve {
  std::string label;
  std::vector<double> x, y;
};

struct MetricReport {
  std::string metric;  // "coco", "crowdpose", "pckh", "lsp-pck", "pck"
  std::string title;   // one line for the table, e.g. "COCO keypoints (pycocotools)"
  std::vector<std::pair<std::string, double>> summary;
  // Per-joint breakdown: a row per joint, a column per entry of joint_columns.
  std::vector<std::string> joint_columns;
  std::vector<std::pair<std::string, std::vector<double>>> joints;
  // Curves for --plot: PCK against threshold, AP against OKS threshold.
  std::string curve_x, curve_y;
  std::vector<MetricCurve> curves;
  std::vector<std::string> notes;  // counted warnings, variants in use

  double value(const std::string& name) const;  // throws when absent
};

struct EvalInputs {  // what the reports were computed from, for the JSON header
  std::string ground_truth, predictions;
  std::string label;  // pose-eval --label; written to JSON when not empty
  long long images = 0, ground_truths = 0, predictions_count = 0;
};

// A value as the table prints it: 4 decimals, "nan" when undefined.
std::string table_number(double v);

void write_table(const std::vector<MetricReport>& reports, bool per_joint, std::ostream& out);
void write_json(const std::vector<MetricReport>& reports, const EvalInputs& inputs, bool per_joint, std::ostream& out);
// One row per value: metric,section,name,column,value (section: summary or joint).
void write_csv(const std::vector<MetricReport>& reports, bool per_joint, std::ostream& out);

}  // namespace posekd
