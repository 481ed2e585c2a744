#include "posekd/eval/run_eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/data/dataset.h"
#include "posekd/eval/compare.h"
#include "posekd/eval/crowdpose_eval.h"
#include "posekd/eval/keypoint_eval.h"
#include "posekd/eval/oks.h"
#include "posekd/eval/pck_reports.h"
#include "posekd/eval/plot.h"
#include "posekd/eval/predictions.h"
#include "posekd/eval/prediction_grid.h"

namespace posekd {
namespace {

const char* const kMetrics[] = {"coco", "crowdpose", "pckh", "lsp-pck", "pck"};

std::vector<int64_t> image_ids(const Dataset& gt) {
  std::vector<int64_t> ids;
  for (const auto& im : gt.images) ids.push_back(im.id);
  return ids;
}

void add_joint_similarity(MetricReport& r, const KeypointEvaluation& e, const std::vector<EvalGroundTruth>& gts,
                          const PosePredictions& p, const KeypointEvalParams& params, const Skeleton& s) {
  r.joint_columns = {"mean KS", "KS>=0.5 %", "count"};
  const auto joints = per_joint_similarity(e, gts, p.detections, params);
  for (std::size_t j = 0; j < joints.size(); ++j)
    r.joints.emplace_back(s.joints[j], std::vector<double>{joints[j].mean, joints[j].at_least_half, static_cast<double>(joints[j].count)});
}

MetricReport coco_report(const Dataset& gt, const PosePredictions& p, const KeypointEvalParams& params) {
  const std::vector<EvalGroundTruth> gts = eval_ground_truths(gt);
  const KeypointEvaluation e = evaluate_keypoints(gts, p.detections, image_ids(gt), params);
  MetricReport r;
  r.metric = "coco";
  r.title = "COCO keypoints (as pycocotools COCOeval, iouType='keypoints', maxDets 20)";
  const auto stats = coco_keypoint_stats(e);
  for (std::size_t i = 0; i < stats.size(); ++i) r.summary.emplace_back(coco_stat_names[i], stats[i]);
  add_joint_similarity(r, e, gts, p, params, gt.skeleton);
  r.curve_x = "OKS threshold";
  r.curve_y = "AP";
  r.curves.push_back({"AP (all areas)", e.oks_thresholds, ap_per_oks_threshold(e)});
  for (const char* area : {"medium", "large"}) {
    auto ap = ap_per_oks_threshold(e, area);
    // -1 (no person of that size) is not a value to draw.
    for (double& v : ap)
      if (v < 0) v = std::numeric_limits<double>::quiet_NaN();
    r.curves.push_back({std::string("AP ") + area, e.oks_thresholds, ap});
  }
  return r;
}

MetricReport crowdpose_report(const Dataset& gt, const PosePredictions& p, const KeypointEvalParams& params) {
  std::vector<CrowdPoseImage> images;
  for (const auto& im : gt.images) {
    if (im.crowd_index < 0) fail(gt.path, fmt::format("images (id {})", im.id), "crowdIndex missing (the CrowdPose metric needs it)");
    images.push_back({im.id, im.crowd_index});
  }
  const std::vector<EvalGroundTruth> gts = eval_ground_truths(gt);
  const CrowdPoseEvaluation c = evaluate_crowdpose(gts, p.detections, images, params);
  MetricReport r;
  r.metric = "crowdpose";
  r.title = "CrowdPose keypoints (as crowdposetools COCOeval, maxDets 20; easy/medium/hard rounded to 4 decimals)";
  for (std::size_t i = 0; i < c.stats.size(); ++i) r.summary.emplace_back(crowdpose_stat_names[i], c.stats[i]);
  KeypointEvalParams crowd_params = params;
  crowd_params.benchmark = KeypointBenchmark::crowdpose;
  add_joint_similarity(r, c.all, gts, p, crowd_params, gt.skeleton);
  r.curve_x = "OKS threshold";
  r.curve_y = "AP";
  r.curves.push_back({"AP", c.all.oks_thresholds, ap_per_oks_threshold(c.all)});
  return r;
}

// For PCK: each ground-truth person's prediction. Arrays and heatmaps name their sample;
// COCO results are paired by OKS, best pairs first, within each image.
std::vector<const EvalDetection*> predictions_per_instance(const Dataset& gt, const PosePredictions& p,
                                                           const std::vector<double>& sigmas, int64_t& unpaired) {
  std::vector<const EvalDetection*> out(gt.instances.size(), nullptr);
  unpaired = 0;
  if (!p.sample_ids.empty()) {
    std::unordered_map<int64_t, std::size_t> by_sample;
    for (std::size_t i = 0; i < p.sample_ids.size(); ++i) by_sample.emplace(p.sample_ids[i], i);
    for (std::size_t i = 0; i < gt.instances.size(); ++i) {
      auto it = by_sample.find(gt.instances[i].sample_id);
      if (it != by_sample.end()) out[i] = &p.detections[it->second];
      else ++unpaired;
    }
    return out;
  }
  const int K = static_cast<int>(sigmas.size());
  const std::vector<double> vars = oks_variances(sigmas);
  std::vector<double> terms(static_cast<std::size_t>(K));
  std::unordered_map<int64_t, std::vector<std::size_t>> gt_by_image, dt_by_image;
  for (std::size_t i = 0; i < gt.instances.size(); ++i) gt_by_image[gt.instances[i].image_id].push_back(i);
  for (std::size_t i = 0; i < p.detections.size(); ++i) dt_by_image[p.detections[i].image_id].push_back(i);
  const std::vector<EvalGroundTruth> gts = eval_ground_truths(gt);
  for (const auto& [image, members] : gt_by_image) {
    const auto dit = dt_by_image.find(image);
    if (dit == dt_by_image.end()) continue;
    struct Pair {
      double oks;
      std::size_t g, d;
    };
    std::vector<Pair> pairs;
    for (std::size_t g : members) {
      OksGroundTruth o;
      o.keypoints = gts[g].keypoints.data();
      std::copy(gts[g].bbox, gts[g].bbox + 4, o.bbox);
      o.area = gts[g].area > 0 ? gts[g].area : gts[g].bbox[2] * gts[g].bbox[3];
      for (std::size_t d : dit->second)
        pairs.push_back({coco_oks(o, p.detections[d].keypoints.data(), vars.data(), K, terms.data()), g, d});
    }
    std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.oks > b.oks; });
    std::vector<uint8_t> used(p.detections.size(), 0);
    for (const auto& pr : pairs) {
      if (out[pr.g] || used[pr.d]) continue;
      out[pr.g] = &p.detections[pr.d];
      used[pr.d] = 1;
    }
  }
  for (const auto* d : out) unpaired += d == nullptr;
  return out;
}

std::vector<PckSample> pck_samples(const Dataset& gt, const PosePredictions& p, const std::string& metric,
                                   std::string& note) {
  const Skeleton& s = gt.skeleton;
  const int K = s.num_joints();
  int64_t unpaired = 0, crowd = 0;
  const auto preds = predictions_per_instance(gt, p, s.sigmas, unpaired);
  int lsho = -1, rhip = -1;
  if (metric == "lsp-pck") {
    lsho = s.joint_index("left_shoulder");
    rhip = s.joint_index("right_hip");
    if (lsho < 0 || rhip < 0)
      throw UsageError(fmt::format("lsp-pck: skeleton '{}' has no left_shoulder/right_hip for the torso size", s.name));
  }
  std::vector<PckSample> out;
  int64_t no_norm = 0;
  for (std::size_t i = 0; i < gt.instances.size(); ++i) {
    const Instance& inst = gt.instances[i];
    if (inst.iscrowd) {
      ++crowd;
      continue;
    }
    PckSample sm;
    for (int j = 0; j < K; ++j) {
      sm.gt.insert(sm.gt.end(), {inst.keypoints[j].x, inst.keypoints[j].y});
      sm.visible.push_back(inst.keypoints[j].v > 0);
      // Without a prediction the person's joints are all misses (infinitely far).
      const double inf = std::numeric_limits<double>::infinity();
      sm.pred.insert(sm.pred.end(), {preds[i] ? preds[i]->keypoints[3 * j] : inf, preds[i] ? preds[i]->keypoints[3 * j + 1] : inf});
    }
    if (metric == "pckh") {
      if (!inst.has_headbox)
        fail(gt.path, fmt::format("annotation {}", inst.sample_id), "no headbox (PCKh needs MPII head boxes, e.g. HRNet's gt_valid.mat converted to \"headbox\")");
      // HRNet: SC_BIAS 0.6 × the head box diagonal.
      const double w = inst.headbox[2] - inst.headbox[0], h = inst.headbox[3] - inst.headbox[1];
      sm.normalizer = std::sqrt(w * w + h * h) * 0.6;
    } else if (metric == "lsp-pck") {
      const double dx = inst.keypoints[lsho].x - inst.keypoints[rhip].x, dy = inst.keypoints[lsho].y - inst.keypoints[rhip].y;
      sm.normalizer = std::sqrt(dx * dx + dy * dy);
    } else {
      sm.normalizer = std::max(inst.box.w, inst.box.h);
    }
    if (!(sm.normalizer > 0)) {
      ++no_norm;
      continue;
    }
    out.push_back(std::move(sm));
  }
  std::vector<std::string> parts;
  if (unpaired) parts.push_back(fmt::format("{} ground-truth people without a prediction count as misses", unpaired));
  if (crowd) parts.push_back(fmt::format("{} crowd annotations skipped", crowd));
  if (no_norm) parts.push_back(fmt::format("{} people skipped: normaliser is 0", no_norm));
  for (const auto& part : parts) note += (note.empty() ? "" : "; ") + part;
  return out;
}

std::vector<std::string> default_metrics(const Dataset& gt) {
  if (gt.skeleton.name == "lsp14") return {"lsp-pck"};
  switch (gt.format) {
    case DatasetFormat::crowdpose: return {"crowdpose"};
    case DatasetFormat::mpii: return {"pckh"};
    default: return {"coco"};
  }
}

}  // namespace

void check_eval_options(const EvalOptions& o) {
  for (const auto& m : o.metrics)
    if (!m.empty() && std::find(std::begin(kMetrics), std::end(kMetrics), m) == std::end(kMetrics))
      throw UsageError(fmt::format("--metric: expected coco, crowdpose, pckh, lsp-pck or pck, found '{}'", m));
  (void)parse_pckh_variant(o.pckh_variant);
  if (!(o.pck_alpha > 0 && o.pck_alpha <= 1)) throw UsageError(fmt::format("--pck-alpha: expected (0, 1], found {}", o.pck_alpha));
  if (o.predictions.empty()) throw UsageError("no predictions file given");
  if (!o.labels.empty() && o.labels.size() != o.predictions.size())
    throw UsageError(fmt::format("--label: expected one per predictions file ({}), found {}", o.predictions.size(), o.labels.size()));
  if (o.grid_images < 1) throw UsageError(fmt::format("--grid-images: expected at least 1, found {}", o.grid_images));
}

Dataset read_ground_truth(const EvalOptions& o) {
  ReadOptions ro;
  ro.format = parse_dataset_format(o.dataset_format);
  ro.skeleton = o.skeleton;
  ro.purpose = Purpose::evaluation;
  Dataset gt = read_dataset(o.ground_truth, ro);
  // Instances carry no category: evaluating two categories as one would be wrong silently.
  if (gt.categories.size() > 1)
    fail(o.ground_truth, "categories", fmt::format("expected one keypoint category, found {}", gt.categories.size()));
  // The references evaluate an empty ground truth too (every number -1); say so.
  if (gt.instances.empty()) log::warn("{}: no annotations: every AP/AR is -1", o.ground_truth);
  return gt;
}

ModelEvaluation evaluate_predictions(const Dataset& gt, const EvalOptions& o, const std::string& path,
                                     const std::string& label) {
  ModelEvaluation out;
  out.label = label;
  PosePredictions& preds = out.predictions;
  preds = read_predictions(path, parse_prediction_format(o.predictions_format), gt);
  if (preds.skipped_other_category)
    log::warn("{}: {} results of categories not in {} are not evaluated", path, preds.skipped_other_category, o.ground_truth);
  const std::size_t read_count = preds.detections.size();
  postprocess_predictions(preds, gt.skeleton.sigmas, o.rescore, o.rescore_threshold, o.oks_nms);
  if (o.oks_nms > 0) log::info("{}: OKS-NMS at {}: {} of {} predictions kept", path, o.oks_nms, preds.detections.size(), read_count);

  std::vector<std::string> metrics;
  for (const auto& m : o.metrics)
    if (!m.empty()) metrics.push_back(m);  // --print-config writes an unset --metric as ""
  if (metrics.empty()) metrics = default_metrics(gt);
  const PckhVariant variant = parse_pckh_variant(o.pckh_variant);
  KeypointEvalParams params;
  params.sigmas = gt.skeleton.sigmas;
  std::vector<MetricReport>& reports = out.reports;
  for (const auto& m : metrics) {
    if (m == "coco") {
      reports.push_back(coco_report(gt, preds, params));
    } else if (m == "crowdpose") {
      reports.push_back(crowdpose_report(gt, preds, params));
    } else {
      std::string note;
      const auto samples = pck_samples(gt, preds, m, note);
      if (m == "pckh") reports.push_back(pckh_report(samples, gt.skeleton, variant));
      else if (m == "lsp-pck") reports.push_back(lsp_pck_report(samples, gt.skeleton, o.pck_alpha));
      else reports.push_back(bbox_pck_report(samples, gt.skeleton, o.pck_alpha));
      if (!note.empty()) {
        reports.back().notes.push_back(note);
        log::warn("{}: {}: {}", path, m, note);
      }
    }
    if (preds.skipped_other_category)
      reports.back().notes.push_back(fmt::format("{} results of other categories not evaluated", preds.skipped_other_category));
    if (o.rescore || o.oks_nms > 0)
      reports.back().notes.push_back(fmt::format("post-processing: rescoring {}, OKS-NMS {}", o.rescore ? "on" : "off",
                                                 o.oks_nms > 0 ? fmt::format("at {}", o.oks_nms) : "off"));
  }
  out.inputs.ground_truth = o.ground_truth;
  out.inputs.predictions = path;
  out.inputs.label = label;
  out.inputs.images = static_cast<long long>(gt.images.size());
  out.inputs.ground_truths = static_cast<long long>(gt.instances.size());
  out.inputs.predictions_count = static_cast<long long>(preds.detections.size());
  return out;
}

std::vector<MetricReport> evaluate(const EvalOptions& o, EvalInputs* inputs) {
  check_eval_options(o);
  if (o.predictions.size() != 1)
    throw UsageError(fmt::format("evaluate: expected one predictions file, found {}", o.predictions.size()));
  const Dataset gt = read_ground_truth(o);
  ModelEvaluation e = evaluate_predictions(gt, o, o.predictions[0], "");
  if (inputs) *inputs = e.inputs;
  return std::move(e.reports);
}

void run_eval(const EvalOptions& o, std::ostream& out) {
  if (o.output_format != "table" && o.output_format != "json" && o.output_format != "csv")
    throw UsageError(fmt::format("output format: expected table, json or csv, found '{}'", o.output_format));
  check_eval_options(o);
  const Dataset gt = read_ground_truth(o);
  std::vector<ModelEvaluation> models;
  for (std::size_t i = 0; i < o.predictions.size(); ++i)
    models.push_back(evaluate_predictions(gt, o, o.predictions[i], o.labels.empty() ? default_label(o.predictions[i]) : o.labels[i]));
  // The grid reads images, the likeliest to fail: first, so a failure leaves no other figure.
  if (!o.grid.empty()) write_prediction_grid(gt, models, o.grid_images, o.grid);
  if (models.size() == 1) {
    const auto& m = models[0];
    if (o.output_format == "json") write_json(m.reports, m.inputs, o.per_joint, out);
    else if (o.output_format == "csv") write_csv(m.reports, o.per_joint, out);
    else write_table(m.reports, o.per_joint, out);
    if (!o.plot.empty()) write_plot(m.reports, o.plot);
  } else {
    if (o.output_format == "json") write_comparison_json(models, o.per_joint, out);
    else if (o.output_format == "csv") write_comparison_csv(models, o.per_joint, out);
    else write_comparison_table(models, out);
    if (!o.plot.empty()) write_comparison_plot(models, o.plot);
  }
  if (!o.bar_chart.empty()) write_bar_chart(models, o.bar_chart);
}

}  // namespace posekd
