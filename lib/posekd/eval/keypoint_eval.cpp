#include "posekd/eval/keypoint_eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "posekd/core/error.h"
#include "posekd/eval/numpy_compat.h"
#include "posekd/eval/oks.h"

namespace posekd {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct AreaRange {
  const char* label;
  double lo, hi;
};
// Params.setKpParams(): [0², 1e5²], [32², 96²], [96², 1e5²].
const AreaRange kAreaRanges[] = {{"all", 0, 1e5 * 1e5}, {"medium", 32 * 32, 96 * 96}, {"large", 96 * 96, 1e5 * 1e5}};
constexpr int kAreas = 3;

// What accumulate() reads from evalImgs, for one area range, over all images in image order.
struct AreaDetections {
  std::vector<double> scores;
  // Per detection, bit t: dtMatches[t] != 0 (matched to a GT whose id is not 0) / dtIgnore[t].
  std::vector<uint16_t> matched, ignored;
  int64_t non_ignored_gts = 0;  // npig
};

// loadRes: a result's area is the extent of all its keypoints, whatever their scores.
double keypoint_extent_area(const std::vector<double>& kp) {
  double x0 = kp[0], x1 = kp[0], y0 = kp[1], y1 = kp[1];
  for (std::size_t i = 3; i + 1 < kp.size(); i += 3) {
    x0 = std::min(x0, kp[i]);
    x1 = std::max(x1, kp[i]);
    y0 = std::min(y0, kp[i + 1]);
    y1 = std::max(y1, kp[i + 1]);
  }
  return (x1 - x0) * (y1 - y0);
}

double range_area(const EvalGroundTruth& g, KeypointBenchmark b) {
  // crowdposetools replaces the annotation's area by bbox w·h·0.53, in this operation order.
  return b == KeypointBenchmark::crowdpose ? g.bbox[2] * g.bbox[3] * 0.53 : g.area;
}

// evaluateImg() for one image and one area range; appends to `out`.
// `matches` (may be null) receives (detection slot, GT slot) of the matches at the first
// OKS threshold that are not on ignored GTs.
void match_image(const std::vector<const EvalGroundTruth*>& gt, const std::vector<double>& ious,
                 const std::vector<double>& dt_scores, const std::vector<double>& dt_areas,
                 const std::vector<double>& oks_thresholds, const AreaRange& range, KeypointBenchmark benchmark,
                 AreaDetections& out, std::vector<std::pair<std::size_t, std::size_t>>* matches) {
  const std::size_t G = gt.size(), D = dt_scores.size(), T = oks_thresholds.size();
  // gtind = np.argsort(_ignore, kind='mergesort'): non-ignored first, each group in file order.
  std::vector<int> ignore(G);
  std::vector<std::size_t> order;
  order.reserve(G);
  for (std::size_t g = 0; g < G; ++g) {
    const double area = range_area(*gt[g], benchmark);
    ignore[g] = (gt[g]->iscrowd || gt[g]->num_keypoints == 0) || area < range.lo || area > range.hi;
    if (!ignore[g]) order.push_back(g);
  }
  for (std::size_t g = 0; g < G; ++g)
    if (ignore[g]) order.push_back(g);

  std::vector<uint8_t> gt_matched(G);
  for (std::size_t t = 0; t < T; ++t) {
    uint16_t bit = static_cast<uint16_t>(1u << t);
    std::fill(gt_matched.begin(), gt_matched.end(), 0);
    for (std::size_t d = 0; d < D; ++d) {
      uint16_t& matched = out.matched[out.matched.size() - D + d];
      uint16_t& ignored = out.ignored[out.ignored.size() - D + d];
      if (G == 0) continue;
      double best = std::min(oks_thresholds[t], 1 - 1e-10);
      long m = -1;
      for (std::size_t gi = 0; gi < G; ++gi) {
        const std::size_t g = order[gi];
        if (gt_matched[gi] && !gt[g]->iscrowd) continue;
        // Once matched to a regular GT, the ignored ones (sorted last) cannot take over.
        if (m > -1 && ignore[order[m]] == 0 && ignore[g] == 1) break;
        const double oks = ious[d * G + g];
        if (oks < best) continue;
        best = oks;
        m = static_cast<long>(gi);
      }
      if (m == -1) continue;
      const std::size_t g = order[m];
      if (ignore[g]) ignored |= bit;
      // dtm stores the GT's id and later tests it for truth: a GT with id 0 reads as unmatched.
      if (gt[g]->id != 0) matched |= bit;
      gt_matched[m] = 1;
      if (matches && t == 0 && !ignore[g]) matches->emplace_back(d, g);
    }
  }
  for (std::size_t d = 0; d < D; ++d) {
    uint16_t& matched = out.matched[out.matched.size() - D + d];
    uint16_t& ignored = out.ignored[out.ignored.size() - D + d];
    const bool outside = dt_areas[d] < range.lo || dt_areas[d] > range.hi;
    if (outside) ignored |= static_cast<uint16_t>(~matched & ((1u << T) - 1));
  }
  for (std::size_t g = 0; g < G; ++g) out.non_ignored_gts += ignore[g] == 0;
}

// accumulate() for one area range.
void accumulate_area(const AreaDetections& in, const KeypointEvaluation& e, int a, std::vector<double>& precision,
                     std::vector<double>& recall) {
  const std::size_t T = e.oks_thresholds.size(), R = e.recall_thresholds.size();
  if (in.non_ignored_gts == 0) return;
  const std::size_t nd = in.scores.size();
  std::vector<std::size_t> order(nd);
  std::iota(order.begin(), order.end(), 0);
  // np.argsort(-dtScores, kind='mergesort'): stable.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return -in.scores[x] < -in.scores[y]; });
  const double npig = static_cast<double>(in.non_ignored_gts);
  std::vector<double> rc(nd), pr(nd);
  for (std::size_t t = 0; t < T; ++t) {
    const uint16_t bit = static_cast<uint16_t>(1u << t);
    double tp = 0, fp = 0;
    for (std::size_t i = 0; i < nd; ++i) {
      const std::size_t d = order[i];
      if (!(in.ignored[d] & bit)) {
        if (in.matched[d] & bit) tp += 1;
        else fp += 1;
      }
      rc[i] = tp / npig;
      pr[i] = tp / (fp + tp + numpy::spacing1);
    }
    const int A = kAreas;
    recall[t * A + a] = nd ? rc[nd - 1] : 0;
    for (std::size_t i = nd; i-- > 1;)
      if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    // np.searchsorted(rc, recThrs, side='left'); thresholds past the last recall keep 0.
    std::size_t pi = 0;
    for (std::size_t r = 0; r < R; ++r) {
      const double thr = e.recall_thresholds[r];
      while (pi < nd && rc[pi] < thr) ++pi;
      precision[(t * R + r) * A + a] = pi < nd ? pr[pi] : 0.0;
    }
  }
}

}  // namespace

double KeypointEvaluation::precision_at(int t, int r, int a) const {
  return precision[(static_cast<std::size_t>(t) * recall_thresholds.size() + r) * area_labels.size() + a];
}
double KeypointEvaluation::recall_at(int t, int a) const { return recall[t * area_labels.size() + a]; }

KeypointEvaluation evaluate_keypoints(const std::vector<EvalGroundTruth>& gts, const std::vector<EvalDetection>& dts,
                                      const std::vector<int64_t>& image_ids, const KeypointEvalParams& params) {
  KeypointEvaluation e;
  e.benchmark = params.benchmark;
  e.oks_thresholds = numpy::linspace(.5, 0.95, static_cast<int>(std::nearbyint((0.95 - .5) / .05)) + 1);
  e.recall_thresholds = numpy::linspace(.0, 1.00, static_cast<int>(std::nearbyint((1.00 - .0) / .01)) + 1);
  for (const auto& r : kAreaRanges) e.area_labels.push_back(r.label);
  const std::size_t T = e.oks_thresholds.size(), R = e.recall_thresholds.size();
  e.precision.assign(T * R * kAreas, -1.0);
  e.recall.assign(T * kAreas, -1.0);

  const int K = static_cast<int>(params.sigmas.size());
  const std::vector<double> vars = oks_variances(params.sigmas);

  std::vector<int64_t> images = image_ids;
  std::sort(images.begin(), images.end());
  images.erase(std::unique(images.begin(), images.end()), images.end());
  std::unordered_map<int64_t, std::size_t> image_index;
  image_index.reserve(images.size() * 2);
  for (std::size_t i = 0; i < images.size(); ++i) image_index.emplace(images[i], i);
  e.images = static_cast<int64_t>(images.size());

  std::vector<std::vector<const EvalGroundTruth*>> gt_by_image(images.size());
  std::vector<std::vector<std::size_t>> dt_by_image(images.size());
  for (const auto& g : gts) {
    if (static_cast<int>(g.keypoints.size()) != 3 * K)
      throw Error(fmt::format("ground truth annotation {}: expected {} keypoint values (K={}), found {}", g.id, 3 * K, K, g.keypoints.size()));
    auto it = image_index.find(g.image_id);
    if (it == image_index.end()) continue;
    gt_by_image[it->second].push_back(&g);
    ++e.ground_truths;
  }
  for (std::size_t i = 0; i < dts.size(); ++i) {
    if (static_cast<int>(dts[i].keypoints.size()) != 3 * K)
      throw Error(fmt::format("result [{}]: expected {} keypoint values (K={}), found {}", i, 3 * K, K, dts[i].keypoints.size()));
    auto it = image_index.find(dts[i].image_id);
    if (it == image_index.end()) continue;
    dt_by_image[it->second].push_back(i);
    ++e.detections;
  }

  std::vector<AreaDetections> per_area(kAreas);
  std::vector<double> ious, scores, areas, terms(static_cast<std::size_t>(K));
  std::vector<std::pair<std::size_t, std::size_t>> image_matches;
  for (std::size_t im = 0; im < images.size(); ++im) {
    const auto& gt = gt_by_image[im];
    std::vector<std::size_t>& dt = dt_by_image[im];
    if (gt.empty() && dt.empty()) continue;
    auto t0 = Clock::now();
    // computeOks: detections by descending score (stable), cut to maxDets[-1].
    std::stable_sort(dt.begin(), dt.end(), [&](std::size_t x, std::size_t y) { return -dts[x].score < -dts[y].score; });
    if (dt.size() > static_cast<std::size_t>(params.max_dets)) dt.resize(static_cast<std::size_t>(params.max_dets));
    const std::size_t G = gt.size(), D = dt.size();
    ious.assign(D * G, 0.0);
    scores.resize(D);
    areas.resize(D);
    for (std::size_t g = 0; g < G; ++g) {
      OksGroundTruth o;
      o.keypoints = gt[g]->keypoints.data();
      std::copy(gt[g]->bbox, gt[g]->bbox + 4, o.bbox);
      o.area = params.benchmark == KeypointBenchmark::crowdpose ? gt[g]->bbox[3] * gt[g]->bbox[2] * 0.53 : gt[g]->area;
      for (std::size_t d = 0; d < D; ++d) ious[d * G + g] = coco_oks(o, dts[dt[d]].keypoints.data(), vars.data(), K, terms.data());
    }
    for (std::size_t d = 0; d < D; ++d) {
      scores[d] = dts[dt[d]].score;
      areas[d] = keypoint_extent_area(dts[dt[d]].keypoints);
    }
    e.times.oks += seconds_since(t0);
    t0 = Clock::now();
    for (int a = 0; a < kAreas; ++a) {
      AreaDetections& out = per_area[static_cast<std::size_t>(a)];
      out.scores.insert(out.scores.end(), scores.begin(), scores.end());
      out.matched.resize(out.matched.size() + D, 0);
      out.ignored.resize(out.ignored.size() + D, 0);
      image_matches.clear();
      match_image(gt, ious, scores, areas, e.oks_thresholds, kAreaRanges[a], params.benchmark, out,
                  a == 0 ? &image_matches : nullptr);
      for (auto [d, g] : image_matches) e.matches_at_50.push_back({dt[d], static_cast<std::size_t>(gt[g] - gts.data())});
    }
    e.times.match += seconds_since(t0);
  }
  auto t0 = Clock::now();
  for (int a = 0; a < kAreas; ++a) accumulate_area(per_area[static_cast<std::size_t>(a)], e, a, e.precision, e.recall);
  e.times.accumulate = seconds_since(t0);
  return e;
}

double summarize(const KeypointEvaluation& e, bool average_precision, const std::string& area, double oks_threshold) {
  int a = -1;
  for (std::size_t i = 0; i < e.area_labels.size(); ++i)
    if (e.area_labels[i] == area) a = static_cast<int>(i);
  if (a < 0) throw Error("summarize: unknown area range " + area);
  std::vector<double> selected;
  const std::size_t T = e.oks_thresholds.size(), R = e.recall_thresholds.size();
  for (std::size_t t = 0; t < T; ++t) {
    if (oks_threshold >= 0) {
      const bool same = e.benchmark == KeypointBenchmark::crowdpose ? std::fabs(oks_threshold - e.oks_thresholds[t]) < 0.01
                                                                    : oks_threshold == e.oks_thresholds[t];
      if (!same) continue;
    }
    // s[s > -1] in C order: (t, r) for precision, t for recall.
    if (average_precision) {
      for (std::size_t r = 0; r < R; ++r) {
        const double v = e.precision_at(static_cast<int>(t), static_cast<int>(r), a);
        if (v > -1) selected.push_back(v);
      }
    } else {
      const double v = e.recall_at(static_cast<int>(t), a);
      if (v > -1) selected.push_back(v);
    }
  }
  return selected.empty() ? -1.0 : numpy::mean(selected);
}

const std::array<const char*, 10> coco_stat_names = {"AP", "AP50", "AP75", "AP_M", "AP_L", "AR", "AR50", "AR75", "AR_M", "AR_L"};

std::array<double, 10> coco_keypoint_stats(const KeypointEvaluation& e) {
  return {summarize(e, true, "all"),     summarize(e, true, "all", .5),    summarize(e, true, "all", .75),
          summarize(e, true, "medium"),  summarize(e, true, "large"),      summarize(e, false, "all"),
          summarize(e, false, "all", .5), summarize(e, false, "all", .75), summarize(e, false, "medium"),
          summarize(e, false, "large")};
}

std::vector<double> ap_per_oks_threshold(const KeypointEvaluation& e, const std::string& area) {
  std::vector<double> out;
  for (double t : e.oks_thresholds) out.push_back(summarize(e, true, area, t));
  return out;
}

}  // namespace posekd

namespace posekd {

std::vector<JointSimilarity> per_joint_similarity(const KeypointEvaluation& e, const std::vector<EvalGroundTruth>& gts,
                                                  const std::vector<EvalDetection>& dts, const KeypointEvalParams& params) {
  const std::vector<double> vars = oks_variances(params.sigmas);
  std::vector<JointSimilarity> out(params.sigmas.size());
  std::vector<std::vector<double>> terms(params.sigmas.size());
  for (const auto& m : e.matches_at_50) {
    const EvalGroundTruth& g = gts[m.ground_truth];
    const EvalDetection& d = dts[m.detection];
    const double area =
        (params.benchmark == KeypointBenchmark::crowdpose ? g.bbox[3] * g.bbox[2] * 0.53 : g.area) + numpy::spacing1;
    for (std::size_t j = 0; j < vars.size(); ++j) {
      if (!(g.keypoints[3 * j + 2] > 0)) continue;
      const double dx = d.keypoints[3 * j] - g.keypoints[3 * j], dy = d.keypoints[3 * j + 1] - g.keypoints[3 * j + 1];
      terms[j].push_back(std::exp(-((dx * dx + dy * dy) / vars[j] / area / 2)));
    }
  }
  for (std::size_t j = 0; j < vars.size(); ++j) {
    out[j].count = static_cast<int64_t>(terms[j].size());
    if (terms[j].empty()) {
      out[j].mean = out[j].at_least_half = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    out[j].mean = numpy::mean(terms[j]);
    int64_t half = 0;
    for (double v : terms[j]) half += v >= 0.5;
    out[j].at_least_half = 100.0 * static_cast<double>(half) / static_cast<double>(terms[j].size());
  }
  return out;
}

}  // namespace posekd
