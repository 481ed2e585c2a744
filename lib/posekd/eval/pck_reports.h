#pragma once
// The PCK family as users know it: MPII PCKh (HRNet's evaluation and its variants), LSP PCK
// with a torso normaliser, and a generic PCK normalised by the bbox for any skeleton.
#include <string>
#include <vector>

#include "posekd/core/skeleton.h"
#include "posekd/eval/pck.h"
#include "posekd/eval/report.h"

namespace posekd {

// --pckh-variant: a comma-separated list of modifiers on HRNet's evaluation (default):
//   strict      error < threshold instead of <=
//   plain-mean  Mean = plain mean of the 14 joints' PCKh instead of pooled over joints
//   head-neck   Head = mean of head top and upper neck instead of head top
//   hrnet       "Mean@0.1" taken at threshold 0.11, as HRNet's script does (pckAll[11])
struct PckhVariant {
  bool strict = false;
  bool plain_mean = false;
  bool head_neck = false;
  bool mean_at_011 = false;
  std::string text() const;  // "default" or the modifiers
};
PckhVariant parse_pckh_variant(const std::string& text);  // throws UsageError

// MPII: samples' normalisers are 0.6 × head-box diagonal; the skeleton has MPII's joint names.
// Thresholds 0:0.01:0.5; the mean leaves out pelvis and thorax; AUC is the mean of the Mean
// PCKh over those 51 thresholds.
MetricReport pckh_report(const std::vector<PckSample>& samples, const Skeleton& skeleton, const PckhVariant& variant);

// LSP: normaliser = |left shoulder - right hip| of the ground truth; PCK@alpha pooled over
// all joints with <=, AUC over 0:0.01:alpha.
MetricReport lsp_pck_report(const std::vector<PckSample>& samples, const Skeleton& skeleton, double alpha);

// mmpose's PCKAccuracy with norm_item='bbox': normaliser = max(w, h) of the ground-truth
// box, error < alpha, Mean = plain mean over joints; AUC over 0:0.01:alpha.
MetricReport bbox_pck_report(const std::vector<PckSample>& samples, const Skeleton& skeleton, double alpha);

}  // namespace posekd
