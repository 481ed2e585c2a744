#pragma once
// Predictions for pose-eval, whatever file they come in: COCO results JSON, MPII-style
// arrays ([N][K][2 or 3] JSON, row i for the file's i-th annotation, as HRNet's pred.mat),
// or the /coords of a posekd heatmaps file (joined on /sample_id).
#include <cstdint>
#include <string>
#include <vector>

#include "posekd/data/dataset.h"
#include "posekd/eval/keypoint_eval.h"

namespace posekd {

enum class PredictionFormat { automatic, coco_results, arrays, heatmaps };
PredictionFormat parse_prediction_format(const std::string& name);  // auto, coco-results, arrays, heatmaps

struct PosePredictions {
  std::string path;
  PredictionFormat format = PredictionFormat::coco_results;
  std::vector<EvalDetection> detections;  // keypoints K × (x, y, score)
  // The ground-truth sample each prediction belongs to (arrays, heatmaps); empty for COCO
  // results, which PCK metrics then associate by OKS.
  std::vector<int64_t> sample_ids;
  std::vector<double> box_areas;  // per detection, 0 when unknown (OKS-NMS then uses the keypoint extent)
  int64_t skipped_other_category = 0;
};

// Reads and validates against `gt`: joint count, finite numbers, known image and sample ids,
// the category. Throws posekd::Error naming the file and the entry.
PosePredictions read_predictions(const std::string& path, PredictionFormat format, const Dataset& gt);

// The dataset's annotations as the COCO evaluators read them (keypoints widened to double).
std::vector<EvalGroundTruth> eval_ground_truths(const Dataset& gt);

// Applies HRNet's rescoring (optional) and OKS-NMS (threshold > 0) per image, keeping the
// order HRNet writes its results in: images by first appearance, survivors in NMS order.
void postprocess_predictions(PosePredictions& p, const std::vector<double>& sigmas, bool rescore,
                             double rescore_threshold, double nms_threshold);

}  // namespace posekd
