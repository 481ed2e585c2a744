#pragma once
// pose-eval as a library call (STYLE 1): read ground truth and predictions, compute the
// requested metrics, write them to `out`.
#include <ostream>
#include <string>
#include <vector>

#include "posekd/eval/report.h"

namespace posekd {

struct EvalOptions {
  std::string ground_truth;
  std::string predictions;
  std::string dataset_format = "auto";      // auto, coco, crowdpose, mpii
  std::string predictions_format = "auto";  // auto, coco-results, arrays, heatmaps
  std::string skeleton;                     // "" = the dataset's own
  // coco, crowdpose, pckh, lsp-pck, pck; empty = the dataset's own metric (COCO -> coco,
  // CrowdPose -> crowdpose, MPII -> pckh, skeleton lsp14 -> lsp-pck).
  std::vector<std::string> metrics;
  std::string pckh_variant = "default";
  double pck_alpha = 0.2;  // lsp-pck and pck
  bool rescore = false;
  double rescore_threshold = 0.2;
  double oks_nms = 0;  // > 0: OKS-NMS at this threshold before evaluating
  std::string output_format = "table";  // table, json, csv
  bool per_joint = false;
  std::string plot;  // PNG path, "" = none
};

// Throws posekd::Error (bad data) or posekd::UsageError (bad options).
std::vector<MetricReport> evaluate(const EvalOptions& options, EvalInputs* inputs = nullptr);
void run_eval(const EvalOptions& options, std::ostream& out);

}  // namespace posekd
