#pragma once
// pose-eval as a library call (STYLE 1): read ground truth and predictions, compute the
// requested metrics, write them to `out`.
#include <ostream>
#include <string>
#include <vector>

#include "posekd/data/dataset.h"
#include "posekd/eval/predictions.h"
#include "posekd/eval/report.h"

namespace posekd {

struct EvalOptions {
  std::string ground_truth;
  // One file: pose-eval's report. Several: the same metrics for each, compared side by side.
  std::vector<std::string> predictions;
  std::vector<std::string> labels;  // one per predictions file; default: the file name
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
  std::string plot;       // PNG path, "" = none
  std::string bar_chart;  // PNG: each metric's headline number per predictions file
  std::string grid;       // PNG: predictions drawn on the same images, a column per file
  int grid_images = 6;
};

// One predictions file evaluated, with its predictions as evaluated (after rescoring/NMS).
struct ModelEvaluation {
  std::string label;
  EvalInputs inputs;
  std::vector<MetricReport> reports;
  PosePredictions predictions;
};

// Checks the options that do not depend on data. Throws posekd::UsageError.
void check_eval_options(const EvalOptions& options);
// Reads the ground truth as every evaluation of `options` reads it.
Dataset read_ground_truth(const EvalOptions& options);
ModelEvaluation evaluate_predictions(const Dataset& gt, const EvalOptions& options, const std::string& predictions,
                                     const std::string& label);

// The one-file call: exactly one predictions file. Throws posekd::Error (bad data) or
// posekd::UsageError (bad options).
std::vector<MetricReport> evaluate(const EvalOptions& options, EvalInputs* inputs = nullptr);
// Everything pose-eval does: evaluates every predictions file, writes the report (one file) or
// the comparison (several) to `out`, and the requested figures.
void run_eval(const EvalOptions& options, std::ostream& out);

}  // namespace posekd
