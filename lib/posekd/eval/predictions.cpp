#include "posekd/eval/predictions.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <unordered_map>
#include <unordered_set>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/eval/postprocess.h"
#include "posekd/io/heatmaps.h"

namespace posekd {

PredictionFormat parse_prediction_format(const std::string& name) {
  if (name == "auto") return PredictionFormat::automatic;
  if (name == "coco-results") return PredictionFormat::coco_results;
  if (name == "arrays") return PredictionFormat::arrays;
  if (name == "heatmaps") return PredictionFormat::heatmaps;
  throw UsageError(fmt::format("--pred-format: expected auto, coco-results, arrays or heatmaps, found '{}'", name));
}

namespace {

PredictionFormat sniff(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open", path));
  char head[8] = {};
  in.read(head, sizeof head);
  if (std::string(head, 8) == std::string("\x89HDF\r\n\x1a\n", 8)) return PredictionFormat::heatmaps;
  in.clear();
  in.seekg(0);
  // A results file is a list of objects, an arrays file a list of lists.
  char c = 0;
  int brackets = 0;
  while (in.get(c)) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (c == '[') {
      if (++brackets == 2) return PredictionFormat::arrays;
      continue;
    }
    break;
  }
  return PredictionFormat::coco_results;
}

void check_finite(const std::string& path, std::size_t index, const EvalDetection& d) {
  for (std::size_t i = 0; i < d.keypoints.size(); ++i)
    if (!std::isfinite(d.keypoints[i]))
      fail(path, fmt::format("[{}] (image_id {}):keypoints[{}]", index, d.image_id, i),
           fmt::format("expected a finite number, found {}", d.keypoints[i]));
  if (!std::isfinite(d.score))
    fail(path, fmt::format("[{}] (image_id {}):score", index, d.image_id), fmt::format("expected a finite number, found {}", d.score));
}

PosePredictions read_coco_results(const std::string& path, const Dataset& gt) {
  const int K = gt.skeleton.num_joints();
  std::vector<Result> results = read_results(path, K);
  PosePredictions p;
  std::unordered_set<int64_t> categories;
  for (const auto& c : gt.categories) categories.insert(c.id);
  int64_t unknown_images = 0;
  std::string first_unknown;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    if (r.keypoints.empty())
      fail(path, fmt::format("[{}] (image_id {})", i, r.image_id), "expected keypoints, found a detector box only (a bbox results file?)");
    if (!gt.find_image(r.image_id)) {
      if (unknown_images++ == 0) first_unknown = fmt::format("[{}] image_id {}", i, r.image_id);
      continue;
    }
    if (!categories.empty() && !categories.count(r.category_id)) {
      ++p.skipped_other_category;
      continue;
    }
    EvalDetection d;
    d.image_id = r.image_id;
    d.score = r.score;
    d.keypoints.reserve(3 * r.keypoints.size());
    for (const auto& k : r.keypoints) d.keypoints.insert(d.keypoints.end(), {k.x, k.y, k.v});
    check_finite(path, i, d);
    p.detections.push_back(std::move(d));
    p.box_areas.push_back(r.has_bbox ? r.bbox.w * r.bbox.h : 0.0);
  }
  // pycocotools' loadRes refuses these too ("Results do not correspond to current coco set").
  if (unknown_images)
    fail(path, "", fmt::format("{} of {} results refer to images that are not in {} (first: {})", unknown_images,
                               results.size(), gt.path, first_unknown));
  if (p.detections.empty() && p.skipped_other_category)
    fail(path, "", fmt::format("no result has a category of {} ({} results of other categories)", gt.path,
                               p.skipped_other_category));
  return p;
}

PosePredictions read_arrays(const std::string& path, const Dataset& gt) {
  const int K = gt.skeleton.num_joints();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.load(path).get(doc)) fail(path, "", fmt::format("not valid JSON ({})", simdjson::error_message(e)));
  simdjson::dom::array rows;
  if (doc.get_array().get(rows)) fail(path, "", "expected an array [N][K][2 or 3] of predicted joints");
  // Row i is the i-th annotation of the file (for MPII its sample id is i), as HRNet's
  // pred.mat rows follow the annotation file. Arrays share the frame of the annotation file they go with: for MPII that is MATLAB's
  // 1-based pixels (HRNet's pred.mat, bearpaw's predictions), which the reader shifts by -1.
  const double shift = gt.format == DatasetFormat::mpii ? -1.0 : 0.0;
  PosePredictions p;
  std::size_t n = 0;
  for (auto row : rows) {
    const std::string place = fmt::format("[{}]", n);
    simdjson::dom::array joints;
    if (row.get_array().get(joints)) fail(path, place, "expected an array of joints");
    if (static_cast<int>(joints.size()) != K)
      fail(path, place, fmt::format("expected {} joints ({}), found {}", K, gt.skeleton.name, joints.size()));
    if (n >= gt.instances.size())
      fail(path, place, fmt::format("expected one row per annotation of {} ({}), found more", gt.path, gt.instances.size()));
    const Instance& inst = gt.instances[n];
    EvalDetection d;
    d.image_id = inst.image_id;
    d.score = 1;
    std::size_t j = 0;
    for (auto jt : joints) {
      simdjson::dom::array xy;
      double v[3] = {0, 0, 1};
      std::size_t c = 0;
      if (jt.get_array().get(xy) || (xy.size() != 2 && xy.size() != 3))
        fail(path, fmt::format("{}[{}]", place, j), "expected [x, y] or [x, y, score]");
      for (auto num : xy) {
        double value = 0;
        if (num.get_double().get(value)) {
          int64_t iv = 0;
          if (num.get_int64().get(iv)) fail(path, fmt::format("{}[{}][{}]", place, j, c), "expected a number");
          value = static_cast<double>(iv);
        }
        v[c] = c < 2 ? value + shift : value;
        ++c;
      }
      d.keypoints.insert(d.keypoints.end(), v, v + 3);
      ++j;
    }
    check_finite(path, n, d);
    p.detections.push_back(std::move(d));
    p.sample_ids.push_back(inst.sample_id);
    p.box_areas.push_back(inst.box.w * inst.box.h);
    ++n;
  }
  if (n != gt.instances.size())
    fail(path, "", fmt::format("expected one row per annotation of {} ({}), found {}", gt.path, gt.instances.size(), n));
  return p;
}

PosePredictions read_heatmap_coords(const std::string& path, const Dataset& gt) {
  io::HeatmapsReader reader(path);
  const int K = gt.skeleton.num_joints();
  if (reader.layout().joints != K)
    fail(path, "/coords", fmt::format("expected {} joints ({} of {}), found {}", K, gt.skeleton.name, gt.path, reader.layout().joints));
  if (!reader.complete())
    fail(path, "/done", fmt::format("the dump is incomplete: {} of {} samples done", reader.done_count(), reader.size()));
  const std::vector<float> coords = reader.file().open_dataset("coords").read_all<float>();
  std::unordered_map<int64_t, std::size_t> by_sample;
  for (std::size_t i = 0; i < gt.instances.size(); ++i) by_sample.emplace(gt.instances[i].sample_id, i);
  PosePredictions p;
  int64_t missing = 0;
  int64_t first_missing = 0;
  for (std::size_t i = 0; i < reader.sample_ids().size(); ++i) {
    const int64_t id = reader.sample_ids()[i];
    auto it = by_sample.find(id);
    if (it == by_sample.end()) {
      if (missing++ == 0) first_missing = id;
      continue;
    }
    const Instance& inst = gt.instances[it->second];
    EvalDetection d;
    d.image_id = inst.image_id;
    d.keypoints.assign(coords.begin() + static_cast<std::ptrdiff_t>(i * 3 * K),
                       coords.begin() + static_cast<std::ptrdiff_t>((i + 1) * 3 * K));
    // A dump on ground-truth boxes has no detector score: HRNet's rescoring with box score 1.
    d.score = rescore_instance(d.keypoints.data(), K, 1.0);
    check_finite(path + ":/coords", i, d);
    p.detections.push_back(std::move(d));
    p.sample_ids.push_back(id);
    p.box_areas.push_back(inst.box.w * inst.box.h);
  }
  if (missing)
    fail(path, "/sample_id", fmt::format("{} of {} sample ids are not annotations of {} (first: {})", missing,
                                         reader.sample_ids().size(), gt.path, first_missing));
  return p;
}

}  // namespace

PosePredictions read_predictions(const std::string& path, PredictionFormat format, const Dataset& gt) {
  if (format == PredictionFormat::automatic) format = sniff(path);
  PosePredictions p = format == PredictionFormat::heatmaps ? read_heatmap_coords(path, gt)
                      : format == PredictionFormat::arrays ? read_arrays(path, gt)
                                                           : read_coco_results(path, gt);
  p.path = path;
  p.format = format;
  if (p.detections.empty()) fail(path, "", "no predictions to evaluate");
  return p;
}

std::vector<EvalGroundTruth> eval_ground_truths(const Dataset& gt) {
  std::vector<EvalGroundTruth> out;
  out.reserve(gt.instances.size());
  for (const auto& inst : gt.instances) {
    EvalGroundTruth g;
    g.id = inst.sample_id;
    g.image_id = inst.image_id;
    g.keypoints.reserve(3 * inst.keypoints.size());
    for (const auto& k : inst.keypoints) g.keypoints.insert(g.keypoints.end(), {k.x, k.y, k.v});
    g.bbox[0] = inst.box.x;
    g.bbox[1] = inst.box.y;
    g.bbox[2] = inst.box.w;
    g.bbox[3] = inst.box.h;
    g.area = inst.area;
    g.iscrowd = inst.iscrowd;
    g.num_keypoints = inst.num_keypoints;
    out.push_back(std::move(g));
  }
  return out;
}

void postprocess_predictions(PosePredictions& p, const std::vector<double>& sigmas, bool rescore, double rescore_threshold,
                             double nms_threshold) {
  const int K = static_cast<int>(sigmas.size());
  if (rescore)
    for (auto& d : p.detections) d.score = rescore_instance(d.keypoints.data(), K, d.score, rescore_threshold);
  if (!(nms_threshold > 0)) return;
  std::vector<int64_t> image_order;
  std::unordered_map<int64_t, std::vector<std::size_t>> by_image;
  for (std::size_t i = 0; i < p.detections.size(); ++i) {
    auto [it, inserted] = by_image.try_emplace(p.detections[i].image_id);
    if (inserted) image_order.push_back(p.detections[i].image_id);
    it->second.push_back(i);
  }
  PosePredictions kept;
  kept.path = p.path;
  kept.format = p.format;
  kept.skipped_other_category = p.skipped_other_category;
  for (int64_t image : image_order) {
    const auto& members = by_image[image];
    std::vector<const double*> kps;
    std::vector<double> scores, areas;
    for (std::size_t i : members) {
      const auto& d = p.detections[i];
      kps.push_back(d.keypoints.data());
      scores.push_back(d.score);
      double area = p.box_areas[i];
      if (!(area > 0)) {  // no box: the keypoints' extent, as loadRes measures results
        double x0 = d.keypoints[0], x1 = x0, y0 = d.keypoints[1], y1 = y0;
        for (int j = 1; j < K; ++j) {
          x0 = std::min(x0, d.keypoints[3 * j]);
          x1 = std::max(x1, d.keypoints[3 * j]);
          y0 = std::min(y0, d.keypoints[3 * j + 1]);
          y1 = std::max(y1, d.keypoints[3 * j + 1]);
        }
        area = (x1 - x0) * (y1 - y0);
      }
      areas.push_back(area);
    }
    for (std::size_t k : oks_nms(kps, scores, areas, sigmas, nms_threshold)) {
      const std::size_t i = members[k];
      kept.detections.push_back(std::move(p.detections[i]));
      kept.box_areas.push_back(p.box_areas[i]);
      if (!p.sample_ids.empty()) kept.sample_ids.push_back(p.sample_ids[i]);
    }
  }
  p = std::move(kept);
}

}  // namespace posekd
