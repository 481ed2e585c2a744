#pragma once
// Validation inside a training run: predict the validation instances (ground-truth boxes,
// flip test, the checkpoint's decoding), write them as COCO results and score them with the
// real evaluator (eval/run_eval: COCO AP, CrowdPose AP or MPII PCKh, the dataset's own metric).
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

#include "posekd/codec/heatmap_geometry.h"
#include "posekd/data/dataset.h"
#include "posekd/nn/model.h"

namespace posekd::train {

struct ValidationSpec {
  std::string annotations;         // the ground truth the evaluator reads
  std::string format = "auto";
  std::string skeleton;            // "" = the dataset's own
  std::vector<Instance> instances;  // what is predicted: non-crowd instances with labelled joints
  Skeleton dataset_skeleton;
  HeatmapCodec codec = HeatmapCodec::unbiased;
  int batch_size = 64;
  bool flip_test = true;
  int workers = 2;
};

// Reads the annotations (refusing a file with no instance to predict).
ValidationSpec read_validation_set(const std::string& annotations, const std::string& images,
                                   const std::string& format, const std::string& skeleton);

struct ValidationResult {
  std::vector<std::pair<std::string, double>> metrics;  // the evaluator's summary, in its order
  std::string primary;  // "AP" (COCO, CrowdPose), "Mean" (PCKh), else the first
  double primary_value() const;
};

// Leaves the model in the training mode it had. Writes the predictions to `predictions_path`.
ValidationResult run_validation(nn::PoseModelImpl& model, const ValidationSpec& spec, const torch::Device& device,
                                const std::string& predictions_path);

}  // namespace posekd::train
