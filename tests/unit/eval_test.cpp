#include <doctest/doctest.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "posekd/core/error.h"
#include "posekd/core/skeleton.h"
#include "posekd/eval/crowdpose_eval.h"
#include "posekd/eval/keypoint_eval.h"
#include "posekd/eval/numpy_compat.h"
#include "posekd/eval/pck.h"
#include "posekd/eval/postprocess.h"
#include "posekd/eval/run_eval.h"
#include "posekd/data/dataset.h"
#include "posekd/io/heatmaps.h"
#include "test_support.h"

using namespace posekd;

namespace {

std::string fixture(const std::string& name) { return test::source_dir() + "/tests/fixtures/eval/" + name; }

std::vector<double> numbers(simdjson::dom::element e) {
  std::vector<double> out;
  for (auto v : e.get_array()) out.push_back(v.is_double() ? double(v) : double(int64_t(v)));
  return out;
}

// One person with all 17 joints labelled, a large box.
EvalGroundTruth person(int64_t id, int64_t image, double x, double y, double area = 200 * 200) {
  EvalGroundTruth g;
  g.id = id;
  g.image_id = image;
  for (int j = 0; j < 17; ++j) g.keypoints.insert(g.keypoints.end(), {x + 7 * j, y + 11 * j, 2});
  g.bbox[0] = x;
  g.bbox[1] = y;
  g.bbox[2] = 7 * 16;
  g.bbox[3] = 11 * 16;
  g.area = area;
  g.num_keypoints = 17;
  return g;
}

EvalDetection detection_of(const EvalGroundTruth& g, double score, double dx = 0) {
  EvalDetection d;
  d.image_id = g.image_id;
  d.score = score;
  for (int j = 0; j < 17; ++j) d.keypoints.insert(d.keypoints.end(), {g.keypoints[3 * j] + dx, g.keypoints[3 * j + 1], 0.9});
  return d;
}

KeypointEvalParams coco_params() {
  KeypointEvalParams p;
  p.sigmas = Skeleton::load("coco17").sigmas;
  return p;
}

std::array<double, 10> coco_stats(const std::vector<EvalGroundTruth>& g, const std::vector<EvalDetection>& d,
                                  std::vector<int64_t> images) {
  return coco_keypoint_stats(evaluate_keypoints(g, d, images, coco_params()));
}

}  // namespace

TEST_CASE("numpy: pairwise summation, linspace, argsort as NumPy 1.24 prints them") {
  for (auto [n, sum, mean] : std::vector<std::tuple<int, double, double>>{{9, 3.628289682539683, 0.4031432980599648},
                                                                          {17, 13.63439552522641, 0.8020232661897888},
                                                                          {130, 838.5544859133828, 6.450419122410636},
                                                                          {300, 4485.062826638803, 14.950209422129344}}) {
    std::vector<double> a;
    for (int i = 0; i < n; ++i) a.push_back(i * 0.1 + 0.01 / (i + 1));
    CAPTURE(n);
    CHECK(numpy::pairwise_sum(a) == sum);
    CHECK(numpy::mean(a) == mean);
  }
  const auto thr = numpy::linspace(.5, 0.95, 10);
  CHECK(thr[5] == 0.75);
  CHECK(thr[8] == 0.8999999999999999);
  CHECK(thr[9] == 0.95);
  const std::vector<double> ties = {3, 1, 2, 1, 3, 2, 1, 1, 2, 3, 3, 1, 2, 2, 1, 3, 1, 2, 3, 1};
  CHECK(numpy::argsort_quicksort(ties) ==
        std::vector<int64_t>{19, 1, 3, 6, 7, 16, 11, 14, 2, 17, 5, 8, 12, 13, 15, 0, 18, 4, 10, 9});
  CHECK(numpy::argsort_quicksort(std::vector<double>(20, 0.5)) ==
        std::vector<int64_t>{0, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 18, 19});
  CHECK(numpy::round_decimals(0.12345, 4) == 0.1234);  // 1234.5 rounds to even
}

TEST_CASE("coco: a perfect prediction of one large person scores 1, medium -1") {
  const auto g = person(1, 7, 10, 20);
  const auto s = coco_stats({g}, {detection_of(g, 0.8)}, {7});
  // Precision is tp / (tp + fp + np.spacing(1)): one ulp below 1.
  const double one = 1 / (1 + numpy::spacing1);
  CHECK(s[0] == one);
  CHECK(s[1] == doctest::Approx(one).epsilon(1e-15));
  CHECK(s[3] == -1);  // no medium person
  CHECK(s[4] == one);
  CHECK(s[5] == 1);
  CHECK(s[8] == -1);
}

TEST_CASE("coco: a prediction at OKS 0.72 is a hit at thresholds 0.50-0.70 only") {
  auto g = person(1, 7, 10, 20);
  for (int j = 1; j < 17; ++j) g.keypoints[3 * j + 2] = 0;  // only the nose is labelled
  const double var = (0.026 * 2) * (0.026 * 2);
  const double dx = std::sqrt(-std::log(0.72) * var * (g.area + numpy::spacing1) * 2);
  const auto s = coco_stats({g}, {detection_of(g, 0.8, dx)}, {7});
  CHECK(s[0] == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(s[1] == doctest::Approx(1).epsilon(1e-15));
  CHECK(s[2] == 0);
  CHECK(s[5] == doctest::Approx(0.5).epsilon(1e-15));
}

TEST_CASE("coco: results do not depend on the order of detections or images") {
  std::mt19937 rng(3);
  std::vector<EvalGroundTruth> gts;
  std::vector<EvalDetection> dts;
  std::vector<int64_t> images;
  std::uniform_real_distribution<double> u(0, 1);
  for (int im = 0; im < 6; ++im) {
    images.push_back(100 - im);
    for (int p = 0; p < 3; ++p) {
      gts.push_back(person(im * 10 + p + 1, 100 - im, 50 * p, 30 * im, 1500 + 2000 * p));
      dts.push_back(detection_of(gts.back(), u(rng), u(rng) * 6));
      dts.push_back(detection_of(gts.back(), u(rng), 40 + u(rng) * 30));
    }
  }
  const auto base = coco_stats(gts, dts, images);
  for (int round = 0; round < 3; ++round) {
    std::shuffle(dts.begin(), dts.end(), rng);
    std::shuffle(images.begin(), images.end(), rng);
    CHECK(coco_stats(gts, dts, images) == base);
  }
}

TEST_CASE("coco: crowd regions absorb detections; num_keypoints 0 is ignored; id 0 reads as unmatched") {
  const auto g = person(1, 7, 10, 20);
  auto crowd = person(2, 7, 300, 20);
  crowd.iscrowd = true;
  const auto alone = coco_stats({g, crowd}, {detection_of(g, 0.5)}, {7});
  // Two detections on the crowd region, scored above the true one: neither counts as false.
  const auto absorbed =
      coco_stats({g, crowd}, {detection_of(g, 0.5), detection_of(crowd, 0.9), detection_of(crowd, 0.8, 1)}, {7});
  CHECK(absorbed == alone);
  CHECK(absorbed[0] == doctest::Approx(1).epsilon(1e-15));

  auto unlabelled = person(3, 7, 300, 20);
  unlabelled.num_keypoints = 0;
  CHECK(coco_stats({g, unlabelled}, {detection_of(g, 0.5), detection_of(unlabelled, 0.9)}, {7}) == alone);

  // pycocotools stores the matched GT's id in dtm and tests it for truth: id 0 is a miss.
  const auto zero = person(0, 7, 10, 20);
  const auto s = coco_stats({zero}, {detection_of(zero, 0.5)}, {7});
  CHECK(s[0] == 0);
  CHECK(s[5] == 0);
}

TEST_CASE("coco: a ground truth without labelled joints is measured against twice its box") {
  auto g = person(1, 7, 100, 100);
  for (int j = 0; j < 17; ++j) g.keypoints[3 * j + 2] = 0;
  const double* bb = g.bbox;
  EvalDetection inside;
  inside.image_id = 7;
  inside.score = 1;
  for (int j = 0; j < 17; ++j) inside.keypoints.insert(inside.keypoints.end(), {bb[0] - bb[2] * 0.9, bb[1] + bb[3] * 1.9, 1});
  const auto e = evaluate_keypoints({g}, {inside}, {7}, coco_params());
  CHECK(coco_keypoint_stats(e)[0] == doctest::Approx(1).epsilon(1e-15));  // OKS 1 inside the doubled box
}

TEST_CASE("coco and crowdpose: the references' numbers on generated cases, to the last bit") {
  for (const char* kind : {"coco", "crowdpose"}) {
    simdjson::dom::parser parser;
    const simdjson::dom::element expected = parser.load(fixture(std::string("expected_") + kind + ".json"));
    int cases = 0;
    double max_diff = 0;
    for (auto [name, values] : expected.get_object()) {
      const std::string case_name(name);
      CAPTURE(case_name);
      EvalOptions o;
      o.ground_truth = fixture(case_name + ".gt.json");
      o.predictions = {fixture(case_name + ".results.json")};
      o.metrics = {kind};
      const auto reports = evaluate(o);
      const auto want = numbers(values);
      REQUIRE(reports[0].summary.size() == want.size());
      for (std::size_t i = 0; i < want.size(); ++i) {
        CAPTURE(reports[0].summary[i].first);
        CHECK(reports[0].summary[i].second == want[i]);
        max_diff = std::max(max_diff, std::fabs(reports[0].summary[i].second - want[i]));
      }
      ++cases;
    }
    CHECK(cases >= 12);
    CHECK(max_diff <= 1e-12);
  }
}

TEST_CASE("real samples: COCO, OCHuman, CrowdPose and MPII against the references") {
  const std::string real = test::realdata_dir();
  if (real.empty()) {
    MESSAGE("../shared/realdata absent: real-sample comparison not run");
    return;
  }
  simdjson::dom::parser parser;
  const simdjson::dom::element expected = parser.load(fixture("expected_realdata.json"));
  for (auto [name, gt] : std::vector<std::pair<std::string, std::string>>{{"realdata_coco", "/coco/test_coco.json"},
                                                                           {"realdata_ochuman", "/ochuman/test_ochuman.json"},
                                                                           {"realdata_crowdpose", "/crowdpose/test_crowdpose.json"}}) {
    CAPTURE(name);
    EvalOptions o;
    o.ground_truth = real + gt;
    o.predictions = {fixture(name + ".results.json")};
    const auto reports = evaluate(o);
    const auto want = numbers(expected[name]);
    REQUIRE(reports[0].summary.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(reports[0].summary[i].second == want[i]);
  }
  EvalOptions o;
  o.ground_truth = real + "/mpii/test_mpii_with_headbox.json";
  o.predictions = {real + "/mpii/pred_bearpaw-hg_s8_b1_first5.json"};
  const simdjson::dom::element hrnet = expected["realdata_mpii_hrnet"];
  const auto plain = evaluate(o)[0];
  for (const char* k : {"Head", "Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle", "Mean"})
    CHECK(plain.value(k) == double(hrnet[k]));
  CHECK(plain.value("Mean@0.1") == double(hrnet["Mean@0.1 (at 0.1)"]));
  o.pckh_variant = "hrnet";
  CHECK(evaluate(o)[0].value("Mean@0.1") == double(hrnet["Mean@0.1"]));
  const simdjson::dom::element variants = expected["realdata_mpii_variants"];
  o.pckh_variant = "strict";
  CHECK(evaluate(o)[0].value("Mean") == double(variants["strict Mean"]));
  CHECK(evaluate(o)[0].value("Elbow") == double(variants["strict Elbow"]));
  o.pckh_variant = "plain-mean,head-neck";
  const auto combined = evaluate(o)[0];
  CHECK(combined.value("Mean") == double(variants["plain-mean Mean"]));
  CHECK(combined.value("Head") == double(variants["head-neck Head"]));
}

TEST_CASE("postprocess: HRNet's rescoring and oks_nms, tie order included") {
  simdjson::dom::parser parser;
  const simdjson::dom::element cases = parser.load(fixture("nms_cases.json"));
  const auto sigmas = Skeleton::load("coco17").sigmas;
  int n = 0;
  for (auto c : cases.get_array()) {
    std::vector<std::vector<double>> kps;
    for (auto k : c["keypoints"].get_array()) kps.push_back(numbers(k));
    const auto scores = numbers(c["scores"]), areas = numbers(c["areas"]), rescored = numbers(c["rescored"]);
    std::vector<const double*> ptrs;
    for (std::size_t i = 0; i < kps.size(); ++i) {
      ptrs.push_back(kps[i].data());
      CHECK(rescore_instance(kps[i].data(), 17, scores[i]) == rescored[i]);
    }
    const auto keep = oks_nms(ptrs, scores, areas, sigmas, double(c["threshold"]));
    std::vector<std::size_t> want;
    for (double k : numbers(c["keep"])) want.push_back(static_cast<std::size_t>(k));
    CAPTURE(n);
    CHECK(keep == want);
    ++n;
  }
  CHECK(n == 24);
}

TEST_CASE("pck: <= against <, pooled against plain mean") {
  // Joint 0: 3 people, errors 0.1, 0.2, 0.3 of the normaliser; joint 1: 1 person, error 0.5.
  std::vector<PckSample> s;
  for (double e : {0.1, 0.2, 0.3}) s.push_back({{0, 0, 0, 0}, {1, 0}, {e * 10, 0, 0, 0}, 10});
  s.push_back({{0, 0, 0, 0}, {0, 1}, {0, 0, 5, 0}, 10});
  PckOptions o;
  o.thresholds = {0.2, 0.5};
  PckTable t = compute_pck(s, 2, o);
  CHECK(t.at(0, 0) == doctest::Approx(200.0 / 3));
  CHECK(t.at(1, 1) == 100);
  CHECK(t.mean[0] == doctest::Approx(50));  // 2 of 4 visible joints
  o.strict = true;
  o.pooled_mean = false;
  t = compute_pck(s, 2, o);
  CHECK(t.at(0, 0) == doctest::Approx(100.0 / 3));
  CHECK(t.at(1, 1) == 0);
  CHECK(t.mean[1] == doctest::Approx(50));  // (100 + 0) / 2
}

TEST_CASE("pose-eval inputs: bad predictions are errors that name the file and the entry") {
  test::ScratchDir dir("eval");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.file(name)) << text;
    return dir.file(name);
  };
  EvalOptions o;
  o.ground_truth = fixture("coco_000.gt.json");
  const std::string kp17 = "[" + [] {
    std::string s;
    for (int i = 0; i < 51; ++i) s += (i ? "," : "") + std::to_string(i % 3 == 2 ? 1 : 10 + i);
    return s;
  }() + "]";
  auto message = [&](const std::string& text) -> std::string {
    o.predictions = {write("p.json", text)};
    try {
      evaluate(o);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(message("[]").find("no predictions") != std::string::npos);
  CHECK(message(R"([{"image_id": 999999, "category_id": 1, "score": 1, "keypoints": )" + kp17 + "}]")
            .find("refer to images that are not in") != std::string::npos);
  CHECK(message(R"([{"image_id": 1, "category_id": 1, "score": 1, "keypoints": [1, 2, 1]}])").find("expected 51 numbers") !=
        std::string::npos);
  simdjson::dom::parser parser;
  const int64_t image = int64_t(parser.load(fixture("coco_000.gt.json"))["images"].at(0)["id"]);
  CHECK(message(R"([{"image_id": )" + std::to_string(image) + R"(, "category_id": 5, "score": 1, "keypoints": )" + kp17 + "}]")
            .find("no result has a category of") != std::string::npos);
  o.metrics = {"nope"};
  CHECK_THROWS_AS(evaluate(o), UsageError);
}

TEST_CASE("pose-eval inputs: /coords of a heatmaps file, joined on sample ids") {
  test::ScratchDir dir("eval_hm");
  const Dataset gt = read_dataset(fixture("coco_000.gt.json"));
  auto dump = [&](const std::string& name, float nan_at, int64_t id_offset) {
    io::HeatmapsLayout l;
    l.samples = static_cast<int64_t>(gt.instances.size());
    l.skeleton = gt.skeleton;
    l.joints = 17;
    l.height = 4;
    l.width = 3;
    l.dtype = h5::DType::float32;
    l.model_spec = "hourglass:stacks=1,channels=16";
    l.input_size = {12, 16};
    const std::string path = dir.file(name);
    io::HeatmapsWriter w(path, l);
    // Written in reverse order: the join is by id, not by position.
    for (int64_t i = 0; i < l.samples; ++i) {
      const Instance& inst = gt.instances[static_cast<std::size_t>(l.samples - 1 - i)];
      io::HeatmapSample s;
      s.sample_id = inst.sample_id + id_offset;
      s.image_id = inst.image_id;
      s.heatmaps.assign(static_cast<std::size_t>(l.map_values()), 0.f);
      for (const auto& k : inst.keypoints) s.coords.insert(s.coords.end(), {static_cast<float>(k.x), static_cast<float>(k.y), 0.9f});
      if (i == 0) s.coords[0] = nan_at;
      w.write(i, s);
      w.mark_done(i);
    }
    w.commit();
    return path;
  };
  EvalOptions o;
  o.ground_truth = fixture("coco_000.gt.json");
  o.predictions = {dump("exact.hm.h5", gt.instances.back().keypoints[0].x, 0)};
  o.metrics = {"pck"};
  const auto r = evaluate(o)[0];
  CHECK(r.value("Mean") == 100);  // the ground truth itself, every visible joint correct
  o.predictions = {dump("nan.hm.h5", std::nanf(""), 0)};
  try {
    evaluate(o);
    FAIL("NaN coordinates accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("nan.hm.h5:/coords:[0]") != std::string::npos);
    CHECK(std::string(e.what()).find("expected a finite number, found nan") != std::string::npos);
  }
  o.predictions = {dump("ids.hm.h5", 1.f, 100000)};
  try {
    evaluate(o);
    FAIL("unknown sample ids accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("ids.hm.h5:/sample_id: " + std::to_string(gt.instances.size()) + " of ") != std::string::npos);
  }
}

TEST_CASE("lsp-pck: the torso (left shoulder to right hip) is the unit; <= at the threshold") {
  test::ScratchDir dir("eval_lsp");
  const Skeleton& lsp = Skeleton::load("lsp14");
  // One person: left shoulder (9) at (100, 100), right hip (2) at (100, 200): torso 100 px.
  std::string kp, pred;
  for (int j = 0; j < 14; ++j) {
    const double x = j == 9 || j == 2 ? 100 : 50 + 10 * j, y = j == 9 ? 100 : j == 2 ? 200 : 150;
    // Joint 0 off by exactly 0.2 torso (hit with <=), joint 1 by 0.21 (miss).
    const double dx = j == 0 ? 20 : j == 1 ? 21 : 0;
    kp += fmt::format("{}{},{},2", j ? "," : "", x, y);
    pred += fmt::format("{}{},{},0.9", j ? "," : "", x + dx, y);
  }
  std::string names;
  for (const auto& n : lsp.joints) names += (names.empty() ? "\"" : ",\"") + n + "\"";
  std::ofstream(dir.file("gt.json")) << R"({"images":[{"id":1,"file_name":"a.jpg","width":300,"height":300}],)"
                                     << R"("categories":[{"id":1,"name":"person","keypoints":[)" << names << R"(],"skeleton":[]}],)"
                                     << R"("annotations":[{"id":1,"image_id":1,"category_id":1,"iscrowd":0,"num_keypoints":14,)"
                                     << R"("area":20000,"bbox":[40,90,200,120],"keypoints":[)" << kp << "]}]}";
  std::ofstream(dir.file("pred.json")) << R"([{"image_id":1,"category_id":1,"score":0.9,"keypoints":[)" << pred << "]}]";
  EvalOptions o;
  o.ground_truth = dir.file("gt.json");
  o.predictions = {dir.file("pred.json")};
  o.dataset_format = "coco";
  o.skeleton = "lsp14";
  const auto r = evaluate(o)[0];  // lsp14 defaults to lsp-pck
  CHECK(r.metric == "lsp-pck");
  CHECK(r.value("Ankle") == 100);  // right ankle off by exactly 0.2 torso: a hit with <=
  CHECK(r.value("Knee") == 50);   // right knee missed at 0.21
  CHECK(r.value("Mean") == doctest::Approx(100.0 * 13 / 14));
}

TEST_CASE("coco: per-joint similarity over the matches at OKS 0.50") {
  const auto g = person(1, 7, 10, 20);
  auto far = person(2, 7, 400, 20);
  std::vector<EvalGroundTruth> gts = {g, far};
  gts[0].keypoints[3 * 4 + 2] = 0;  // right ear unlabelled
  std::vector<EvalDetection> dts = {detection_of(gts[0], 0.9), detection_of(far, 0.8, 500)};  // the second misses
  const auto params = coco_params();
  const auto e = evaluate_keypoints(gts, dts, {7}, params);
  REQUIRE(e.matches_at_50.size() == 1);
  const auto joints = per_joint_similarity(e, gts, dts, params);
  CHECK(joints[0].mean == 1);
  CHECK(joints[0].at_least_half == 100);
  CHECK(joints[0].count == 1);
  CHECK(joints[4].count == 0);
  CHECK(std::isnan(joints[4].mean));
}
