#include "posekd/eval/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "posekd/core/error.h"

namespace posekd {

double MetricReport::value(const std::string& name) const {
  for (const auto& [k, v] : summary)
    if (k == name) return v;
  throw Error(fmt::format("{}: no value named {}", metric, name));
}

namespace {

// JSON has no NaN: an undefined value (no visible joint) is null.
std::string json_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string table_number(double v) { return std::isfinite(v) ? fmt::format("{:.4f}", v) : "nan"; }

void write_table(const std::vector<MetricReport>& reports, bool per_joint, std::ostream& out) {
  bool first = true;
  for (const auto& r : reports) {
    if (!first) out << "\n";
    first = false;
    out << r.title << "\n";
    std::size_t width = 0;
    for (const auto& [name, v] : r.summary) width = std::max(width, name.size());
    for (const auto& [name, v] : r.summary) out << fmt::format("  {:<{}}  {:>9}\n", name, width, table_number(v));
    if (per_joint && !r.joints.empty()) {
      if (r.metric == "coco" || r.metric == "crowdpose")
        out << "  per joint: keypoint similarity of the detections matched at OKS 0.50 (posekd's diagnostic)\n";
      std::size_t jw = 5;
      for (const auto& [name, v] : r.joints) jw = std::max(jw, name.size());
      out << fmt::format("  {:<{}}", "joint", jw);
      for (const auto& c : r.joint_columns) out << fmt::format("  {:>9}", c);
      out << "\n";
      for (const auto& [name, values] : r.joints) {
        out << fmt::format("  {:<{}}", name, jw);
        for (std::size_t c = 0; c < values.size(); ++c)
          out << fmt::format("  {:>9}", r.joint_columns[c] == "count" ? fmt::format("{}", values[c]) : table_number(values[c]));
        out << "\n";
      }
    }
    for (const auto& n : r.notes) out << "  note: " << n << "\n";
  }
}

void write_json(const std::vector<MetricReport>& reports, const EvalInputs& in, bool per_joint, std::ostream& out) {
  out << "{\n";
  if (!in.label.empty()) out << "  \"label\": " << json_string(in.label) << ",\n";
  out << "  \"ground_truth\": " << json_string(in.ground_truth) << ",\n  \"predictions\": "
      << json_string(in.predictions) << ",\n  \"images\": " << in.images << ",\n  \"ground_truth_instances\": "
      << in.ground_truths << ",\n  \"prediction_instances\": " << in.predictions_count << ",\n  \"metrics\": {";
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto& r = reports[i];
    out << (i ? "," : "") << "\n    " << json_string(r.metric) << ": {\n      \"summary\": {";
    for (std::size_t k = 0; k < r.summary.size(); ++k)
      out << (k ? ", " : "") << json_string(r.summary[k].first) << ": " << json_number(r.summary[k].second);
    out << "}";
    if (per_joint && !r.joints.empty()) {
      out << ",\n      \"joints\": {";
      for (std::size_t j = 0; j < r.joints.size(); ++j) {
        out << (j ? "," : "") << "\n        " << json_string(r.joints[j].first) << ": {";
        for (std::size_t c = 0; c < r.joint_columns.size(); ++c)
          out << (c ? ", " : "") << json_string(r.joint_columns[c]) << ": " << json_number(r.joints[j].second[c]);
        out << "}";
      }
      out << "\n      }";
    }
    out << ",\n      \"notes\": [";
    for (std::size_t n = 0; n < r.notes.size(); ++n) out << (n ? ", " : "") << json_string(r.notes[n]);
    out << "]\n    }";
  }
  out << "\n  }\n}\n";
}

void write_csv(const std::vector<MetricReport>& reports, bool per_joint, std::ostream& out) {
  out << "metric,section,name,column,value\n";
  for (const auto& r : reports) {
    for (const auto& [name, v] : r.summary) out << fmt::format("{},summary,{},,{}\n", r.metric, name, v);
    if (!per_joint) continue;
    for (const auto& [name, values] : r.joints)
      for (std::size_t c = 0; c < r.joint_columns.size(); ++c)
        out << fmt::format("{},joint,{},{},{}\n", r.metric, name, r.joint_columns[c], values[c]);
  }
}

}  // namespace posekd
