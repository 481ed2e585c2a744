#include <doctest/doctest.h>

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "posekd/core/error.h"
#include "posekd/core/signals.h"
#include "posekd/data/dataset.h"
#include "posekd/data/synth.h"
#include "posekd/io/checkpoint.h"
#include "posekd/nn/model.h"
#include "posekd/train/pose_selfdistill.h"
#include "posekd/train/predict.h"
#include "posekd/train/sdp_objective.h"
#include "posekd/train/trainer.h"
#include "test_support.h"
#include "train_test_support.h"

using namespace posekd;
using namespace posekd::train;
using posekd::test::make_synth;
using posekd::test::max_difference;

namespace {

const char* const tiny = posekd::test::kTinyModel;

// FNV-1a over a tensor's bytes: equal hashes mean bit-identical contents.
uint64_t hash(const torch::Tensor& t) {
  const auto c = t.contiguous();
  const auto* p = static_cast<const uint8_t*>(c.data_ptr());
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size_t(c.nbytes()); ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

uint64_t batch_hash(const Batch& b) {
  return hash(b.images) ^ (hash(b.heatmaps) * 3) ^ (hash(b.heatmap_weights) * 5) ^ (hash(b.keypoints) * 7);
}

TrainOptions tiny_options(const std::string& annotations, const std::string& output) {
  TrainOptions o = posekd::test::tiny_train_options(annotations, output, 4);
  o.schedule.gamma = 0.5;
  return o;
}

SdpOptions stepping_by(double gamma) {
  SdpOptions s;
  s.gamma = gamma;
  return s;
}

QueuedBatch queued_at(int64_t step) {
  QueuedBatch b;
  b.step = step;
  b.indices = {step, step + 1};
  b.params.resize(2);
  b.params[0].crop.center_x = 10.25 + double(step) / 3;
  b.params[1].crop.rotation = -std::acos(-1.0) / 7;
  b.params[1].crop.flip = true;
  b.predictions = torch::full({2, 3, 4, 2}, 0.1 * double(step + 1)).to(torch::kHalf);
  return b;
}

}  // namespace

TEST_CASE("sdp loss on hand-made tensors: L_gt over both halves + alpha * L_sd against the stored maps") {
  // Rows: fresh (zeros), backup (zeros); ground truth ones; the stored prediction 0.5.
  const auto out = torch::zeros({2, 2, 2, 2});
  const auto targets = torch::ones({2, 2, 2, 2});
  const auto weights = torch::tensor({{1.0f, 1.0f}, {1.0f, 0.0f}});
  const auto stored = torch::full({1, 2, 2, 2}, 0.5);
  // joints_mse = 0.5 · mean over joints of MSE(pred·w, gt·w): L_gt = 0.5·(1+1+1+0)/4 = 0.375,
  // L_sd = 0.5·(0.25 + 0)/2 = 0.0625 with the backup's weights (1, 0).
  auto terms = sdp_loss({out}, targets, weights, stored, weights.narrow(0, 1, 1), 3.0);
  REQUIRE(terms.terms.size() == 2);
  CHECK(terms.terms[0].first == "heatmap_mse");
  CHECK(terms.terms[0].second.item<double>() == doctest::Approx(0.375));
  CHECK(terms.terms[1].first == "sd_mse");
  CHECK(terms.terms[1].second.item<double>() == doctest::Approx(0.0625));
  CHECK(terms.total.item<double>() == doctest::Approx(0.375 + 3 * 0.0625));
  // Every stack is distilled against the one stored final map; float16 storage is read as float.
  terms = sdp_loss({out, out}, targets, weights, stored.to(torch::kHalf), weights.narrow(0, 1, 1), 3.0);
  CHECK(terms.total.item<double>() == doctest::Approx(2 * (0.375 + 3 * 0.0625)));
  // No backup yet: L_sd = 0 and the total is L_gt of the fresh batch.
  terms = sdp_loss({out.narrow(0, 0, 1)}, targets.narrow(0, 0, 1), weights.narrow(0, 0, 1), {}, {}, 3.0);
  CHECK(terms.terms[1].second.item<double>() == 0);
  CHECK(terms.total.item<double>() == doctest::Approx(0.5));
  // The gradient reaches the backup rows through L_sd only (their ground truth is 0 = x here):
  // L_sd = 0.5 · (1/K) · Σ_k mean over N·h·w = Σ (x − 0.5)² / 16, so dL/dx = 3 · 2 · (0 − 0.5) / 16.
  auto x = torch::zeros({2, 2, 2, 2}, torch::requires_grad());
  sdp_loss({x}, torch::zeros({2, 2, 2, 2}), torch::ones({2, 2}), stored, torch::ones({1, 2}), 3.0).total.backward();
  CHECK(x.grad()[0].abs().sum().item<double>() == 0);
  CHECK(x.grad()[1][0][0][0].item<double>() == doctest::Approx(3 * 2 * -0.5 / 16));
  CHECK_THROWS_AS(sdp_loss({out.narrow(0, 0, 1)}, targets, weights, torch::zeros({2, 2, 2, 2}), weights, 3.0), Error);
}

TEST_CASE("exact float32 triples carry float64 values and integers bit for bit") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> uniform(-5000, 5000);
  float parts[3];
  for (int i = 0; i < 10000; ++i) {
    const double v = uniform(rng) * std::pow(10.0, double(int(rng() % 12)) - 6);
    split_exact(v, parts);
    CHECK(join_exact(parts) == v);
  }
  for (const double v : {0.0, -0.0, 1.0 / 3, 123456789012345.0, double(int64_t(1) << 52) + 1}) {
    split_exact(v, parts);
    CHECK(join_exact(parts) == v);
  }
  CHECK_THROWS_WITH_AS(split_exact(1e-300, parts), doctest::Contains("cannot be stored exactly"), Error);
}

TEST_CASE("the queue keeps the last s batches and hands out step t - s; state round-trips exactly") {
  SdpQueue queue;
  CHECK(queue.backup_for(0, 1) == nullptr);
  for (int64_t t = 0; t < 5; ++t) queue.push(queued_at(t), 1);
  CHECK(queue.size() == 1);
  CHECK(queue.backup_for(5, 1)->step == 4);
  // The distance grew to 3: the oldest batch held stands in until three are queued.
  CHECK(queue.backup_for(5, 3)->step == 4);
  queue.push(queued_at(5), 3);
  CHECK(queue.backup_for(6, 3)->step == 4);
  queue.push(queued_at(6), 3);
  queue.push(queued_at(7), 3);
  CHECK(queue.size() == 3);
  CHECK(queue.backup_for(8, 3)->step == 5);
  CHECK(queue.bytes() == 3 * (2 * 8 + 2 * int64_t(sizeof(AugParams)) + 2 * 3 * 4 * 2 * 2));
  CHECK_THROWS_WITH_AS(queue.push(queued_at(10), 3), doctest::Contains("step 10 queued after step 7"), Error);

  const auto arrays = queue.to_arrays();
  const auto back = SdpQueue::from_arrays(arrays, "x.ckpt.h5", torch::kCPU);
  REQUIRE(back.size() == queue.size());
  for (size_t n = 0; n < back.size(); ++n) {
    const auto &a = queue.batches()[n], &b = back.batches()[n];
    CHECK(a.step == b.step);
    CHECK(a.indices == b.indices);
    for (size_t i = 0; i < a.params.size(); ++i) {
      double pa[AugParams::kFields], pb[AugParams::kFields];
      a.params[i].to_array(pa);
      b.params[i].to_array(pb);
      CHECK(std::memcmp(pa, pb, sizeof pa) == 0);
    }
    CHECK((b.predictions.scalar_type() == torch::kHalf));
    CHECK(hash(a.predictions) == hash(b.predictions));
  }
  auto broken = arrays;
  for (auto& a : broken)
    if (a.name == "queue/1/aug") a.shape = {2, 9, 3};
  CHECK_THROWS_WITH_AS(SdpQueue::from_arrays(broken, "x.ckpt.h5", torch::kCPU),
                       doctest::Contains("x.ckpt.h5:/extra/state/queue/1/aug: expected [2,10,3], found [2,9,3]"),
                       Error);
  broken = arrays;
  broken.erase(broken.begin() + 5);
  CHECK_THROWS_WITH_AS(SdpQueue::from_arrays(broken, "x.ckpt.h5", torch::kCPU),
                       doctest::Contains("x.ckpt.h5:/extra/state/queue/1/indices: missing"), Error);
}

TEST_CASE("stepping multiplies s by gamma when the lr is divided by gamma, and only then") {
  SdpObjective sdp(stepping_by(10));
  CHECK(sdp.distance() == 1);
  sdp.on_lr_change(1e-5, 1e-3);  // warmup: the lr rises
  CHECK(sdp.distance() == 1);
  sdp.on_lr_change(1e-3, 1e-4);
  CHECK(sdp.distance() == 10);
  sdp.on_lr_change(1e-4, 0.9e-4);  // a cosine-like decrease is no division by gamma
  CHECK(sdp.distance() == 10);
  sdp.on_lr_change(1e-2, 1e-4);  // two milestones at once
  CHECK(sdp.distance() == 1000);
  SdpOptions fixed = stepping_by(10);
  fixed.no_stepping = true;
  SdpObjective ablation(fixed);
  ablation.on_lr_change(1e-3, 1e-4);
  CHECK(ablation.distance() == 1);

  ScheduleOptions schedule;
  schedule.milestones = {3};
  CHECK(validate(stepping_by(10), schedule).empty());
  schedule.policy = "cosine";
  CHECK_THROWS_WITH_AS(validate(stepping_by(10), schedule),
                       doctest::Contains("--lr-policy cosine: the stepping strategy multiplies s by 10"), UsageError);
  CHECK(validate(fixed, schedule).empty());
  schedule.policy = "multistep";
  schedule.gamma = 0.5;
  CHECK_THROWS_WITH_AS(validate(stepping_by(10), schedule), doctest::Contains("--gamma 0.5: the stepping strategy"),
                       UsageError);
  CHECK(validate(stepping_by(2), schedule).empty());
  schedule.milestones.clear();
  CHECK(validate(stepping_by(2), schedule).find("distance stays s = 1") != std::string::npos);
}

TEST_CASE("the backup of step t is the batch of step t - s re-rendered bit for bit, also across a stepping") {
  test::ScratchDir dir("sdp-queue");
  const auto annotations = make_synth(dir, "train", 10);
  ReadOptions ro;
  ro.purpose = Purpose::training;
  const Dataset data = read_dataset(annotations, ro);
  auto model = nn::make_model(nn::ModelSpec::parse(tiny), 3);
  model->train();
  LoaderOptions lo;
  lo.batch_size = 3;
  lo.workers = 1;
  lo.seed = 9;
  lo.augmentation.rotation_prob = 1;  // every crop differs from the plain one
  lo.targets = model_targets(model->info(), HeatmapCodec::unbiased);
  SdpObjective sdp(stepping_by(3));
  sdp.configure_loader(lo);
  BatchLoader loader(data.instances, data.skeleton, lo);
  sdp.attach_loader(&loader);

  std::map<int64_t, uint64_t> fresh_hash;
  int64_t step = 0, checked = 0;
  for (int64_t epoch = 0; epoch < 4; ++epoch) {
    loader.start_epoch(epoch);
    while (auto batch = loader.next()) {
      if (step == 6) sdp.on_lr_change(1e-2, 1e-2 / 3);
      // After the stepping at step 6 the distance is 3, reached once three batches are queued.
      const int64_t expected_distance = step < 6 ? 1 : std::min<int64_t>(step - 5, 3);
      if (step > 0) {
        const auto backup = sdp.backup_batch(step);
        REQUIRE(backup);
        CHECK(batch_hash(*backup) == fresh_hash.at(step - expected_distance));
        CHECK(sdp.queue().backup_for(step, sdp.distance())->step == step - expected_distance);
        ++checked;
      }
      fresh_hash[step] = batch_hash(*batch);
      sdp.loss(*model, *batch, {epoch, 4, step, 1e-2, torch::kCPU});
      CHECK(sdp.queue().size() == size_t(step < 6 ? 1 : std::min<int64_t>(step - 4, 3)));
      CHECK((sdp.queue().batches().back().predictions.scalar_type() == torch::kHalf));
      ++step;
    }
  }
  CHECK(checked == step - 1);
  CHECK(step >= 12);
  sdp.attach_loader(nullptr);
}

TEST_CASE("resume: an interrupted and resumed SDP run ends as the uninterrupted one, queue included") {
  test::ScratchDir dir("sdp-resume");
  const auto annotations = make_synth(dir, "train", 14);
  SdpObjective straight_objective(stepping_by(2));
  auto straight = tiny_options(annotations, dir.file("straight.ckpt.h5"));
  const auto r = run_train(straight, straight_objective);
  const int64_t per_epoch = r.steps / 2;
  REQUIRE(per_epoch >= 3);
  CHECK(straight_objective.distance() == 2);  // the milestone halved the lr
  const auto reference = io::read_checkpoint(straight.output);
  REQUIRE(io::find_array(reference.extra, "state/queue/1/predictions"));

  // Stops in epoch 1 (s = 1) and in epoch 2 right after the stepping, with the queue still filling.
  for (const int64_t stop_at : {int64_t(2), per_epoch + 1}) {
    CAPTURE(stop_at);
    clear_interrupt_for_tests();
    auto first = tiny_options(annotations, dir.file("parts.ckpt.h5"));
    first.force = true;
    first.stop_after = stop_at;
    SdpObjective first_objective(stepping_by(2));
    CHECK_THROWS_AS(run_train(first, first_objective), Interrupted);
    auto second = tiny_options(annotations, first.output);
    second.resume = first.output;
    SdpObjective second_objective(stepping_by(2));
    CHECK(run_train(second, second_objective).steps == r.steps);
    CHECK(second_objective.distance() == 2);
    const auto parts = io::read_checkpoint(first.output);
    CHECK(max_difference(parts.params, reference.params) < 1e-6f);
    CHECK(max_difference(parts.buffers, reference.buffers) < 1e-5f);
    CHECK(max_difference(parts.extra, reference.extra) < 1e-3f);  // stored float16 maps: one ulp near 1
    CHECK(max_difference(parts.train->optimizer, reference.train->optimizer) < 1e-6f);
  }

  PoseSelfdistillOptions simcc;
  simcc.train = tiny_options(annotations, dir.file("simcc.ckpt.h5"));
  simcc.train.model = "resnet:depth=18,width=2,deconvs=1,deconv_channels=4,input=32x32,head=simcc";
  std::ostringstream out;
  CHECK_THROWS_WITH_AS(run_pose_selfdistill(simcc, out), doctest::Contains("SDP distils heatmaps and this model has a simcc head"),
                       UsageError);
  // A checkpoint of another objective has no queue to resume.
  SdpObjective fresh(stepping_by(2));
  CHECK_THROWS_WITH_AS(fresh.load_state({}, "gt.ckpt.h5"),
                       doctest::Contains("gt.ckpt.h5:/extra/state/distance: missing"), Error);
}
