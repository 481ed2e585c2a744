#include <doctest/doctest.h>
#include <opencv2/imgproc.hpp>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/core/skeleton.h"
#include "posekd/data/dataset.h"
#include "posekd/data/synth.h"
#include "posekd/data/synth_geometry.h"
#include "posekd/data/synth_writers.h"
#include "test_support.h"

using namespace posekd;
using namespace posekd::synth;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

SynthOptions small_options(const std::string& dir, int64_t images = 8) {
  log::set_level(log::Level::quiet);
  SynthOptions o;
  o.output_dir = dir;
  o.images = images;
  o.width = 128;
  o.height = 96;
  o.seed = 7;
  o.threads = 1;
  return o;
}

// Every image file of a dataset, by name.
std::map<std::string, std::string> image_bytes(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "images")) out[e.path().filename().string()] = slurp(e.path().string());
  return out;
}

// Whether the pixel centre `p` is inside `s` by more than half a pixel: the rasteriser then
// covers that pixel with the shape, whatever the anti-aliasing.
bool deep_inside(const Shape& s, Point2 p) {
  const Point2 q = p - s.a;
  const double along = dot(q, s.axis), across = s.axis.x * q.y - s.axis.y * q.x;
  switch (s.kind) {
    case ShapeKind::box: return std::fabs(along) < s.r0 - 0.5 && std::fabs(across) < s.r1 - 0.5;
    case ShapeKind::ellipse: {
      const double rx = s.r0 - 0.5, ry = s.r1 - 0.5;
      return rx > 0 && ry > 0 && (along / rx) * (along / rx) + (across / ry) * (across / ry) < 1;
    }
    case ShapeKind::capsule: break;
  }
  return false;
}

std::string format_name(DatasetFormat f) {
  return f == DatasetFormat::mpii ? "mpii" : f == DatasetFormat::crowdpose ? "crowdpose" : "coco";
}

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& path) {
  simdjson::dom::element doc;
  const auto err = parser.load(path).get(doc);
  REQUIRE_MESSAGE(!err, path << ": " << simdjson::error_message(err));
  return doc;
}

// A small training set in scratch's "clean" and the same set with `add_noise` applied in
// "noisy"; noise touches labels only, so the images must be byte for byte the same.
struct NoisyRun {
  SynthOptions clean;
  SynthSummary summary;  // of the noisy run
};
NoisyRun run_clean_and_noisy(test::ScratchDir& scratch, int64_t images, const std::function<void(SynthOptions&)>& add_noise) {
  NoisyRun r{small_options(scratch.file("clean"), images), {}};
  r.clean.threads = 2;
  SynthOptions noisy = r.clean;
  noisy.output_dir = scratch.file("noisy");
  add_noise(noisy);
  run_synth(r.clean);
  r.summary = run_synth(noisy);
  CHECK(image_bytes(r.clean.output_dir) == image_bytes(noisy.output_dir));
  return r;
}

}  // namespace

TEST_CASE("synth: the same seed gives the same bytes whatever the thread count") {
  test::ScratchDir scratch("synth-determinism");
  SynthOptions a = small_options(scratch.file("a"), 10);
  a.detections = scratch.file("a-det.json");
  a.label_noise = 0.3;
  SynthOptions b = a;
  b.output_dir = scratch.file("b");
  b.detections = scratch.file("b-det.json");
  b.threads = 3;
  run_synth(a);
  run_synth(b);
  CHECK(slurp(scratch.file("a/annotations.json")) == slurp(scratch.file("b/annotations.json")));
  CHECK(slurp(a.detections) == slurp(b.detections));
  const auto images_a = image_bytes(a.output_dir);
  CHECK(images_a.size() == 10);
  CHECK(images_a == image_bytes(b.output_dir));

  SynthOptions c = a;
  c.output_dir = scratch.file("c");
  c.detections.clear();
  c.seed = 8;
  run_synth(c);
  CHECK(slurp(scratch.file("c/annotations.json")) != slurp(scratch.file("a/annotations.json")));
  CHECK(image_bytes(c.output_dir).at("000001.jpg") != images_a.at("000001.jpg"));

  // The split is part of each image's stream: val is not a copy of train.
  SynthOptions v = c;
  v.output_dir = scratch.file("v");
  v.split = "val";
  v.label_noise = 0;
  run_synth(v);
  CHECK(image_bytes(v.output_dir).at("000001.jpg") != image_bytes(c.output_dir).at("000001.jpg"));
}

TEST_CASE("synth: visible joints are visible in the pixels, hidden ones are covered") {
  SynthOptions o = small_options("unused");
  o.width = 160;
  o.height = 120;
  o.difficulty = SynthDifficulty::hard;
  o.overrides.occluders = 0.9;
  const SceneKnobs knobs = resolve_knobs(o);
  const Skeleton skeleton = Skeleton::load("coco17");
  const auto points = body_points_for(skeleton);
  int visible = 0, hidden_by_object = 0, hidden_by_person = 0, occluder_pixels = 0, repainted = 0;
  for (int64_t i = 0; i < 40; ++i) {
    const SynthSample s = make_sample(o, knobs, points, i);
    const Rendered bare = render_scene(s.scene, false);
    for (const PersonLabel& label : s.people) {
      for (size_t j = 0; j < label.keypoints.size(); ++j) {
        const Keypoint& k = label.keypoints[j];
        if (k.v == 0) continue;
        const int x = static_cast<int>(std::lround(k.x)), y = static_cast<int>(std::lround(k.y));
        const int code = s.rendered.owner(y, x);
        bool under_object = false;
        for (size_t p = static_cast<size_t>(label.person); p < s.scene.occluders.size(); ++p)
          for (const Shape& shape : s.scene.occluders[p]) under_object |= deep_inside(shape, {double(x), double(y)});
        if (k.v == 2) {
          CAPTURE(i);
          CAPTURE(skeleton.joints[j]);
          CHECK(owner_person(code) == label.person);
          CHECK(owner_person(s.rendered.last_touch(y, x)) == label.person);
          CHECK((parts_showing(points[j]) >> owner_part(code) & 1u));
          CHECK_FALSE(under_object);
          CHECK(s.rendered.image(y, x) == bare.image(y, x));
          ++visible;
        } else {
          hidden_by_object += under_object;
          hidden_by_person += owner_person(code) >= 0 && owner_person(code) != label.person;
        }
      }
    }
    for (int y = 0; y < o.height; ++y)
      for (int x = 0; x < o.width; ++x)
        if (s.rendered.owner(y, x) == kOccluderOwner) {
          ++occluder_pixels;
          repainted += s.rendered.image(y, x) != bare.image(y, x);
        }
  }
  CHECK(visible > 500);
  CHECK(hidden_by_object > 10);  // the check above is not vacuous
  CHECK(hidden_by_person > 5);
  REQUIRE(occluder_pixels > 1000);
  CHECK(repainted > 0.95 * occluder_pixels);  // the owner buffer follows the paint
}

namespace {

// Per limb with enough interior pixels: the handedness of its stripes, from the luminance
// gradient in the limb's frame (u along start -> end, v = cross(axis, offset) as the
// rasteriser has it). A left helix (lines u + v = c) has gu·gv > 0, a right one gu·gv < 0.
struct Handedness {
  int as_labelled[2] = {0, 0}, limbs[2] = {0, 0};  // [facing away, facing the camera]
};

Handedness limb_handedness(const SynthOptions& o) {
  const SceneKnobs knobs = resolve_knobs(o);
  const auto points = body_points_for(Skeleton::load("coco17"));
  struct Limb {
    BodyPart part;
    BodyPoint from, to;
    bool left, sleeve;
  };
  const Limb limbs[] = {{BodyPart::left_upper_arm, BodyPoint::left_shoulder, BodyPoint::left_elbow, true, false},
                        {BodyPart::right_upper_arm, BodyPoint::right_shoulder, BodyPoint::right_elbow, false, false},
                        {BodyPart::left_forearm, BodyPoint::left_elbow, BodyPoint::left_wrist, true, true},
                        {BodyPart::right_forearm, BodyPoint::right_elbow, BodyPoint::right_wrist, false, true},
                        {BodyPart::left_thigh, BodyPoint::left_hip, BodyPoint::left_knee, true, false},
                        {BodyPart::right_thigh, BodyPoint::right_hip, BodyPoint::right_knee, false, false},
                        {BodyPart::left_shin, BodyPoint::left_knee, BodyPoint::left_ankle, true, false},
                        {BodyPart::right_shin, BodyPoint::right_knee, BodyPoint::right_ankle, false, false}};
  Handedness out;
  for (int64_t i = 0; i < 30; ++i) {
    const SynthSample s = make_sample(o, knobs, points, i);
    cv::Mat grey, gx, gy;
    cv::cvtColor(s.rendered.image, grey, cv::COLOR_BGR2GRAY);
    cv::Sobel(grey, gx, CV_32F, 1, 0);
    cv::Sobel(grey, gy, CV_32F, 0, 1);
    for (size_t person = 0; person < s.scene.people.size(); ++person) {
      const Body& body = s.scene.people[person];
      for (const Limb& limb : limbs) {
        if (limb.sleeve && !body.look.long_sleeves) continue;  // a bare forearm has no stripes
        const Point2 d = body.points[static_cast<int>(limb.to)] - body.points[static_cast<int>(limb.from)];
        const double len = length(d);
        if (len < 1) continue;
        const Point2 axis = d * (1 / len), across{-axis.y, axis.x};
        const int code = owner_code(static_cast<int>(person), limb.part);
        double sum = 0;
        int count = 0;
        for (int y = 1; y + 1 < o.height; ++y)
          for (int x = 1; x + 1 < o.width; ++x) {
            const auto& own = s.rendered.owner;
            if (own(y, x) != code || own(y - 1, x) != code || own(y + 1, x) != code || own(y, x - 1) != code ||
                own(y, x + 1) != code)
              continue;
            const Point2 g{gx.at<float>(y, x), gy.at<float>(y, x)};
            sum += dot(g, axis) * dot(g, across);
            ++count;
          }
        if (count < 30) continue;
        const int facing = body.facing_camera;
        ++out.limbs[facing];
        out.as_labelled[facing] += (sum > 0) == limb.left;
      }
    }
  }
  return out;
}

}  // namespace

// Flip augmentation mirrors the pixels and swaps the left/right labels, so a cue that tells
// the sides apart must be chiral: a mirrored left helix is a right helix. Achiral cues tied
// to one side (a colour, a lit side) are contradicted by every mirrored sample.
TEST_CASE("synth: left limbs wear left-handed helices and right limbs right-handed ones, whichever way the person faces") {
  SynthOptions o = small_options("unused");
  const Handedness easy = limb_handedness(o);
  for (int facing : {0, 1}) {
    CAPTURE(facing);
    REQUIRE(easy.limbs[facing] > 20);
    CHECK(easy.as_labelled[facing] >= 0.9 * easy.limbs[facing]);
  }
  o.overrides.lr_contrast = 0;  // the clothes' own patterns: no handedness
  const Handedness none = limb_handedness(o);
  const int limbs = none.limbs[0] + none.limbs[1], as_labelled = none.as_labelled[0] + none.as_labelled[1];
  CHECK(as_labelled > 0.25 * limbs);
  CHECK(as_labelled < 0.75 * limbs);
}

TEST_CASE("synth: v=0 exactly for joints outside the image; boxes and areas come from the pixels") {
  SynthOptions o = small_options("unused");
  o.overrides.truncation = 0.8;
  o.overrides.max_people = 3;
  const SceneKnobs knobs = resolve_knobs(o);
  const auto points = body_points_for(Skeleton::load("mpii16"));
  int outside = 0;
  for (int64_t i = 0; i < 30; ++i) {
    const SynthSample s = make_sample(o, knobs, points, i);
    for (const PersonLabel& label : s.people) {
      const Body& body = s.scene.people[label.person];
      for (size_t j = 0; j < label.keypoints.size(); ++j) {
        const Point2 p = body.points[static_cast<int>(points[j])];
        const long x = std::lround(p.x), y = std::lround(p.y);
        const bool in_image = x >= 0 && y >= 0 && x < o.width && y < o.height;
        CHECK((label.keypoints[j].v > 0) == in_image);
        if (label.keypoints[j].v > 0) CHECK(label.keypoints[j].x == doctest::Approx(p.x));
        outside += !in_image;
      }
      int owned = 0;
      for (int y = 0; y < o.height; ++y)
        for (int x = 0; x < o.width; ++x) owned += owner_person(s.rendered.owner(y, x)) == label.person;
      CHECK(label.area == owned);
      CHECK(label.box.x >= 0);
      CHECK(label.box.x + label.box.w <= o.width);
      CHECK(label.box.y + label.box.h <= o.height);
    }
  }
  CHECK(outside > 10);
}

TEST_CASE("synth: people are 60 to 200 px tall at the default size") {
  SynthOptions o = small_options("unused");
  o.width = 256;
  o.height = 192;
  const SceneKnobs knobs = resolve_knobs(o);
  const auto points = body_points_for(Skeleton::load("coco17"));
  std::vector<double> heights;
  for (int64_t i = 0; i < 30; ++i)
    for (const Body& b : make_sample(o, knobs, points, i).scene.people) heights.push_back(b.height_px);
  std::sort(heights.begin(), heights.end());
  REQUIRE(heights.size() >= 30);
  CHECK(heights[heights.size() / 10] >= 60);
  CHECK(heights[heights.size() * 9 / 10] <= 200);
}

TEST_CASE("synth: label noise touches only the training labels, at about the requested rate") {
  test::ScratchDir scratch("synth-noise");
  const auto [clean, summary] = run_clean_and_noisy(scratch, 60, [](SynthOptions& o) { o.label_noise = 0.3; });

  simdjson::dom::parser pa, pb;
  const auto a = parse(pa, scratch.file("clean/annotations.json"))["annotations"].get_array().value();
  const auto b = parse(pb, scratch.file("noisy/annotations.json"))["annotations"].get_array().value();
  REQUIRE(a.size() == b.size());
  size_t changed = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(simdjson::to_string(a.at(i)["bbox"]) == simdjson::to_string(b.at(i)["bbox"]));
    changed += simdjson::to_string(a.at(i)["keypoints"]) != simdjson::to_string(b.at(i)["keypoints"]);
  }
  CHECK(static_cast<int64_t>(changed) == summary.noise.corrupted());
  const double rate = static_cast<double>(changed) / a.size();
  CHECK(rate > 0.15);
  CHECK(rate < 0.45);
  CHECK(summary.noise.jittered > 0);
  CHECK(summary.noise.swapped > 0);
  CHECK(summary.noise.dropped > 0);

  SynthOptions val = clean;
  val.output_dir = scratch.file("val");
  val.split = "val";
  val.label_noise = 0.3;
  CHECK_THROWS_WITH_AS(run_synth(val),
                       "--label-noise: expected --split train (validation and test labels stay clean), found --split val",
                       UsageError);
}

TEST_CASE("synth: annotator noise moves every labelled joint by about its OKS sigma times the person's scale") {
  test::ScratchDir scratch("synth-annotator-noise");
  const auto [clean, summary] = run_clean_and_noisy(scratch, 40, [](SynthOptions& o) { o.annotator_noise = 1; });

  const Skeleton coco = Skeleton::load("coco17");
  simdjson::dom::parser pa, pb;
  const auto a = parse(pa, scratch.file("clean/annotations.json"))["annotations"].get_array().value();
  const auto b = parse(pb, scratch.file("noisy/annotations.json"))["annotations"].get_array().value();
  REQUIRE(a.size() == b.size());
  CHECK(summary.annotator_jittered == static_cast<int64_t>(a.size()));
  // Per-axis offsets in units of sigma_j * sqrt(area): a standard normal, away from the image's edges.
  double sum = 0, sum_sq = 0;
  int64_t n = 0, moved_unlabelled = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(simdjson::to_string(a.at(i)["bbox"]) == simdjson::to_string(b.at(i)["bbox"]));
    const double s = std::sqrt(a.at(i)["area"].get_double().value());
    const auto ka = a.at(i)["keypoints"].get_array().value();
    const auto kb = b.at(i)["keypoints"].get_array().value();
    for (size_t j = 0; j < coco.sigmas.size(); ++j) {
      const double va = ka.at(3 * j + 2).get_double().value(), vb = kb.at(3 * j + 2).get_double().value();
      CHECK(va == vb);
      for (size_t c = 0; c < 2; ++c) {
        const double xa = ka.at(3 * j + c).get_double().value(), xb = kb.at(3 * j + c).get_double().value();
        if (va == 0) {
          moved_unlabelled += xa != xb;
          continue;
        }
        const double z = (xb - xa) / (coco.sigmas[j] * s);
        if (xb <= 0 || xb >= (c == 0 ? clean.width : clean.height) - 1) continue;  // clamped at the edge
        sum += z, sum_sq += z * z, ++n;
      }
    }
  }
  CHECK(moved_unlabelled == 0);
  REQUIRE(n > 500);
  const double mean = sum / n, sd = std::sqrt(sum_sq / n - mean * mean);
  CHECK(std::abs(mean) < 0.15);
  CHECK(sd > 0.85);
  CHECK(sd < 1.15);

  SynthOptions val = clean;
  val.output_dir = scratch.file("val");
  val.split = "val";
  val.annotator_noise = 1;
  CHECK_THROWS_WITH_AS(run_synth(val),
                       "--annotator-noise: expected --split train (validation and test labels stay clean), found --split val",
                       UsageError);
}

TEST_CASE("synth: every format and skeleton writes a valid dataset") {
  test::ScratchDir scratch("synth-formats");
  struct Case {
    DatasetFormat format;
    std::string skeleton;
  };
  for (const Case& c : {Case{DatasetFormat::coco, ""}, Case{DatasetFormat::coco, "lsp14"}, Case{DatasetFormat::coco, "mpii16"},
                        Case{DatasetFormat::crowdpose, ""}, Case{DatasetFormat::mpii, ""}, Case{DatasetFormat::mpii, "lsp14"}}) {
    const std::string name = format_name(c.format) + "-" + (c.skeleton.empty() ? "default" : c.skeleton);
    CAPTURE(name);
    SynthOptions o = small_options(scratch.file(name), 6);
    o.format = c.format;
    o.skeleton = c.skeleton;
    o.difficulty = SynthDifficulty::medium;
    o.detections = scratch.file(name + "-det.json");
    const SynthSummary summary = run_synth(o);
    const Skeleton sk = Skeleton::load(c.skeleton.empty() ? default_skeleton(c.format) : c.skeleton);
    const size_t k = static_cast<size_t>(sk.num_joints());
    simdjson::dom::parser parser;
    const auto doc = parse(parser, summary.annotation_path);
    int64_t people = 0;
    if (c.format == DatasetFormat::mpii) {
      for (auto entry : doc.get_array()) {
        ++people;
        CHECK(fs::exists(fs::path(o.output_dir) / std::string(entry["image"].get_string().value())));
        CHECK(entry["joints"].get_array().size() == k);
        CHECK(entry["joints_vis"].get_array().size() == k);
        CHECK(entry["scale"].get_double().value() > 0);
        CHECK(entry["headbox"].get_array().size() == 4);
      }
    } else {
      std::set<int64_t> image_ids, annotation_ids;
      for (auto im : doc["images"].get_array()) {
        image_ids.insert(im["id"].get_int64().value());
        CHECK(im["width"].get_int64().value() == o.width);
        CHECK(fs::exists(fs::path(o.output_dir) / std::string(im["file_name"].get_string().value())));
        CHECK((c.format == DatasetFormat::crowdpose) == !im["crowdIndex"].error());
      }
      CHECK(image_ids.size() == 6);
      for (auto an : doc["annotations"].get_array()) {
        ++people;
        const int64_t id = an["id"].get_int64().value();
        CHECK(id >= 1);
        CHECK(annotation_ids.insert(id).second);
        CHECK(image_ids.count(an["image_id"].get_int64().value()) == 1);
        CHECK(an["category_id"].get_int64().value() == 1);
        CHECK(an["iscrowd"].get_int64().value() == 0);
        const auto bbox = an["bbox"].get_array().value();
        const double area = an["area"].get_double().value();
        CHECK(area > 0);
        CHECK(area <= bbox.at(2).get_double().value() * bbox.at(3).get_double().value());
        const auto kp = an["keypoints"].get_array().value();
        REQUIRE(kp.size() == 3 * k);
        int64_t labelled = 0;
        for (size_t j = 0; j < k; ++j) {
          const int64_t v = kp.at(3 * j + 2).get_int64().value();
          CHECK((v == 0 || v == 1 || v == 2));
          labelled += v > 0;
          if (v == 0) CHECK(kp.at(3 * j).get_double().value() == 0);
        }
        CHECK(an["num_keypoints"].get_int64().value() == labelled);
      }
      const auto cat = doc["categories"].get_array().at(0);
      CHECK(cat["keypoints"].get_array().size() == k);
      CHECK(cat["skeleton"].get_array().size() == sk.edges.size());
      for (auto edge : cat["skeleton"].get_array()) {
        CHECK(edge.get_array().at(0).get_int64().value() >= 1);
        CHECK(edge.get_array().at(1).get_int64().value() <= static_cast<int64_t>(k));
      }
    }
    CHECK(people == summary.people);
    simdjson::dom::parser det_parser;
    for (auto d : parse(det_parser, o.detections).get_array()) {
      CHECK(d["category_id"].get_int64().value() == 1);
      CHECK(d["bbox"].get_array().size() == 4);
      const double score = d["score"].get_double().value();
      CHECK((score > 0 && score <= 1));
    }
  }
}

TEST_CASE("synth: posekd's readers load every format with the labels the renderer made") {
  test::ScratchDir scratch("synth-readers");
  for (DatasetFormat format : {DatasetFormat::coco, DatasetFormat::crowdpose, DatasetFormat::mpii}) {
    const std::string name = format_name(format);
    CAPTURE(name);
    SynthOptions o = small_options(scratch.file(name), 6);
    o.format = format;
    o.difficulty = SynthDifficulty::medium;
    o.detections = scratch.file(name + "-detections.json");
    const SynthSummary summary = run_synth(o);
    ReadOptions read;
    read.check_images = true;
    const Dataset d = read_dataset(summary.annotation_path, read);
    CHECK(d.format == format);
    REQUIRE(static_cast<int64_t>(d.instances.size()) == summary.people);

    const SceneKnobs knobs = resolve_knobs(o);
    const Skeleton skeleton = Skeleton::load(default_skeleton(format));
    CHECK(d.skeleton.joints == skeleton.joints);
    const auto points = body_points_for(skeleton);
    size_t n = 0;
    for (int64_t i = 0; i < o.images; ++i) {
      const SynthSample s = make_sample(o, knobs, points, i);
      if (format == DatasetFormat::crowdpose)
        CHECK(d.images[static_cast<size_t>(i)].crowd_index == doctest::Approx(crowd_index(s.people)).epsilon(1e-3));
      for (const PersonLabel& label : s.people) {
        const Instance& inst = d.instances[n++];
        for (size_t j = 0; j < label.keypoints.size(); ++j) {
          const Keypoint& want = label.keypoints[j];
          const Keypoint& got = inst.keypoints[j];
          CHECK((got.v > 0) == (want.v > 0));
          if (format != DatasetFormat::mpii) CHECK(got.v == want.v);
          if (want.v > 0) {
            CHECK(std::fabs(got.x - want.x) <= 0.0051);
            CHECK(std::fabs(got.y - want.y) <= 0.0051);
          }
        }
        if (format != DatasetFormat::mpii) {
          CHECK(inst.box.x == label.box.x);
          CHECK(inst.box.h == label.box.h);
        }
        if (format == DatasetFormat::coco) CHECK(inst.area == label.area);
      }
    }
    read.purpose = Purpose::training;
    const Dataset train = read_dataset(summary.annotation_path, read);
    CHECK(train.instances.size() + train.dropped_for_training == d.instances.size());
    CHECK(static_cast<int64_t>(read_results(o.detections).size()) == summary.detections);
  }
}

TEST_CASE("synth: detections are jittered true boxes with misses and false positives") {
  SynthOptions o = small_options("unused");
  const SceneKnobs knobs = resolve_knobs(o);
  const auto points = body_points_for(Skeleton::load("coco17"));
  auto iou = [](const Box& a, const Box& b) {
    const double w = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
    const double h = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
    return w > 0 && h > 0 ? w * h / (a.w * a.h + b.w * b.h - w * h) : 0.0;
  };
  int people = 0, found = 0, false_positives = 0;
  for (int64_t i = 0; i < 200; ++i) {
    const SynthSample s = make_sample(o, knobs, points, i);
    synth::Rng rng = synth::Rng::stream(o.seed, "test/detections", static_cast<uint64_t>(i));
    const auto dets = simulate_detections(s.people, 17, o.width, o.height, rng);
    for (size_t d = 1; d < dets.size(); ++d) CHECK(dets[d - 1].score >= dets[d].score);
    people += static_cast<int>(s.people.size());
    for (const auto& p : s.people)
      found += std::any_of(dets.begin(), dets.end(), [&](const Detection& d) { return iou(d.box, p.box) > 0.5; });
    for (const auto& d : dets)
      false_positives += std::none_of(s.people.begin(), s.people.end(), [&](const PersonLabel& p) { return iou(d.box, p.box) > 0.3; });
  }
  CHECK(found > 0.8 * people);
  CHECK(found < people);        // some are missed
  CHECK(false_positives > 20);  // and some boxes are on the background
}

TEST_CASE("synth: crowd index follows CrowdPose's definition") {
  PersonLabel a, b;
  a.box = {0, 0, 10, 10};
  a.keypoints = {{1, 1, 2}, {2, 2, 2}, {0, 0, 0}, {5, 5, 1}};
  b.box = {50, 50, 10, 10};
  b.keypoints = {{3, 3, 2}, {55, 55, 2}};  // one of b's joints lies in a's box
  // a: 1 foreign joint / 3 own; b: 0 / 2.
  CHECK(crowd_index({a, b}) == doctest::Approx((1.0 / 3 + 0.0) / 2));
  CHECK(crowd_index({}) == 0);
}

TEST_CASE("synth: options and outputs are checked before any work") {
  test::ScratchDir scratch("synth-options");
  SynthOptions o = small_options(scratch.file("d"), 2);
  run_synth(o);
  CHECK_THROWS_WITH_AS(run_synth(o), (scratch.file("d") + "/annotations.json: output exists (use --force to overwrite)").c_str(),
                       UsageError);
  o.force = true;
  o.images = 1;
  run_synth(o);
  CHECK(image_bytes(o.output_dir).size() == 1);  // --force removed the stale second image

  CHECK_THROWS_WITH_AS(parse_image_size("256x"), "--size: expected WIDTHxHEIGHT with each in 16..8192 (e.g. 256x192), found '256x'",
                       UsageError);
  CHECK(parse_image_size("256x192") == std::pair{256, 192});
  SynthOptions bad = small_options(scratch.file("e"));
  bad.overrides.scale_range = std::pair{0.9, 0.5};
  CHECK_THROWS_WITH_AS(run_synth(bad), "--scale-range: expected 0.02 < LO <= HI <= 3 (person height / image height), found 0.9 0.5",
                       UsageError);
  bad = small_options(scratch.file("e"));
  bad.skeleton = "coco18";
  CHECK_THROWS_AS(run_synth(bad), UsageError);
  CHECK_FALSE(fs::exists(scratch.file("e")));
}

TEST_CASE("synth: JSON numbers are short and exact to the requested decimals") {
  CHECK(json_number(12.5, 2) == "12.5");
  CHECK(json_number(3.0, 2) == "3");
  CHECK(json_number(-0.001, 2) == "0");
  CHECK(json_number(0.12345, 4) == "0.1235");
  CHECK(json_string("a\"b") == "\"a\\\"b\"");
}
