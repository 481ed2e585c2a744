#include "posekd/eval/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "posekd/core/error.h"
#include "posekd/eval/plot.h"

namespace posekd {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Every model was evaluated with the same options, so report i is the same metric family in
// each; checked anyway, since a mismatch would put numbers under the wrong header.
const MetricReport& report_of(const ModelEvaluation& m, std::size_t i, const std::string& metric) {
  if (i >= m.reports.size() || m.reports[i].metric != metric)
    throw Error(fmt::format("{}: expected a {} report in position {}", m.inputs.predictions, metric, i));
  return m.reports[i];
}

}  // namespace

std::string default_label(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  for (const char* suffix : {".preds.json", ".results.json", ".hm.h5", ".json", ".h5"})
    if (ends_with(name, suffix) && name.size() > std::string(suffix).size()) return name.substr(0, name.size() - std::string(suffix).size());
  return name;
}

void write_comparison_table(const std::vector<ModelEvaluation>& models, std::ostream& out) {
  const auto& first = models.at(0);
  std::size_t lw = 5;
  for (const auto& m : models) lw = std::max(lw, m.label.size());
  for (std::size_t i = 0; i < first.reports.size(); ++i) {
    const MetricReport& head = first.reports[i];
    if (i) out << "\n";
    out << head.title << "\n";
    out << fmt::format("  {:<{}}", "model", lw);
    for (const auto& [name, v] : head.summary) out << fmt::format("  {:>9}", name);
    out << "\n";
    for (const auto& m : models) {
      out << fmt::format("  {:<{}}", m.label, lw);
      for (const auto& [name, v] : report_of(m, i, head.metric).summary) out << fmt::format("  {:>9}", table_number(v));
      out << "\n";
    }
    for (const auto& m : models)
      for (const auto& n : report_of(m, i, head.metric).notes) out << "  note (" << m.label << "): " << n << "\n";
  }
}

void write_comparison_csv(const std::vector<ModelEvaluation>& models, bool per_joint, std::ostream& out) {
  out << "model,metric,section,name,column,value\n";
  for (const auto& m : models) {
    std::ostringstream rows;
    write_csv(m.reports, per_joint, rows);
    std::istringstream in(rows.str());
    std::string line;
    std::getline(in, line);  // write_csv's header
    // Labels come from file names or --label: quote the ones CSV readers would split.
    const bool quote = m.label.find_first_of(",\"\n") != std::string::npos;
    std::string label = m.label;
    if (quote) {
      label.clear();
      for (char c : m.label) label += c == '"' ? std::string("\"\"") : std::string(1, c);
      label = "\"" + label + "\"";
    }
    while (std::getline(in, line)) out << label << "," << line << "\n";
  }
}

void write_comparison_json(const std::vector<ModelEvaluation>& models, bool per_joint, std::ostream& out) {
  out << "{\n\"models\": [";
  for (std::size_t i = 0; i < models.size(); ++i) {
    out << (i ? ",\n" : "\n");
    write_json(models[i].reports, models[i].inputs, per_joint, out);
  }
  out << "]\n}\n";
}

void write_comparison_plot(const std::vector<ModelEvaluation>& models, const std::string& path) {
  std::vector<MetricReport> panels;
  const auto& first = models.at(0);
  for (std::size_t i = 0; i < first.reports.size(); ++i) {
    MetricReport panel = first.reports[i];
    if (panel.curves.empty()) continue;
    panel.title += fmt::format(" - {}", panel.curves[0].label);
    panel.curves.clear();
    for (const auto& m : models) {
      const auto& r = report_of(m, i, panel.metric);
      MetricCurve c = r.curves.at(0);
      c.label = m.label;
      panel.curves.push_back(std::move(c));
    }
    panels.push_back(std::move(panel));
  }
  write_plot(panels, path);
}

void write_bar_chart(const std::vector<ModelEvaluation>& models, const std::string& path) {
  std::vector<BarPanel> panels;
  const auto& first = models.at(0);
  for (std::size_t i = 0; i < first.reports.size(); ++i) {
    const MetricReport& head = first.reports[i];
    if (head.summary.empty()) continue;
    BarPanel p;
    p.value_label = head.summary[0].first;
    p.title = fmt::format("{}: {}", head.title, p.value_label);
    for (const auto& m : models) p.bars.emplace_back(m.label, report_of(m, i, head.metric).summary[0].second);
    panels.push_back(std::move(p));
  }
  write_bar_chart(panels, path);
}

}  // namespace posekd
