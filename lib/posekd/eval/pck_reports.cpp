#include "posekd/eval/pck_reports.h"

#include <fmt/format.h>

#include <sstream>

#include "posekd/core/error.h"

namespace posekd {

std::string PckhVariant::text() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (on) s += (s.empty() ? "" : ",") + std::string(name);
  };
  add(strict, "strict");
  add(plain_mean, "plain-mean");
  add(head_neck, "head-neck");
  add(mean_at_011, "hrnet");
  return s.empty() ? "default" : s;
}

PckhVariant parse_pckh_variant(const std::string& text) {
  PckhVariant v;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "default" || item.empty()) continue;
    if (item == "strict") v.strict = true;
    else if (item == "plain-mean") v.plain_mean = true;
    else if (item == "head-neck") v.head_neck = true;
    else if (item == "hrnet") v.mean_at_011 = true;
    else
      throw UsageError(fmt::format("--pckh-variant: expected default, strict, plain-mean, head-neck or hrnet, found '{}'", item));
  }
  return v;
}

namespace {

int joint(const Skeleton& s, const std::string& name, const char* metric) {
  const int j = s.joint_index(name);
  if (j < 0) throw Error(fmt::format("{}: skeleton '{}' has no joint '{}'", metric, s.name, name));
  return j;
}

struct Group {
  const char* label;
  const char* left;
  const char* right;
};
// HRNet's name_value rows after Head; each averages the left and right joint.
const Group kLimbGroups[] = {{"Shoulder", "left_shoulder", "right_shoulder"}, {"Elbow", "left_elbow", "right_elbow"},
                             {"Wrist", "left_wrist", "right_wrist"},          {"Hip", "left_hip", "right_hip"},
                             {"Knee", "left_knee", "right_knee"},             {"Ankle", "left_ankle", "right_ankle"}};

void add_limb_groups(MetricReport& r, const PckTable& t, std::size_t at, const Skeleton& s, const char* metric) {
  for (const auto& g : kLimbGroups)
    r.summary.emplace_back(g.label, 0.5 * (t.at(at, joint(s, g.left, metric)) + t.at(at, joint(s, g.right, metric))));
}

void add_curves(MetricReport& r, const PckTable& t, const Skeleton& s, const char* metric, const char* head_joint) {
  r.curve_x = "normalised distance threshold";
  r.curve_y = metric;
  MetricCurve mean{"Mean", t.thresholds, t.mean};
  r.curves.push_back(mean);
  if (head_joint) {
    MetricCurve head{"Head", t.thresholds, {}};
    for (std::size_t i = 0; i < t.thresholds.size(); ++i) head.y.push_back(t.at(i, joint(s, head_joint, metric)));
    r.curves.push_back(head);
  }
  for (const auto& g : kLimbGroups) {
    if (s.joint_index(g.left) < 0 || s.joint_index(g.right) < 0) continue;
    MetricCurve c{g.label, t.thresholds, {}};
    for (std::size_t i = 0; i < t.thresholds.size(); ++i)
      c.y.push_back(0.5 * (t.at(i, joint(s, g.left, metric)) + t.at(i, joint(s, g.right, metric))));
    r.curves.push_back(c);
  }
}

void add_joint_rows(MetricReport& r, const PckTable& t, const Skeleton& s, std::vector<std::size_t> at) {
  for (int j = 0; j < s.num_joints(); ++j) {
    std::vector<double> row;
    for (std::size_t i : at) row.push_back(t.at(i, j));
    row.push_back(static_cast<double>(t.joint_counts[j]));
    r.joints.emplace_back(s.joints[j], row);
  }
}

}  // namespace

MetricReport pckh_report(const std::vector<PckSample>& samples, const Skeleton& s, const PckhVariant& v) {
  PckOptions o;
  o.thresholds = hundredths_up_to(0.5);
  o.strict = v.strict;
  o.pooled_mean = !v.plain_mean;
  const int pelvis = joint(s, "pelvis", "PCKh"), thorax = joint(s, "thorax", "PCKh");
  for (int j = 0; j < s.num_joints(); ++j)
    if (j != pelvis && j != thorax) o.mean_joints.push_back(j);
  const PckTable t = compute_pck(samples, s.num_joints(), o);
  const std::size_t at05 = t.threshold_index(0.5), at01 = t.threshold_index(0.1), at011 = t.threshold_index(0.11);

  MetricReport r;
  r.metric = "pckh";
  r.title = fmt::format("MPII PCKh@0.5 (HRNet's evaluation, variant {})", v.text());
  const int head_top = joint(s, "head_top", "PCKh"), neck = joint(s, "upper_neck", "PCKh");
  r.summary.emplace_back("Head", v.head_neck ? 0.5 * (t.at(at05, head_top) + t.at(at05, neck)) : t.at(at05, head_top));
  add_limb_groups(r, t, at05, s, "PCKh");
  r.summary.emplace_back("Mean", t.mean[at05]);
  r.summary.emplace_back("Mean@0.1", t.mean[v.mean_at_011 ? at011 : at01]);
  r.summary.emplace_back("AUC", t.auc());
  r.joint_columns = {"PCKh@0.5", "PCKh@0.1", "count"};
  add_joint_rows(r, t, s, {at05, at01});
  add_curves(r, t, s, "PCKh (%)", "head_top");
  if (v.mean_at_011) r.notes.push_back("Mean@0.1 is taken at threshold 0.11, as HRNet's mpii.py prints it");
  return r;
}

MetricReport lsp_pck_report(const std::vector<PckSample>& samples, const Skeleton& s, double alpha) {
  PckOptions o;
  o.thresholds = hundredths_up_to(alpha);
  if (o.thresholds.back() != alpha) o.thresholds.push_back(alpha);
  const PckTable t = compute_pck(samples, s.num_joints(), o);
  const std::size_t at = t.threshold_index(alpha);
  MetricReport r;
  r.metric = "lsp-pck";
  r.title = fmt::format("LSP PCK@{} (torso: left shoulder to right hip)", alpha);
  r.summary.emplace_back("Head", t.at(at, joint(s, "head_top", "LSP PCK")));
  add_limb_groups(r, t, at, s, "LSP PCK");
  r.summary.emplace_back("Mean", t.mean[at]);
  r.summary.emplace_back("AUC", t.auc());
  r.joint_columns = {fmt::format("PCK@{}", alpha), "count"};
  add_joint_rows(r, t, s, {at});
  add_curves(r, t, s, "PCK (%)", "head_top");
  return r;
}

MetricReport bbox_pck_report(const std::vector<PckSample>& samples, const Skeleton& s, double alpha) {
  PckOptions o;
  o.thresholds = hundredths_up_to(alpha);
  if (o.thresholds.back() != alpha) o.thresholds.push_back(alpha);
  o.strict = true;
  o.pooled_mean = false;
  const PckTable t = compute_pck(samples, s.num_joints(), o);
  const std::size_t at = t.threshold_index(alpha);
  MetricReport r;
  r.metric = "pck";
  r.title = fmt::format("PCK@{} normalised by max(bbox w, h) (mmpose's PCKAccuracy)", alpha);
  r.summary.emplace_back("Mean", t.mean[at]);
  r.summary.emplace_back("AUC", t.auc());
  r.joint_columns = {fmt::format("PCK@{}", alpha), "count"};
  add_joint_rows(r, t, s, {at});
  add_curves(r, t, s, "PCK (%)", s.joint_index("head_top") >= 0 ? "head_top" : nullptr);
  return r;
}

}  // namespace posekd
