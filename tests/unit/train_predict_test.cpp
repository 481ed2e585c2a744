#include <doctest/doctest.h>

#include <cmath>

#include "posekd/codec/flip_test.h"
#include "posekd/codec/simcc.h"
#include "posekd/core/error.h"
#include "posekd/data/dataset.h"
#include "posekd/data/loader.h"
#include "posekd/data/synth.h"
#include "posekd/eval/keypoint_eval.h"
#include "posekd/eval/run_eval.h"
#include "posekd/train/model_checkpoint.h"
#include "posekd/train/predict.h"
#include "test_support.h"

using namespace posekd;

namespace {

const char* heatmap_spec = "resnet:depth=18,width=4,deconvs=3,deconv_channels=8,joints=17,input=64x64";

// A tiny synthetic validation set, made once per process.
const Dataset& tiny_dataset() {
  static test::ScratchDir dir("predict");
  static const Dataset dataset = [] {
    SynthOptions o;
    o.output_dir = dir.file("synth");
    o.images = 4;
    o.split = "val";
    o.width = 128;
    o.height = 96;
    o.threads = 1;
    const SynthSummary s = run_synth(o);
    return read_dataset(s.annotation_path);
  }();
  return dataset;
}

// BatchNorm statistics moved off their start, so eval-mode outputs are not trivially uniform.
nn::PoseModel tiny_model(const std::string& spec) {
  auto model = nn::make_model(spec, 7);
  torch::NoGradGuard no_grad;
  const auto size = model->info().input;
  model->forward(torch::randn({2, 3, size.height, size.width}));
  model->eval();
  return model;
}

const Skeleton& coco() { return *Skeleton::find_builtin("coco17"); }

}  // namespace

TEST_CASE("predict: heatmap model, shapes, flip-test merge, coords = decode of the maps") {
  const Dataset& ds = tiny_dataset();
  REQUIRE(ds.instances.size() >= 3);
  auto model = tiny_model(heatmap_spec);
  train::PredictOptions o;
  o.batch_size = 2;
  o.workers = 1;
  o.keep_outputs = true;
  o.features = {model->forward(torch::zeros({1, 3, 64, 64})).features.front().name};
  std::vector<at::Tensor> maps;
  std::vector<int64_t> firsts;
  const auto preds = train::predict(*model, coco(), HeatmapCodec::unbiased, ds.instances, o, [&](const train::PredictedBatch& b) {
    CHECK(b.heatmaps.sizes() == at::IntArrayRef{b.size, 17, 16, 16});
    CHECK(b.features.at(o.features.front()).size(0) == b.size);
    CHECK_FALSE(b.simcc_x.defined());
    maps.push_back(b.heatmaps.clone());
    firsts.push_back(b.first);
  });
  REQUIRE(preds.size() == ds.instances.size());
  CHECK(firsts.front() == 0);
  CHECK(maps.size() == (ds.instances.size() + 1) / 2);
  for (size_t i = 0; i < preds.size(); ++i) {
    CHECK(preds[i].index == int64_t(i));
    CHECK(preds[i].sample_id == ds.instances[i].sample_id);
    CHECK(preds[i].keypoints.size() == 17 * 3);
  }

  // The same crops run by hand: forward, forward of the mirrored input, merge with shift.
  LoaderOptions lo;
  lo.batch_size = 2;
  lo.workers = 0;
  lo.shuffle = false;
  lo.augment = false;
  lo.targets.input_w = lo.targets.input_h = 64;
  lo.targets.heatmap_w = lo.targets.heatmap_h = 16;
  lo.targets.heatmaps = false;
  BatchLoader loader(ds.instances, coco(), lo);
  torch::NoGradGuard no_grad;
  const Batch batch = *loader.next();
  const at::Tensor a = model->forward(batch.images).final_heatmaps().contiguous();
  const at::Tensor f = model->forward(batch.images.flip({3})).final_heatmaps().contiguous();
  std::vector<float> merged(17 * 16 * 16);
  merge_flip_test(a[1].data_ptr<float>(), f[1].data_ptr<float>(), 17, 16, 16, coco().flip_index(), 1.0, merged.data());
  CHECK(std::equal(merged.begin(), merged.end(), maps[0][1].data_ptr<float>()));

  // Coordinates are the decoded stored maps, back in the image through the crop.
  HeatmapDecodeOptions d;
  d.decoder = HeatmapDecoder::dark;
  d.blur_kernel = default_blur_kernel(16);
  for (size_t i = 0; i < preds.size(); ++i) {
    auto k = decode_heatmaps(maps[i / 2][int64_t(i % 2)].data_ptr<float>(), 17, 16, 16, d);
    back_project(k, CropFrame{preds[i].crop, 64, 64, 16, 16, CropGeometry::standard});
    for (int j = 0; j < 17; ++j) {
      CHECK(preds[i].keypoints[3 * j] == k[j].x);
      CHECK(preds[i].keypoints[3 * j + 1] == k[j].y);
      CHECK(preds[i].keypoints[3 * j + 2] == k[j].score);
    }
  }
  // Without keeping predictions, the callback still sees each batch's, at the same offsets.
  o.keep_predictions = false;
  o.keep_outputs = false;
  size_t seen = 0;
  const auto none = train::predict(*model, coco(), HeatmapCodec::unbiased, ds.instances, o, [&](const train::PredictedBatch& b) {
    CHECK(b.first == int64_t(seen));
    for (int64_t i = 0; i < b.size; ++i) CHECK(b.predictions[i].keypoints == preds[seen++].keypoints);
  });
  CHECK(none.empty());
  CHECK(seen == preds.size());
  CHECK(default_blur_kernel(48) == 11);
  CHECK(default_blur_kernel(72) == 17);
}

TEST_CASE("predict: SimCC and regression heads decode their own outputs") {
  const Dataset& ds = tiny_dataset();
  train::PredictOptions o;
  o.batch_size = 4;
  o.workers = 0;
  o.keep_outputs = true;

  auto simcc = tiny_model(std::string(heatmap_spec) + ",head=simcc");
  std::vector<at::Tensor> xs, ys;
  const auto ps = train::predict(*simcc, coco(), HeatmapCodec::unbiased, ds.instances, o, [&](const train::PredictedBatch& b) {
    CHECK_FALSE(b.heatmaps.defined());
    CHECK(b.simcc_x.size(2) == 128);
    xs.push_back(b.simcc_x);
    ys.push_back(b.simcc_y);
  });
  auto k = decode_simcc(xs[0][0].data_ptr<float>(), ys[0][0].data_ptr<float>(), 17, 128, 128, 2.0);
  const Point2 image = ps[0].crop.inverse().apply({k[3].x, k[3].y});
  CHECK(ps[0].keypoints[9] == doctest::Approx(image.x).epsilon(1e-12));
  CHECK(ps[0].keypoints[10] == doctest::Approx(image.y).epsilon(1e-12));

  auto regression = tiny_model(std::string(heatmap_spec) + ",head=regression,dim=16,layers=1,heads=2,mlp=16,patch=4x4");
  int batches = 0;
  const auto pr = train::predict(*regression, coco(), HeatmapCodec::unbiased, ds.instances, o, [&](const train::PredictedBatch& b) {
    CHECK(b.coords.sizes() == at::IntArrayRef{b.size, 17, 2});
    CHECK(b.keypoint_tokens.defined() == false);  // tokens only on request
    ++batches;
  });
  CHECK(batches == int((ds.instances.size() + 3) / 4));
  for (const auto& p : pr)
    for (double v : p.keypoints) CHECK(std::isfinite(v));
}

TEST_CASE("predict: results written as COCO JSON evaluate as the in-process results") {
  const Dataset& ds = tiny_dataset();
  test::ScratchDir dir("predict-results");
  auto model = tiny_model(heatmap_spec);
  // Through a checkpoint, as the tools load it.
  const std::string ckpt = dir.file("m.ckpt.h5");
  io::write_checkpoint(train::model_checkpoint(*model, coco(), HeatmapCodec::unbiased), ckpt);
  const train::LoadedModel loaded = train::load_model(ckpt, torch::kCPU, &coco());
  train::PredictOptions o;
  o.workers = 2;
  const auto preds = train::predict(*loaded.model, coco(), loaded.codec, ds.instances, o);
  CHECK(preds[0].keypoints == train::predict(*model, coco(), HeatmapCodec::unbiased, ds.instances, o)[0].keypoints);

  train::ResultOptions r;
  r.oks_nms = 0.9;
  const PosePredictions in_process = train::predictions_to_results(preds, coco(), r);
  const std::string json = dir.file("preds.json");
  train::write_coco_results(in_process, json);
  const PosePredictions read = read_predictions(json, PredictionFormat::coco_results, ds);
  REQUIRE(read.detections.size() == in_process.detections.size());
  for (size_t i = 0; i < read.detections.size(); ++i) {
    CHECK(read.detections[i].keypoints == in_process.detections[i].keypoints);
    CHECK(read.detections[i].score == in_process.detections[i].score);
  }

  KeypointEvalParams params;
  params.sigmas = coco().sigmas;
  std::vector<int64_t> images;
  for (const auto& im : ds.images) images.push_back(im.id);
  const auto direct = coco_keypoint_stats(evaluate_keypoints(eval_ground_truths(ds), in_process.detections, images, params));
  EvalOptions e;
  e.ground_truth = ds.path;
  e.predictions = {json};
  const auto reports = evaluate(e);
  REQUIRE(reports.size() == 1);
  for (size_t i = 0; i < direct.size(); ++i) CHECK(reports[0].summary[i].second == direct[i]);
}

TEST_CASE("predict: a model in training mode predicts with running statistics and keeps its mode") {
  // The Trainer validates a model it is training: BatchNorm must not use the batch's own
  // statistics, or validation would disagree with pose-dump-heatmaps on the same checkpoint.
  const Dataset& ds = tiny_dataset();
  auto model = tiny_model(heatmap_spec);
  train::PredictOptions o;
  o.batch_size = 2;
  o.workers = 0;
  const auto in_eval = train::predict(*model, coco(), HeatmapCodec::unbiased, ds.instances, o);
  model->train();
  const auto in_training = train::predict(*model, coco(), HeatmapCodec::unbiased, ds.instances, o);
  CHECK(model->is_training());
  REQUIRE(in_eval.size() == in_training.size());
  for (size_t i = 0; i < in_eval.size(); ++i) CHECK(in_eval[i].keypoints == in_training[i].keypoints);
}

TEST_CASE("predict: a skeleton of another joint count is refused") {
  auto model = tiny_model(heatmap_spec);
  CHECK_THROWS_WITH_AS(train::predict(*model, *Skeleton::find_builtin("mpii16"), HeatmapCodec::unbiased, {}, {}),
                       "model resnet:depth=18,width=4,deconvs=3,deconv_channels=8,joints=17,input=64x64,head=heatmap "
                       "predicts 17 joints, skeleton mpii16 has 16",
                       UsageError);
}
