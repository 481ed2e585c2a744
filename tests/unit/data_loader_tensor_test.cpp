#include <doctest/doctest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "posekd/codec/heatmap_decode.h"
#include "posekd/codec/teacher_warp.h"
#include "posekd/core/error.h"
#include "posekd/core/skeleton.h"
#include "posekd/data/dataset.h"
#include "posekd/data/loader.h"
#include "test_support.h"

using namespace posekd;

namespace {

// Real JPEGs with noise and shapes, and people placed on them.
std::vector<Instance> write_dataset(const test::ScratchDir& dir, int images, int people_per_image) {
  cv::RNG rng(1234);
  std::vector<Instance> out;
  for (int i = 0; i < images; ++i) {
    cv::Mat img(120, 160, CV_8UC3);
    rng.fill(img, cv::RNG::UNIFORM, 0, 255);
    cv::circle(img, {40 + 10 * i, 60}, 25, cv::Scalar(20, 200, 240), -1);
    cv::rectangle(img, {90, 20}, {140, 100}, cv::Scalar(200, 40, 40), -1);
    const std::string path = dir.file("img" + std::to_string(i) + ".jpg");
    REQUIRE(cv::imwrite(path, img));
    for (int p = 0; p < people_per_image; ++p) {
      Instance inst;
      inst.image_path = path;
      inst.image_id = i;
      inst.sample_id = 1000 + i * 10 + p;
      inst.box = {20.0 + 30 * p, 15.0, 40, 90};
      for (int j = 0; j < 17; ++j)
        inst.keypoints.push_back({float(inst.box.x + 5 + (j % 4) * 9.5), float(inst.box.y + 4 + j * 5.1f),
                                  j % 7 == 3 ? 0.0f : 2.0f});
      out.push_back(inst);
    }
  }
  return out;
}

LoaderOptions small_options(int workers) {
  LoaderOptions o;
  o.batch_size = 4;
  o.workers = workers;
  o.prefetch = 2;
  o.seed = 77;
  o.targets.input_w = 48;
  o.targets.input_h = 64;
  o.targets.heatmap_w = 12;
  o.targets.heatmap_h = 16;
  o.targets.heatmap.sigma = 1.0;
  o.targets.simcc = true;
  o.targets.regression = true;
  return o;
}

std::vector<at::Tensor> tensors(const Batch& b) {
  return {b.images,     b.keypoints,          b.heatmaps,   b.heatmap_weights, b.simcc_x, b.simcc_y, b.simcc_weights,
          b.regression, b.regression_weights, b.sample_ids, b.indices,         b.affines, b.aug};
}

std::vector<Batch> epoch(BatchLoader& loader, int64_t e) {
  loader.start_epoch(e);
  std::vector<Batch> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

}  // namespace

TEST_CASE("loader: the same seed gives identical batches with 0, 1 and 2 workers") {
  test::ScratchDir dir("loader-det");
  const auto instances = write_dataset(dir, 5, 2);
  const Skeleton& coco = Skeleton::load("coco17");
  std::vector<std::vector<Batch>> runs;
  for (int workers : {0, 1, 2}) {
    BatchLoader loader(instances, coco, small_options(workers));
    CHECK(loader.batches_per_epoch() == 3);
    auto first = epoch(loader, 0);
    auto second = epoch(loader, 1);
    first.insert(first.end(), std::make_move_iterator(second.begin()), std::make_move_iterator(second.end()));
    runs.push_back(std::move(first));
  }
  for (size_t r = 1; r < runs.size(); ++r) {
    REQUIRE(runs[r].size() == runs[0].size());
    for (size_t b = 0; b < runs[0].size(); ++b) {
      const auto a = tensors(runs[0][b]), c = tensors(runs[r][b]);
      for (size_t t = 0; t < a.size(); ++t) {
        CAPTURE(r);
        CAPTURE(b);
        CAPTURE(t);
        CHECK(at::equal(a[t], c[t]));
      }
    }
  }
  // Epochs differ in order (shuffle) and in augmentation.
  CHECK_FALSE(at::equal(runs[0][0].indices, runs[0][3].indices));
  // Every sample once per epoch, the last batch short (10 = 4 + 4 + 2).
  CHECK(runs[0][2].size() == 2);
  std::vector<int64_t> seen;
  for (size_t b = 0; b < 3; ++b)
    for (int64_t i = 0; i < runs[0][b].size(); ++i) seen.push_back(runs[0][b].indices[i].item<int64_t>());
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});

  // A different seed changes the batches.
  LoaderOptions other = small_options(2);
  other.seed = 78;
  BatchLoader loader(instances, coco, other);
  const auto b = epoch(loader, 0);
  CHECK_FALSE(at::equal(b[0].images, runs[0][0].images));
}

TEST_CASE("loader: shapes, dtypes, normalisation and stored parameters") {
  test::ScratchDir dir("loader-shapes");
  auto instances = write_dataset(dir, 2, 2);
  // A solid-colour image: RGB (255, 128, 0) must come out as ImageNet-normalised values.
  cv::Mat solid(100, 100, CV_8UC3, cv::Scalar(0, 128, 255));
  const std::string solid_path = dir.file("solid.jpg");
  REQUIRE(cv::imwrite(solid_path, solid));
  instances[0].image_path = solid_path;
  instances[0].box = {20, 20, 60, 60};
  LoaderOptions o = small_options(1);
  o.augment = false;
  o.shuffle = false;
  o.batch_size = 3;
  BatchLoader loader(instances, Skeleton::load("coco17"), o);
  auto b = loader.next();
  REQUIRE(b);
  CHECK(b->images.sizes() == at::IntArrayRef({3, 3, 64, 48}));
  CHECK((b->images.scalar_type() == at::kFloat));
  CHECK(b->keypoints.sizes() == at::IntArrayRef({3, 17, 3}));
  CHECK(b->heatmaps.sizes() == at::IntArrayRef({3, 17, 16, 12}));
  CHECK(b->heatmap_weights.sizes() == at::IntArrayRef({3, 17}));
  CHECK(b->simcc_x.sizes() == at::IntArrayRef({3, 17, 96}));
  CHECK(b->simcc_y.sizes() == at::IntArrayRef({3, 17, 128}));
  CHECK(b->regression.sizes() == at::IntArrayRef({3, 17, 2}));
  CHECK((b->sample_ids.scalar_type() == at::kLong));
  CHECK(b->affines.sizes() == at::IntArrayRef({3, 2, 3}));
  CHECK((b->affines.scalar_type() == at::kDouble));
  CHECK(b->sample_ids[1].item<int64_t>() == instances[1].sample_id);
  CHECK(b->heatmap_weights[0][3].item<float>() == 0.0f);  // v = 0 joint
  CHECK(b->images[0][0][32][24].item<float>() == doctest::Approx((1.0 - 0.485) / 0.229).epsilon(0.02));
  CHECK(b->images[0][1][32][24].item<float>() == doctest::Approx((128 / 255.0 - 0.456) / 0.224).epsilon(0.03));
  CHECK(b->images[0][2][32][24].item<float>() == doctest::Approx((0 - 0.406) / 0.225).epsilon(0.03));
  CHECK(b->params[1].crop.flip == false);

  // The stored parameters re-render the sample exactly (what the SDP tool needs).
  LoaderOptions aug = small_options(2);
  BatchLoader augmented(instances, Skeleton::load("coco17"), aug);
  augmented.start_epoch(3);
  auto ab = augmented.next();
  REQUIRE(ab);
  const size_t index = size_t(ab->indices[0].item<int64_t>());
  const AugParams again = augmented.sample_params(index, 3);
  CHECK(again.crop.center_x == ab->params[0].crop.center_x);
  CHECK(again.crop.rotation == ab->params[0].crop.rotation);
  CHECK(again.crop.flip == ab->params[0].crop.flip);
  const cv::Mat image = cv::imread(instances[index].image_path);
  const RenderedCrop rc = render_augmented(image, instances[index], ab->params[0], 48, 64, CropGeometry::standard,
                                           augmented.flip_index());
  CHECK(rc.affine.approx_equal(Affine2D::from(ab->affines[0].contiguous().data_ptr<double>()), 0));

  // A whole batch re-rendered from its stored flat parameters (as an SDP step would keep them).
  std::vector<int64_t> idx;
  std::vector<AugParams> stored;
  for (int64_t i = 0; i < ab->size(); ++i) {
    idx.push_back(ab->indices[i].item<int64_t>());
    stored.push_back(AugParams::from_array(ab->aug[i].contiguous().data_ptr<double>()));
  }
  const Batch again_batch = augmented.rebuild(idx, stored);
  CHECK(at::equal(again_batch.images, ab->images));
  CHECK(at::equal(again_batch.heatmaps, ab->heatmaps));
  CHECK(at::equal(again_batch.aug, ab->aug));
  CHECK_THROWS_WITH_AS(augmented.rebuild({99}, {AugParams{}}),
                       "rebuild: sample index 99 out of range, the loader has 4 instances", Error);
}

TEST_CASE("loader: the queue of ready batches is bounded") {
  test::ScratchDir dir("loader-bound");
  const auto instances = write_dataset(dir, 4, 3);
  LoaderOptions o = small_options(2);
  o.batch_size = 1;
  o.prefetch = 2;
  BatchLoader loader(instances, Skeleton::load("coco17"), o);
  // Waits for progress (a loaded machine may be slow), then checks the bound still holds.
  auto settle = [&](int64_t expected) {
    for (int i = 0; i < 500 && loader.batches_built() < expected; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return loader.batches_built();
  };
  loader.start_epoch(0);
  CHECK(settle(2) == 2);
  REQUIRE(loader.next());
  CHECK(settle(3) == 3);
  int taken = 1;
  while (loader.next()) ++taken;
  CHECK(taken == 12);
  CHECK(loader.batches_built() == 12);
}

TEST_CASE("loader: errors name the file and the sample") {
  test::ScratchDir dir("loader-err");
  auto instances = write_dataset(dir, 1, 1);
  instances[0].image_path = dir.file("missing.jpg");
  for (int workers : {0, 2}) {
    BatchLoader loader(instances, Skeleton::load("coco17"), small_options(workers));
    CHECK_THROWS_WITH_AS(loader.next(), (dir.file("missing.jpg") + ": cannot open the image of sample_id 1000").c_str(),
                         Error);
  }
  instances[0].keypoints.pop_back();
  CHECK_THROWS_WITH_AS(BatchLoader(instances, Skeleton::load("coco17"), small_options(0)),
                       (dir.file("missing.jpg") + ":sample_id 1000: expected 17 keypoints (coco17), found 16").c_str(),
                       Error);
  instances[0].keypoints.push_back({});
  instances[0].box.w = 0;
  CHECK_THROWS_WITH_AS(BatchLoader(instances, Skeleton::load("coco17"), small_options(0)),
                       (dir.file("missing.jpg") + ":sample_id 1000: expected a box of positive size, found 0x90").c_str(),
                       Error);
  LoaderOptions bad = small_options(0);
  bad.prefetch = 0;
  CHECK_THROWS_WITH_AS(BatchLoader(instances, Skeleton::load("coco17"), bad), "prefetch must be at least 1 batch, found 0",
                       UsageError);
}

TEST_CASE("loader: the extra-target hook carries warped teacher maps") {
  test::ScratchDir dir("loader-extra");
  const auto instances = write_dataset(dir, 3, 2);
  const Skeleton& coco = Skeleton::load("coco17");
  LoaderOptions o = small_options(2);
  o.targets.input_w = 96, o.targets.input_h = 128, o.targets.heatmap_w = 24, o.targets.heatmap_h = 32;
  o.targets.heatmap.sigma = 2.0;
  o.augmentation.half_body_prob = 0;
  // The "dump": each instance's unaugmented crop with 1.5× extra padding, rendered once.
  struct Stored {
    CropFrame frame;
    std::vector<float> maps;
  };
  std::vector<Stored> dump;
  const auto flip = coco.flip_index();
  for (const auto& inst : instances) {
    CropParams c = crop_from_instance(inst, 96, 128, 1.25 * 1.5);
    Stored s;
    s.frame = CropFrame{crop_affine(c, 96, 128, CropGeometry::standard), 96, 128, 24, 32, CropGeometry::standard};
    TargetOptions t = o.targets;
    t.heatmap.sigma = 2.0;  // a teacher trained with σ=2: the warp keeps that width in the student's map
    s.maps = build_targets(transform_keypoints(inst.keypoints, s.frame.crop, false, flip), t).heatmaps;
    dump.push_back(std::move(s));
  }
  o.extra_targets = [&](const ExtraTargetRequest& req) {
    ExtraTarget e{"teacher", {17, 32, 24}, std::vector<float>(17 * 32 * 24)};
    warp_heatmaps(dump[req.index].maps.data(), 17, dump[req.index].frame, req.frame, flip, e.values.data());
    return std::vector<ExtraTarget>{e};
  };
  BatchLoader loader(instances, coco, o);
  auto b = loader.next();
  REQUIRE(b);
  REQUIRE(b->extra.count("teacher"));
  const at::Tensor teacher = b->extra.at("teacher");
  CHECK(teacher.sizes() == at::IntArrayRef({4, 17, 32, 24}));
  // The warped teacher peaks where the student's own target peaks, flips included.
  const auto weights = b->heatmap_weights.unsqueeze(-1).unsqueeze(-1);
  const double diff = ((teacher - b->heatmaps).abs() * weights).max().item<double>();
  MESSAGE("teacher-vs-target max abs difference: " << diff);
  CHECK(diff < 0.03);
  const auto peak_t = (teacher.flatten(2).argmax(2));
  const auto peak_s = (b->heatmaps.flatten(2).argmax(2));
  int64_t agree = 0, labelled = 0;
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t k = 0; k < 17; ++k)
      if (b->heatmap_weights[i][k].item<float>() > 0) {
        ++labelled;
        agree += peak_t[i][k].item<int64_t>() == peak_s[i][k].item<int64_t>();
      }
  CHECK(agree == labelled);
}

TEST_CASE("loader: real COCO images and annotations (runs when ../shared/realdata exists)") {
  const std::string root = test::realdata_dir();
  if (root.empty()) {
    MESSAGE("no real data beside the checkout: nothing to check here");
    return;
  }
  ReadOptions ro;
  ro.purpose = Purpose::training;
  const Dataset ds = read_dataset(root + "/coco/test_coco.json", ro);
  REQUIRE(!ds.instances.empty());
  LoaderOptions o;
  o.batch_size = 4;
  o.workers = 2;
  o.augment = false;
  o.shuffle = false;
  BatchLoader loader(ds.instances, ds.skeleton, o);
  int64_t samples = 0;
  double worst = 0;
  while (auto b = loader.next()) {
    CHECK(b->images.sizes() == at::IntArrayRef({b->size(), 3, 256, 192}));
    CHECK(b->images.abs().sum().item<double>() > 0);
    for (int64_t i = 0; i < b->size(); ++i, ++samples) {
      const Instance& inst = ds.instances[size_t(b->indices[i].item<int64_t>())];
      CHECK(b->sample_ids[i].item<int64_t>() == inst.sample_id);
      // Targets decoded and taken back through the stored affine land on the annotation.
      const at::Tensor maps = b->heatmaps[i].contiguous();
      auto dec = decode_heatmaps(maps.data_ptr<float>(), 17, 64, 48, {HeatmapDecoder::dark, 11});
      back_project(dec, CropFrame{Affine2D::from(b->affines[i].contiguous().data_ptr<double>()), 192, 256, 48, 64,
                                  CropGeometry::standard});
      const double image_px_per_heatmap_px = b->params[size_t(i)].crop.width / 48;
      for (size_t k = 0; k < 17; ++k) {
        const float x = b->keypoints[i][long(k)][0].item<float>(), y = b->keypoints[i][long(k)][1].item<float>();
        // Joints near the map border lose part of their Gaussian; DARK then is not exact.
        if (b->heatmap_weights[i][long(k)].item<float>() == 0 || x < 40 || y < 40 || x > 152 || y > 216) continue;
        worst = std::max({worst, std::abs(dec[k].x - inst.keypoints[k].x) / image_px_per_heatmap_px,
                          std::abs(dec[k].y - inst.keypoints[k].y) / image_px_per_heatmap_px});
      }
    }
  }
  CHECK(samples == int64_t(ds.instances.size()));
  MESSAGE("real COCO: " << samples << " crops, worst round trip " << worst << " heatmap px");
  CHECK(worst < 0.05);
}

TEST_CASE("loader shards: batch b of every shard together is batch b of one loader of batch B*count") {
  test::ScratchDir dir("loader-shard");
  const auto instances = write_dataset(dir, 11, 1);  // odd: the last shard batch is padded
  const Skeleton& coco = Skeleton::load("coco17");
  LoaderOptions whole = small_options(0);
  whole.batch_size = 4;
  whole.targets.simcc = whole.targets.regression = false;
  BatchLoader single(instances, coco, whole);
  LoaderOptions half = whole;
  half.batch_size = 2;
  half.shard_count = 2;
  half.workers = 1;
  std::vector<std::unique_ptr<BatchLoader>> shards;
  for (int r = 0; r < 2; ++r) {
    half.shard_index = r;
    shards.push_back(std::make_unique<BatchLoader>(instances, coco, half));
  }
  CHECK(single.batches_per_epoch() == 3);
  CHECK(shards[0]->batches_per_epoch() == 3);  // 6 samples each, 12 with one repeated

  for (int64_t skip : {0, 5}) {
    CAPTURE(skip);
    const auto reference = epoch(single, 2);
    std::vector<int64_t> expected;
    for (const auto& b : reference)
      for (int64_t i = 0; i < b.size(); ++i) expected.push_back(b.indices[i].item<int64_t>());
    expected.erase(expected.begin(), expected.begin() + skip);
    for (auto& s : shards) s->start_epoch(2, 0, skip);
    std::vector<int64_t> joined;
    for (int64_t b = 0; b < shards[0]->batches_in_epoch(); ++b) {
      auto b0 = shards[0]->next(), b1 = shards[1]->next();
      REQUIRE((b0 && b1));
      REQUIRE(b0->size() == b1->size());  // equal shard sizes: the mean of the means is the mean
      // Interleaved: shard r holds positions r, r + 2, ... of the batch of B*count.
      for (int64_t i = 0; i < b0->size(); ++i) {
        joined.push_back(b0->indices[i].item<int64_t>());
        joined.push_back(b1->indices[i].item<int64_t>());
        // A sample's crop and augmentation depend on (seed, epoch, sample), not on the shard.
        const int64_t index = b0->indices[i].item<int64_t>();
        for (const auto& rb : reference)
          for (int64_t k = 0; k < rb.size(); ++k)
            if (rb.indices[k].item<int64_t>() == index) CHECK(at::equal(rb.images[k], b0->images[i]));
      }
    }
    CHECK_FALSE(shards[0]->next());
    // Padding repeats the start of what was left of the order.
    const size_t pad = (2 - expected.size() % 2) % 2;
    for (size_t i = 0; i < pad; ++i) expected.push_back(expected[i]);
    CHECK(joined == expected);
  }
  half.shard_index = 2;
  CHECK(test::error_of([&] { BatchLoader bad(instances, coco, half); }) ==
        "loader shard 2 of 2: expected 0 <= index < count");
}
