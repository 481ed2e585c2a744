#include <doctest/doctest.h>

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "posekd/core/error.h"
#include "posekd/core/signals.h"
#include "posekd/data/synth.h"
#include "posekd/io/checkpoint.h"
#include "posekd/loss/gt_losses.h"
#include "posekd/train/gt_objective.h"
#include "posekd/train/trainer.h"
#include "test_support.h"
#include "train_test_support.h"

using namespace posekd;
using namespace posekd::train;
using posekd::test::make_synth;
using posekd::test::max_difference;

namespace {

const char* const tiny = posekd::test::kTinyModel;

TrainOptions tiny_options(const std::string& annotations, const std::string& output) {
  return posekd::test::tiny_train_options(annotations, output, 8);
}

// gt plus a trained extra module and a state counter, so resume covers the Objective surface.
class ExtrasObjective : public GtObjective {
 public:
  ExtrasObjective() : GtObjective(nn::HeadType::heatmap) {
    torch::manual_seed(11);  // an objective initialises its modules from its own seed
    align_ = torch::nn::Conv2d(torch::nn::Conv2dOptions(17, 17, 1));
  }
  std::vector<NamedModule> extra_modules() override { return {{"align", align_.ptr()}}; }
  LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) override {
    auto terms = GtObjective::loss(model, batch, context);
    const auto extra = 1e-3 * align_->forward(batch.heatmaps).pow(2).mean();
    terms.total = terms.total + extra;
    terms.terms.emplace_back("align", extra.detach());
    ++steps_seen_;
    return terms;
  }
  std::vector<io::NamedArray> state() const override { return {{"steps_seen", {}, {float(steps_seen_)}}}; }
  void load_state(const std::vector<io::NamedArray>& arrays, const std::string& origin) override {
    REQUIRE(arrays.size() == 1);
    CHECK(arrays[0].name == "steps_seen");
    (void)origin;
    steps_seen_ = int64_t(arrays[0].values.at(0));
  }
  int64_t steps_seen_ = 0;

 private:
  torch::nn::Conv2d align_{nullptr};
};

}  // namespace

TEST_CASE("gt losses on hand-made tensors equal the reference formulas") {
  // JointsMSELoss: 0.5 · mean over joints of MSE(pred·w, gt·w); joint 1 has weight 0.
  const auto pred = torch::zeros({1, 2, 2, 2}), target = torch::ones({1, 2, 2, 2});
  const auto weights = torch::tensor({{1.0f, 0.0f}});
  CHECK(loss::joints_mse(pred, target, weights).item<double>() == doctest::Approx(0.25));
  CHECK(loss::stacked_joints_mse({pred, pred}, target, weights).item<double>() == doctest::Approx(0.5));
  CHECK_THROWS_AS(loss::joints_mse(torch::zeros({1, 2, 2, 3}), target, weights), Error);

  // KLDiscretLoss: uniform logits against a one-hot label: KL = log(bins), averaged over the
  // bins, summed over both axes and samples, divided by K. Joint 1 (weight 0) adds nothing.
  auto labels_x = torch::zeros({1, 2, 4}), labels_y = torch::zeros({1, 2, 2});
  labels_x.index_put_({0, 0, 0}, 1.0f);
  labels_y.index_put_({0, 0, 1}, 1.0f);
  const double expected = (std::log(4.0) / 4 + std::log(2.0) / 2) / 2;
  CHECK(loss::simcc_kl(torch::zeros({1, 2, 4}), torch::zeros({1, 2, 2}), labels_x, labels_y, weights, {})
            .item<double>() == doctest::Approx(expected));
  // β scales the logits before the softmax: logits favouring the labelled bins lower the loss.
  auto logits_x = torch::zeros({1, 2, 4});
  logits_x.index_put_({0, 0, 0}, 1.0f);
  loss::SimccLossOptions sharp;
  sharp.beta = 10;
  CHECK(loss::simcc_kl(logits_x, torch::zeros({1, 2, 2}), labels_x, labels_y, weights, sharp).item<double>() <
        loss::simcc_kl(logits_x, torch::zeros({1, 2, 2}), labels_x, labels_y, weights, {}).item<double>());

  // SmoothL1 (β = 1) on weighted normalised coordinates, mean over N·K·2.
  const auto coords = torch::zeros({1, 2, 2});
  const auto truth = torch::tensor({{{0.5f, 2.0f}, {1.0f, 1.0f}}});
  CHECK(loss::regression_smooth_l1(coords, truth, weights).item<double>() == doctest::Approx((0.125 + 1.5) / 4));
}

TEST_CASE("resume: 2 epochs straight equal 1 epoch + resume, and a mid-epoch stop + resume") {
  test::ScratchDir dir("train-resume");
  const auto annotations = make_synth(dir, "train", 10);

  ExtrasObjective straight_objective;
  auto straight = tiny_options(annotations, dir.file("straight.ckpt.h5"));
  const auto r = run_train(straight, straight_objective);
  CHECK(r.epochs == 2);
  const int64_t per_epoch = r.steps / 2;
  REQUIRE(per_epoch >= 2);
  const auto reference = io::read_checkpoint(straight.output);

  // per_epoch + 1: resumed past the milestone, the optimizer must start at the decayed lr.
  for (const int64_t stop_at : {per_epoch, int64_t(1), per_epoch + 1}) {
    CAPTURE(stop_at);
    clear_interrupt_for_tests();
    auto first = tiny_options(annotations, dir.file("parts.ckpt.h5"));
    first.force = true;
    first.stop_after = stop_at;
    ExtrasObjective first_objective;
    CHECK_THROWS_AS(run_train(first, first_objective), Interrupted);
    const auto stopped = io::read_checkpoint(first.output);
    REQUIRE(stopped.train);
    CHECK(stopped.train->step == stop_at);
    CHECK(stopped.train->epoch == stop_at / per_epoch);

    auto second = tiny_options(annotations, first.output);
    second.resume = first.output;
    ExtrasObjective second_objective;
    const auto resumed = run_train(second, second_objective);
    CHECK(resumed.steps == r.steps);
    CHECK(second_objective.steps_seen_ == straight_objective.steps_seen_);
    const auto parts = io::read_checkpoint(first.output);
    CHECK(max_difference(parts.params, reference.params) < 1e-6f);
    CHECK(max_difference(parts.buffers, reference.buffers) < 1e-5f);
    CHECK(max_difference(parts.extra, reference.extra) < 1e-6f);
    CHECK(max_difference(parts.train->optimizer, reference.train->optimizer) < 1e-6f);
  }

  // A checkpoint of another architecture is refused before training.
  auto other = tiny_options(annotations, dir.file("other.ckpt.h5"));
  other.model = "resnet:depth=18,width=4,deconvs=1,deconv_channels=4,input=32x32";
  other.resume = straight.output;
  ExtrasObjective other_objective;
  CHECK_THROWS_WITH_AS(run_train(other, other_objective), doctest::Contains("/model_spec: expected"), Error);
  // Another batch size resumes at the same sample of the epoch (as another world size does,
  // doc/DECISIONS.md "train: distributed"): the run continues to its last epoch.
  auto rebatched = tiny_options(annotations, dir.file("rebatched.ckpt.h5"));
  rebatched.resume = straight.output;
  rebatched.batch_size = 3;
  rebatched.epochs = 3;
  const TrainResult resumed = run_train(rebatched, other_objective);
  CHECK(resumed.epochs == 3);
}

namespace {
class NanAtStep : public GtObjective {
 public:
  explicit NanAtStep(int64_t step) : GtObjective(nn::HeadType::heatmap), step_(step) {}
  LossTerms loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) override {
    auto terms = GtObjective::loss(model, batch, context);
    if (context.step == step_) terms.total = terms.total * std::numeric_limits<float>::quiet_NaN();
    return terms;
  }

 private:
  int64_t step_;
};
}  // namespace

TEST_CASE("a NaN loss stops the run naming the step, and the last checkpoint stays the last good one") {
  test::ScratchDir dir("train-nan");
  const auto annotations = make_synth(dir, "train", 6);
  auto o = tiny_options(annotations, dir.file("nan.ckpt.h5"));
  GtObjective probe(nn::HeadType::heatmap);
  auto one = o;
  one.epochs = 1;
  one.output = dir.file("probe.ckpt.h5");
  const int64_t per_epoch = run_train(one, probe).steps;
  NanAtStep objective(per_epoch + 1);
  CHECK_THROWS_WITH_AS(run_train(o, objective),
                       doctest::Contains(("step " + std::to_string(per_epoch + 1) + " (epoch 2").c_str()), Error);
  const auto kept = io::read_checkpoint(o.output);
  REQUIRE(kept.train);
  CHECK(kept.train->step == per_epoch);
  CHECK(kept.train->epoch == 1);
}
