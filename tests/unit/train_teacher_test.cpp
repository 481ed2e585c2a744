#include <doctest/doctest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "posekd/core/error.h"
#include "posekd/data/dataset.h"
#include "posekd/data/synth.h"
#include "posekd/codec/teacher_warp.h"
#include "posekd/data/transforms.h"
#include "posekd/io/checkpoint.h"
#include "posekd/io/heatmaps.h"
#include "posekd/train/model_checkpoint.h"
#include "posekd/train/predict.h"
#include "posekd/train/teacher.h"
#include "posekd/train/teacher_records.h"
#include "test_support.h"

using namespace posekd;

namespace {

// The teacher's dump geometry: 96x72 crops padded 1.5, 24x18 maps (input / 4).
constexpr int kDumpW = 72, kDumpH = 96, kMapW = 18, kMapH = 24;

struct Fixture {
  test::ScratchDir dir{"teacher"};
  std::string annotations;
  Dataset data;
  std::string decoding = "unbiased";  // the dump's target convention attribute; "" = none
  Fixture() {
    SynthOptions o;
    o.output_dir = dir.file("synth");
    o.images = 6;
    o.width = 160;
    o.height = 120;
    o.seed = 4;
    o.threads = 1;
    annotations = run_synth(o).annotation_path;
    ReadOptions ro;
    ro.purpose = Purpose::training;
    data = read_dataset(annotations, ro);
  }

  // A dump whose maps are σ = 1.5 Gaussians at the true joints, scores 0.9, written for the
  // instances `keep` says to keep.
  std::string write_dump(const std::string& name, const std::function<bool(size_t)>& keep = {},
                         const std::string& boxes = "ground-truth", const Skeleton* skeleton = nullptr,
                         bool complete = true) {
    std::vector<size_t> rows;
    for (size_t i = 0; i < data.instances.size(); ++i)
      if (!keep || keep(i)) rows.push_back(i);
    std::reverse(rows.begin(), rows.end());  // the join is by id, never by position
    const Skeleton& sk = skeleton ? *skeleton : data.skeleton;
    io::HeatmapsLayout layout;
    layout.samples = int64_t(rows.size());
    layout.joints = sk.num_joints();
    layout.height = kMapH;
    layout.width = kMapW;
    layout.skeleton = sk;
    layout.model_spec = "fixture";
    layout.input_size = {kDumpW, kDumpH};
    if (!decoding.empty()) layout.attributes["decoding"] = decoding;
    layout.attributes["boxes"] = boxes;
    layout.attributes["padding"] = "1.5";
    const std::string path = dir.file(name);
    {
      io::HeatmapsWriter writer(path, layout, !complete);
      for (size_t r = 0; r < rows.size(); ++r) {
        if (!complete && r >= 2) break;
        const Instance& inst = data.instances[rows[r]];
        const CropFrame frame = dump_frame(inst);
        const Affine2D to_map = frame.image_to_heatmap();
        io::HeatmapSample s;
        s.sample_id = inst.sample_id;
        s.image_id = inst.image_id;
        s.crop = frame.crop.to_float();
        const int K = int(layout.joints);
        s.heatmaps.assign(size_t(K) * kMapH * kMapW, 0.f);
        s.coords.assign(size_t(K) * 3, 0.f);
        for (int k = 0; k < K && k < int(inst.keypoints.size()); ++k) {
          const auto& kp = inst.keypoints[size_t(k)];
          s.coords[size_t(3 * k)] = float(kp.x);
          s.coords[size_t(3 * k + 1)] = float(kp.y);
          s.coords[size_t(3 * k + 2)] = 0.9f;
          const Point2 c = to_map.apply({kp.x, kp.y});
          for (int y = 0; y < kMapH; ++y)
            for (int x = 0; x < kMapW; ++x)
              s.heatmaps[size_t((k * kMapH + y) * kMapW + x)] =
                  kp.v > 0 ? float(std::exp(-((x - c.x) * (x - c.x) + (y - c.y) * (y - c.y)) / (2 * 1.5 * 1.5))) : 0.f;
        }
        writer.write(int64_t(r), s);
        writer.mark_done(int64_t(r));
      }
      if (complete) writer.commit();
    }
    return complete ? path : path + ".partial";
  }

  static CropFrame dump_frame(const Instance& inst) {
    const Affine2D crop =
        crop_affine(crop_from_instance(inst, kDumpW, kDumpH, 1.5), kDumpW, kDumpH, CropGeometry::standard);
    return CropFrame{crop, kDumpW, kDumpH, kMapW, kMapH, CropGeometry::standard};
  }

  LoaderOptions loader_options(int workers) const {
    LoaderOptions lo;
    lo.batch_size = 4;
    lo.workers = workers;
    lo.prefetch = 2;
    lo.seed = 9;
    lo.targets.input_w = 48;
    lo.targets.input_h = 64;
    lo.targets.heatmap_w = 12;
    lo.targets.heatmap_h = 16;
    lo.targets.heatmap.sigma = 1.0;
    return lo;
  }
};

train::TeacherRequirements heatmap_needs() {
  train::TeacherRequirements r;
  r.method = "fpd";
  return r;
}

std::unique_ptr<train::Teacher> stored(const std::string& path, const train::TeacherRequirements& needs = heatmap_needs()) {
  train::TeacherOptions o;
  o.heatmaps = path;
  return train::make_teacher(o, needs, torch::kCPU);
}

// All the batches of two epochs' extras, concatenated.
std::vector<Batch> epochs(Fixture& f, train::Teacher& teacher, int workers) {
  LoaderOptions lo = f.loader_options(workers);
  teacher.configure_loader(lo);
  BatchLoader loader(f.data.instances, f.data.skeleton, lo);
  std::vector<Batch> out;
  for (int64_t e = 0; e < 2; ++e) {
    loader.start_epoch(e);
    while (auto b = loader.next()) out.push_back(std::move(*b));
  }
  return out;
}

}  // namespace

TEST_CASE("stored teacher: joined by sample_id and warped into the student's augmented crop") {
  Fixture f;
  REQUIRE(f.data.instances.size() >= 5);
  const std::string path = f.write_dump("teacher.hm.h5");
  auto teacher = stored(path);
  CHECK_FALSE(teacher->online());
  CHECK(teacher->info().heatmap.width == kMapW);
  teacher->check_training_set(f.data.instances, f.data.skeleton, f.annotations);
  const auto batches = epochs(f, *teacher, 2);
  int flipped = 0, compared = 0;
  for (const Batch& b : batches) {
    const auto t = teacher->run(b, torch::kCPU);
    REQUIRE(t.heatmaps.sizes() == b.heatmaps.sizes());
    const auto maps = t.heatmaps.accessor<float, 4>();
    // /coords through the student's crop, flip pairs swapped, equal the loader's own keypoints.
    for (int64_t i = 0; i < b.size(); ++i) {
      flipped += b.params[size_t(i)].crop.flip;
      for (int64_t k = 0; k < b.keypoints.size(1); ++k) {
        if (b.keypoints[i][k][2].item<float>() <= 0) continue;
        CHECK(t.joints[i][k][0].item<double>() == doctest::Approx(b.keypoints[i][k][0].item<double>()).epsilon(1e-4));
        CHECK(t.joints[i][k][1].item<double>() == doctest::Approx(b.keypoints[i][k][1].item<double>()).epsilon(1e-4));
        CHECK(t.joints[i][k][2].item<double>() == doctest::Approx(0.9));
        // The warped map is the stored Gaussian rendered directly in the student's map with its
        // width in map pixels kept (TeacherWarpOptions::keep_width): each student pixel takes the
        // analytic teacher value at its preimage under the warp turned about the joint, unscaled.
        const Instance& inst = f.data.instances[size_t(b.indices[i].item<int64_t>())];
        const bool flip = b.params[size_t(i)].crop.flip;
        const auto& kp = inst.keypoints[size_t(flip ? f.data.skeleton.flip_index()[size_t(k)] : int(k))];
        const CropFrame student{Affine2D::from(b.affines[i].contiguous().data_ptr<double>()), 48, 64, 12, 16,
                                CropGeometry::standard};
        const Point2 c = f.dump_frame(inst).image_to_heatmap().apply({kp.x, kp.y});
        if (c.x < 1 || c.y < 1 || c.x > kMapW - 2 || c.y > kMapH - 2) continue;  // a peak cut by the dump's border
        const Point2 cs = student.image_to_heatmap().apply({kp.x, kp.y});
        const Affine2D to_student = heatmap_warp(f.dump_frame(inst), student);
        const double s = 1 / std::sqrt(std::abs(to_student.determinant()));
        const Affine2D turn_back =
            Affine2D(to_student(0, 0) * s, to_student(0, 1) * s, 0, to_student(1, 0) * s, to_student(1, 1) * s, 0)
                .inverse();
        double worst = 0;
        for (int y = 0; y < 16; ++y)
          for (int x = 0; x < 12; ++x) {
            const Point2 r = turn_back.apply({x - cs.x, y - cs.y});
            const Point2 q{c.x + r.x, c.y + r.y};
            const double d2 = r.x * r.x + r.y * r.y;
            const double inside = q.x > -0.5 && q.y > -0.5 && q.x < kMapW - 0.5 && q.y < kMapH - 0.5;
            worst = std::max(worst, std::abs(double(maps[i][k][y][x]) - inside * std::exp(-d2 / 4.5)));
          }
        CHECK(worst < 0.05);
        ++compared;
      }
    }
  }
  CHECK(flipped > 0);
  CHECK(compared > 20);
}

TEST_CASE("stored teacher: the same batches with 0 and 2 workers, read ahead within the cache") {
  Fixture f;
  const std::string path = f.write_dump("teacher.hm.h5");
  auto a = stored(path), b = stored(path);
  a->check_training_set(f.data.instances, f.data.skeleton, f.annotations);
  b->check_training_set(f.data.instances, f.data.skeleton, f.annotations);
  const auto x = epochs(f, *a, 0), y = epochs(f, *b, 2);
  REQUIRE(x.size() == y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    CHECK(torch::equal(x[i].extra.at(train::kTeacherHeatmapsExtra), y[i].extra.at(train::kTeacherHeatmapsExtra)));
    CHECK(torch::equal(x[i].extra.at(train::kTeacherJointsExtra), y[i].extra.at(train::kTeacherJointsExtra)));
  }
}

TEST_CASE("teacher record stream: reads ahead in the epoch order, at most its capacity") {
  Fixture f;
  auto reader = std::make_shared<io::HeatmapsReader>(f.write_dump("teacher.hm.h5"));
  const size_t n = f.data.instances.size();
  std::vector<int64_t> rows(n);
  for (size_t i = 0; i < n; ++i) rows[i] = reader->index_of(f.data.instances[i].sample_id);
  train::TeacherRecordStream stream(reader, rows, 2);
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = n - 1 - i;
  stream.start(order, 1);  // a resumed epoch starts past its first sample
  for (size_t p = 1; p < n; ++p) {
    const auto r = stream.take(order[p]);
    CHECK(r.heatmaps == stream.read(order[p]).heatmaps);
    CHECK(stream.cached() <= 2);
  }
  // Outside the order (and after the reader passed): read directly.
  CHECK(stream.take(order[0]).coords == stream.read(order[0]).coords);
  CHECK(stream.take(order[1]).coords == stream.read(order[1]).coords);
}

TEST_CASE("stored teacher: refusals before training name the file, the place, expected and found") {
  Fixture f;
  const size_t n = f.data.instances.size();
  SUBCASE("ids of another dataset") {
    const std::string path = f.write_dump("other.hm.h5", [](size_t i) { return i % 2 == 0; });
    auto teacher = stored(path);
    std::string missing;
    size_t count = 0;
    for (size_t i = 1; i < n; i += 2, ++count)
      if (count < 5) missing += (count ? ", " : "") + std::to_string(f.data.instances[i].sample_id);
    CHECK(test::error_of([&] { teacher->check_training_set(f.data.instances, f.data.skeleton, f.annotations); }) ==
          path + ":/sample_id: expected every sample_id of " + f.annotations + " (" + std::to_string(n) +
              " samples), found " + std::to_string(count) + " missing (" + missing + (count > 5 ? ", ..." : "") +
              "): a dump of another dataset?");
  }
  SUBCASE("another skeleton") {
    const Skeleton& mpii = *Skeleton::find_builtin("mpii16");
    const std::string path = f.write_dump("mpii.hm.h5", {}, "ground-truth", &mpii);
    auto teacher = stored(path);
    CHECK(test::error_of([&] { teacher->check_training_set(f.data.instances, f.data.skeleton, f.annotations); }) ==
          path + ":/skeleton: expected skeleton " + f.data.skeleton.name + " (17 joints), found " + mpii.name +
              " (16 joints)");
  }
  SUBCASE("detector boxes") {
    const std::string path = f.write_dump("det.hm.h5", {}, "detections");
    CHECK(test::error_of([&] { stored(path); }) ==
          path + ":/@boxes: expected teacher maps on ground-truth boxes, found detections (their sample ids are "
                 "positions in the detection file, not annotation ids)");
  }
  SUBCASE("no crop geometry") {
    f.decoding.clear();
    const std::string path = f.write_dump("nodecoding.hm.h5");
    CHECK(test::error_of([&] { stored(path); }) ==
          path + ":/@decoding: expected the dump's target convention (hrnet, unbiased or udp), found none");
  }
  SUBCASE("an unfinished dump") {
    const std::string path = f.write_dump("part.hm.h5", {}, "ground-truth", nullptr, false);
    CHECK(test::error_of([&] { stored(path); }) ==
          path + ":/done: expected a complete dump, found 2 of " + std::to_string(n) +
              " samples written (finish it with pose-dump-heatmaps --resume)");
  }
  SUBCASE("a method that needs a live teacher") {
    const std::string path = f.write_dump("teacher.hm.h5");
    train::TeacherRequirements needs;
    needs.method = "two-stage";
    needs.all_features = true;
    needs.simcc = true;
    CHECK(test::error_of([&] { stored(path, needs); }) ==
          "two-stage distils the teacher's features and SimCC vectors, which a stored heatmaps file cannot give "
          "under augmentation (they are not warp-invariant, DESIGN 3.3): use a live teacher, --teacher CKPT");
  }
  SUBCASE("one teacher, not two or none") {
    train::TeacherOptions o;
    CHECK(test::error_of([&] { train::make_teacher(o, heatmap_needs(), torch::kCPU); }) ==
          "fpd needs a teacher: --teacher-heatmaps FILE (stored) or --teacher CKPT (live)");
    o.heatmaps = "a.hm.h5";
    o.checkpoint = "b.ckpt.h5";
    CHECK(test::error_of([&] { train::make_teacher(o, heatmap_needs(), torch::kCPU); }) ==
          "--teacher-heatmaps and --teacher exclude each other: give one teacher");
  }
}

TEST_CASE("live teacher: its own crop at its own input size, maps and joints in the student's frame") {
  Fixture f;
  const std::string spec = "resnet:depth=18,width=4,deconvs=2,deconv_channels=8,joints=17,input=128x96";
  auto model = nn::make_model(spec, 3);
  model->eval();
  const std::string ckpt = f.dir.file("teacher.ckpt.h5");
  io::write_checkpoint(train::model_checkpoint(*model, f.data.skeleton, HeatmapCodec::unbiased), ckpt);
  train::TeacherOptions o;
  o.checkpoint = ckpt;
  train::TeacherRequirements needs = heatmap_needs();
  needs.joints = true;
  auto teacher = train::make_teacher(o, needs, torch::kCPU);
  CHECK(teacher->online());
  teacher->check_training_set(f.data.instances, f.data.skeleton, f.annotations);
  LoaderOptions lo = f.loader_options(1);
  teacher->configure_loader(lo);
  BatchLoader loader(f.data.instances, f.data.skeleton, lo);
  auto b = loader.next();
  REQUIRE(b);
  const at::Tensor& images = b->extra.at(train::kTeacherImagesExtra);
  CHECK(images.sizes() == torch::IntArrayRef({b->size(), 3, 128, 96}));
  // The same region, flip and colour at twice the resolution.
  const double diff = (torch::avg_pool2d(images, 2) - b->images).abs().mean().item<double>();
  CHECK(diff < 0.2);
  const auto t = teacher->run(*b, torch::kCPU);
  REQUIRE(t.outputs);
  CHECK(t.heatmaps.sizes() == b->heatmaps.sizes());
  CHECK(t.joints.sizes() == torch::IntArrayRef({b->size(), 17, 3}));
  CHECK_FALSE(t.heatmaps.requires_grad());
  for (int64_t i = 0; i < b->size(); ++i) {
    CHECK(t.teacher_to_student[i][0][0].item<double>() == doctest::Approx(0.5));
    CHECK(t.teacher_to_student[i][1][1].item<double>() == doctest::Approx(0.5));
    CHECK(std::abs(t.teacher_to_student[i][0][2].item<double>()) < 1e-4);  // float32 affines
  }
}

TEST_CASE("live teacher: refuses a model without what the method distils") {
  Fixture f;
  auto model = nn::make_model("resnet:depth=18,width=4,deconvs=2,deconv_channels=8,joints=17,input=64x64", 3);
  const std::string ckpt = f.dir.file("plain.ckpt.h5");
  io::write_checkpoint(train::model_checkpoint(*model, f.data.skeleton, HeatmapCodec::unbiased), ckpt);
  train::TeacherOptions o;
  o.checkpoint = ckpt;
  train::TeacherRequirements needs;
  needs.method = "distilpose";
  needs.tokens = true;
  CHECK(test::error_of([&] { train::make_teacher(o, needs, torch::kCPU); }) ==
        ckpt + ":/@model_spec: distilpose needs keypoint and visual tokens, found a model without them (" +
            model->info().spec.str() + "); a token-based teacher is tokenpose");
  needs = heatmap_needs();
  needs.features = {"nowhere"};
  CHECK(test::error_of([&] { train::make_teacher(o, needs, torch::kCPU); }).rfind(ckpt + ":/@model_spec: fpd needs teacher feature 'nowhere', found only ", 0) == 0);
}
