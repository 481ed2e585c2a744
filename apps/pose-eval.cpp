// pose-eval: keypoint metrics as pycocotools, crowdposetools and HRNet's MPII script compute them.
#include <iostream>

#include "posekd/cli/tool.h"
#include "posekd/core/error.h"
#include "posekd/eval/run_eval.h"

int main(int argc, char** argv) {
  posekd::cli::Tool tool("pose-eval", "Evaluate pose predictions: COCO/CrowdPose AP/AR, MPII PCKh, LSP PCK, bbox PCK");
  tool.drop_common_options({"--threads", "--workers", "--device", "--seed"});
  posekd::EvalOptions opts;
  bool json = false, csv = false, force = false;
  auto& app = tool.app();
  app.add_option("ground_truth", opts.ground_truth, "Annotations: COCO/CrowdPose keypoints JSON or MPII JSON (HRNet's layout)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("predictions", opts.predictions,
                 "COCO results JSON, MPII-style arrays JSON [N][K][2|3], or a posekd heatmaps file (/coords); "
                 "several files: the same metrics for each, side by side")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--label", opts.labels, "Name of each predictions file in comparisons and figures, in order (repeat; default: the file name)");
  app.add_option("--format", opts.dataset_format, "Ground-truth format: auto, coco, crowdpose, mpii")->capture_default_str();
  app.add_option("--pred-format", opts.predictions_format, "Predictions format: auto, coco-results, arrays, heatmaps")
      ->capture_default_str();
  app.add_option("--skeleton", opts.skeleton, "Skeleton name or JSON file (default: the dataset's own)");
  app.add_option("--metric", opts.metrics, "coco, crowdpose, pckh, lsp-pck, pck (repeatable; default: the dataset's own)")
      ->delimiter(',');
  app.add_option("--pckh-variant", opts.pckh_variant,
                 "PCKh variant: default, or a comma list of strict, plain-mean, head-neck, hrnet")
      ->capture_default_str();
  app.add_option("--pck-alpha", opts.pck_alpha, "Threshold of lsp-pck and pck, in units of the normaliser")
      ->capture_default_str();
  app.add_flag("--rescore", opts.rescore, "Rescore each prediction: mean keypoint score above the threshold x its score (HRNet)");
  app.add_option("--rescore-threshold", opts.rescore_threshold, "Keypoint score threshold of --rescore")->capture_default_str();
  app.add_option("--oks-nms", opts.oks_nms, "OKS-NMS per image at this OKS threshold before evaluating (HRNet: 0.9; 0: off)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_flag("--json", json, "Write JSON instead of a table");
  app.add_flag("--csv", csv, "Write CSV (metric,section,name,column,value) instead of a table (not with --json)");
  app.add_flag("--per-joint", opts.per_joint, "Add the per-joint breakdown (PCK metrics)");
  app.add_option("--plot", opts.plot, "Draw PCK-vs-threshold and AP-vs-OKS-threshold curves into this PNG");
  app.add_option("--bar-chart", opts.bar_chart, "Draw each metric's headline number (AP, PCKh Mean) per predictions file into this PNG");
  app.add_option("--grid", opts.grid, "Draw every predictions file's poses on the same images into this PNG (a column per file)");
  app.add_option("--grid-images", opts.grid_images, "Images (rows) in the --grid figure")->capture_default_str();
  app.add_flag("--force", force, "Overwrite existing --plot, --bar-chart and --grid files");
  return tool.run(argc, argv, [&] {
    // Checked here, not with CLI11's excludes(): --print-config writes both flags as false,
    // and excludes() would refuse that file.
    if (json && csv) throw posekd::UsageError("--json and --csv exclude each other");
    if (json) opts.output_format = "json";
    if (csv) opts.output_format = "csv";
    for (const auto* figure : {&opts.plot, &opts.bar_chart, &opts.grid})
      if (!figure->empty()) posekd::cli::check_output_path(*figure, force);
    posekd::run_eval(opts, std::cout);
  });
}
