#pragma once
// COCO-style keypoint AP/AR, as pycocotools' COCOeval(iouType='keypoints') and crowdposetools'
// variant of it compute them (evaluate, accumulate, summarize), with their exact arithmetic.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace posekd {

// A ground-truth annotation as the reference reads it from the annotation JSON.
struct EvalGroundTruth {
  int64_t id = 0;  // annotation id; an id of 0 counts as "unmatched" in the reference (dtm == 0)
  int64_t image_id = 0;
  std::vector<double> keypoints;  // K × (x, y, v)
  double bbox[4] = {0, 0, 0, 0};
  double area = 0;
  bool iscrowd = false;
  int num_keypoints = 0;  // the annotation's field: 0 makes the annotation ignored
};

// A keypoint result (COCO results format).
struct EvalDetection {
  int64_t image_id = 0;
  std::vector<double> keypoints;  // K × (x, y, score)
  double score = 0;
};

enum class KeypointBenchmark {
  coco,       // pycocotools: OKS scale and area ranges from the annotation's `area`
  crowdpose,  // crowdposetools: both from bbox w·h·0.53
};

struct KeypointEvalParams {
  KeypointBenchmark benchmark = KeypointBenchmark::coco;
  std::vector<double> sigmas;  // per joint, as kpt_oks_sigmas
  int max_dets = 20;
};

struct StageTimes {
  double oks = 0, match = 0, accumulate = 0;  // seconds
};

struct KeypointEvaluation {
  KeypointBenchmark benchmark = KeypointBenchmark::coco;
  std::vector<double> oks_thresholds;     // p.iouThrs: 0.50:0.05:0.95 as np.linspace makes them
  std::vector<double> recall_thresholds;  // p.recThrs: 0:0.01:1
  std::vector<std::string> area_labels;   // all, medium, large
  // The reference's eval['precision'][t, r, 0, a, 0] and eval['recall'][t, 0, a, 0]; -1 where
  // an area range has no non-ignored ground truth.
  std::vector<double> precision;  // index (t * R + r) * A + a
  std::vector<double> recall;     // index t * A + a
  int64_t images = 0, ground_truths = 0, detections = 0;
  StageTimes times;
  // Detections matched to non-ignored ground truths at OKS 0.50, area 'all' (indices into
  // the inputs), for the per-joint breakdown.
  struct Match {
    std::size_t detection, ground_truth;
  };
  std::vector<Match> matches_at_50;

  double precision_at(int t, int r, int a) const;
  double recall_at(int t, int a) const;
};

// `image_ids`: the ground truth's images (p.imgIds); duplicates are merged, order does not
// matter. Ground truths and detections on other images are not evaluated (callers refuse
// detections on unknown images before, as loadRes does).
KeypointEvaluation evaluate_keypoints(const std::vector<EvalGroundTruth>& gts,
                                      const std::vector<EvalDetection>& dts, const std::vector<int64_t>& image_ids,
                                      const KeypointEvalParams& params);

// _summarize(): the mean of the entries > -1 at one area range, over all OKS thresholds or the
// one equal to `oks_threshold` (pycocotools compares with ==, crowdposetools within 0.01);
// -1 when there are none.
double summarize(const KeypointEvaluation& e, bool average_precision, const std::string& area, double oks_threshold = -1);

// The 10 numbers of COCOeval.summarize() for keypoints, in its order.
extern const std::array<const char*, 10> coco_stat_names;  // AP, AP50, AP75, AP_M, AP_L, AR, ...
std::array<double, 10> coco_keypoint_stats(const KeypointEvaluation& e);

// posekd's per-joint diagnostic (no reference prints one): each joint's keypoint similarity
// exp(-d²/(2 s² (2σ)²)) over the matches at OKS 0.50, its mean and the share >= 0.5 (%).
struct JointSimilarity {
  double mean = 0, at_least_half = 0;
  int64_t count = 0;  // labelled joints among the matches
};
std::vector<JointSimilarity> per_joint_similarity(const KeypointEvaluation& e, const std::vector<EvalGroundTruth>& gts,
                                                  const std::vector<EvalDetection>& dts, const KeypointEvalParams& params);

// AP at each OKS threshold (the mean over recall thresholds at one area range), for plots.
std::vector<double> ap_per_oks_threshold(const KeypointEvaluation& e, const std::string& area = "all");

}  // namespace posekd
