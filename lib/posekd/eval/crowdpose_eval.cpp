#include "posekd/eval/crowdpose_eval.h"

#include "posekd/eval/numpy_compat.h"

namespace posekd {

const std::array<const char*, 9> crowdpose_stat_names = {"AP",  "AP50", "AP75", "AR", "AR50", "AR75", "AP_easy", "AP_medium", "AP_hard"};

namespace {

double crowd_level_ap(const std::vector<EvalGroundTruth>& gts, const std::vector<EvalDetection>& dts,
                      const std::vector<int64_t>& image_ids, const KeypointEvalParams& params) {
  const KeypointEvaluation e = evaluate_keypoints(gts, dts, image_ids, params);
  std::vector<double> all_area;  // precision[:, :, :, 0, :] in C order
  const int T = static_cast<int>(e.oks_thresholds.size()), R = static_cast<int>(e.recall_thresholds.size());
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < R; ++r) all_area.push_back(e.precision_at(t, r, 0));
  return numpy::round_decimals(numpy::mean(all_area), 4);
}

}  // namespace

CrowdPoseEvaluation evaluate_crowdpose(const std::vector<EvalGroundTruth>& gts, const std::vector<EvalDetection>& dts,
                                       const std::vector<CrowdPoseImage>& images, KeypointEvalParams params) {
  params.benchmark = KeypointBenchmark::crowdpose;
  CrowdPoseEvaluation out;
  std::vector<int64_t> all, easy, medium, hard;
  for (const auto& im : images) {
    all.push_back(im.id);
    (im.crowd_index < 0.2 ? easy : im.crowd_index < 0.8 ? medium : hard).push_back(im.id);
  }
  out.all = evaluate_keypoints(gts, dts, all, params);
  const KeypointEvaluation& e = out.all;
  out.stats = {summarize(e, true, "all"),       summarize(e, true, "all", .5), summarize(e, true, "all", .75),
               summarize(e, false, "all"),      summarize(e, false, "all", .5), summarize(e, false, "all", .75),
               crowd_level_ap(gts, dts, easy, params), crowd_level_ap(gts, dts, medium, params),
               crowd_level_ap(gts, dts, hard, params)};
  return out;
}

}  // namespace posekd
