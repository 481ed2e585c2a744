#include "posekd/train/validation.h"

#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/eval/run_eval.h"
#include "posekd/train/predict.h"

namespace posekd::train {

ValidationSpec read_validation_set(const std::string& annotations, const std::string& images, const std::string& format,
                                   const std::string& skeleton) {
  ReadOptions ro;
  ro.format = parse_dataset_format(format);
  ro.image_dir = images;
  ro.skeleton = skeleton;
  // HRNet's validation with ground-truth boxes predicts the annotations that have labelled
  // joints and are not crowd regions: the training filter. The evaluator reads the whole file.
  ro.purpose = Purpose::training;
  Dataset d = read_dataset(annotations, ro);
  if (d.instances.empty())
    throw Error(fmt::format("{}: no instance to validate on ({} annotations are crowd or have no labelled joint)",
                            annotations, d.dropped_for_training));
  ValidationSpec spec;
  spec.annotations = annotations;
  spec.format = format;
  spec.skeleton = skeleton;
  spec.instances = std::move(d.instances);
  spec.dataset_skeleton = d.skeleton;
  return spec;
}

double ValidationResult::primary_value() const {
  for (const auto& [name, value] : metrics)
    if (name == primary) return value;
  throw Error("validation: no metric named " + primary);
}

ValidationResult run_validation(nn::PoseModelImpl& model, const ValidationSpec& spec, const torch::Device& device,
                                const std::string& predictions_path) {
  PredictOptions po;
  po.batch_size = spec.batch_size;
  po.workers = spec.workers;
  po.flip_test = spec.flip_test;
  const std::vector<InstancePrediction> predictions =
      predict(model, spec.dataset_skeleton, spec.codec, spec.instances, po);
  ResultOptions results;
  results.rescore = true;  // HRNet's validation: box score × mean keypoint score above 0.2
  write_coco_results(predictions_to_results(predictions, spec.dataset_skeleton, results), predictions_path);

  EvalOptions eo;
  eo.ground_truth = spec.annotations;
  eo.predictions = {predictions_path};
  eo.dataset_format = spec.format;
  eo.predictions_format = "coco-results";
  eo.skeleton = spec.skeleton;
  const auto reports = evaluate(eo);
  ValidationResult result;
  if (reports.empty() || reports[0].summary.empty()) throw Error(spec.annotations + ": the evaluator returned no metric");
  result.metrics = reports[0].summary;
  auto has = [&](const std::string& name) {
    for (const auto& m : result.metrics)
      if (m.first == name) return true;
    return false;
  };
  result.primary = has("AP") ? "AP" : has("Mean") ? "Mean" : result.metrics[0].first;
  return result;
}

}  // namespace posekd::train
