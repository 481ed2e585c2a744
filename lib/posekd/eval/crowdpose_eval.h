#pragma once
// CrowdPose's keypoint benchmark as crowdposetools computes it: COCO-style AP/AR with
// OKS scale bbox w·h·0.53, plus AP on the easy/medium/hard images split by crowdIndex.
#include <array>
#include <cstdint>
#include <vector>

#include "posekd/eval/keypoint_eval.h"

namespace posekd {

struct CrowdPoseImage {
  int64_t id = 0;
  double crowd_index = 0;
};

struct CrowdPoseEvaluation {
  KeypointEvaluation all;         // over every image
  std::array<double, 9> stats{};  // in crowdpose_stat_names order
};

extern const std::array<const char*, 9> crowdpose_stat_names;  // AP AP50 AP75 AR AR50 AR75 AP_easy AP_medium AP_hard

// `params.benchmark` is forced to crowdpose. Easy: crowdIndex < 0.2, medium: < 0.8, hard: the
// rest; each is the mean of the whole precision array at area 'all' (its -1 entries included,
// as get_type_result does), rounded to 4 decimals.
CrowdPoseEvaluation evaluate_crowdpose(const std::vector<EvalGroundTruth>& gts, const std::vector<EvalDetection>& dts,
                                       const std::vector<CrowdPoseImage>& images, KeypointEvalParams params);

}  // namespace posekd
