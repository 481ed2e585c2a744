#include <doctest/doctest.h>

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "fake_teacher.h"
#include "posekd/core/error.h"
#include "posekd/data/synth.h"
#include "posekd/data/dataset.h"
#include "posekd/eval/postprocess.h"
#include "posekd/loss/distilpose_losses.h"
#include "posekd/loss/gt_losses.h"
#include "posekd/train/distilpose_objective.h"
#include "posekd/train/predict.h"
#include "test_support.h"

using namespace posekd;
using namespace posekd::train;

namespace {

// Both read a 16x8 map at 1/4 of the 64x32 input in 4x2 patches: 16 visual tokens each.
const char* student_spec =
    "resnet:depth=18,width=2,deconvs=3,deconv_channels=4,joints=17,input=64x32,head=regression,dim=8,layers=1,heads=2,"
    "patch=4x2";
const char* teacher_spec = "tokenpose:stem_width=4,dim=16,layers=1,heads=2,joints=17,input=64x32,patch=4x2";

Batch regression_batch() {
  torch::manual_seed(31);
  Batch b;
  b.images = torch::randn({2, 3, 64, 32});
  b.regression = torch::rand({2, 17, 2});
  b.regression_weights = torch::ones({2, 17});
  b.regression_weights[1][4] = 0;
  b.params.resize(2);
  return b;
}

std::unique_ptr<test::FakeTeacher> fake_teacher(const char* spec = teacher_spec, bool live = true) {
  return std::make_unique<test::FakeTeacher>(spec, live);
}

struct Setup {
  nn::PoseModel student = nn::make_model(student_spec, 1);
  Batch batch = regression_batch();
  Setup() { student->eval(); }
};

}  // namespace

TEST_CASE("distilpose objective: L = L_reg + a1 L_KT + a2 L_VT + a3 L_SH + a4 L_CS, term by term") {
  Setup s;
  auto owned = fake_teacher();
  test::FakeTeacher& teacher = *owned;
  DistilPoseObjective objective(nn::ModelSpec::parse(student_spec), std::move(owned), {}, HeatmapCodec::unbiased, 5,
                                torch::kCPU);
  LoaderOptions lo;
  lo.targets.heatmap_w = 12;
  objective.configure_loader(lo);
  CHECK(lo.targets.regression);
  CHECK_FALSE(lo.targets.heatmaps);
  CHECK(teacher.configured_heatmap_w == 12);

  const auto modules = objective.extra_modules();  // widths 8 -> 16 for both token kinds
  REQUIRE(modules.size() == 2);
  CHECK(modules[0].first == "align_keypoint_tokens");
  CHECK(modules[1].first == "align_visual_tokens");

  const LossTerms terms = objective.loss(*s.student, s.batch, StepContext{});
  CHECK(test::term_names(terms) == std::vector<std::string>{"smooth_l1", "keypoint_token_mse", "visual_token_mse",
                                                 "simulated_heatmap_mse", "confidence_l1"});
  const auto out = s.student->forward(s.batch.images);
  const auto t = teacher.model().forward(s.batch.images);
  auto* kt_align = modules[0].second->as<torch::nn::Linear>();
  auto* vt_align = modules[1].second->as<torch::nn::Linear>();
  REQUIRE(kt_align);
  REQUIRE(vt_align);
  const double reg = loss::regression_smooth_l1(out.coords, s.batch.regression, s.batch.regression_weights).item<double>();
  const double kt = loss::token_mse(kt_align->forward(out.keypoint_tokens), t.keypoint_tokens).item<double>();
  const double vt = loss::token_mse(vt_align->forward(out.visual_tokens), t.visual_tokens).item<double>();
  const auto& maps = t.final_heatmaps();
  REQUIRE(maps.sizes() == at::IntArrayRef{2, 17, 16, 8});
  const double sh =
      loss::simulated_heatmap_mse(out.coords, out.sigma, maps, s.batch.regression_weights, {8, 16}).item<double>();
  const double cs = loss::confidence_l1(out.coords, out.score, maps, s.batch.regression_weights).item<double>();
  CHECK(test::term_value(terms, "smooth_l1") == doctest::Approx(reg).epsilon(1e-6));
  CHECK(test::term_value(terms, "keypoint_token_mse") == doctest::Approx(kt).epsilon(1e-5));
  CHECK(test::term_value(terms, "visual_token_mse") == doctest::Approx(vt).epsilon(1e-5));
  CHECK(test::term_value(terms, "simulated_heatmap_mse") == doctest::Approx(sh).epsilon(1e-5));
  CHECK(test::term_value(terms, "confidence_l1") == doctest::Approx(cs).epsilon(1e-5));
  CHECK(terms.total.item<double>() ==
        doctest::Approx(reg + 5e-4 * kt + 5e-4 * vt + 1.0 * sh + 1e-2 * cs).epsilon(1e-5));

  SUBCASE("gradients reach the student and the alignments, not the teacher") {
    terms.total.backward();
    CHECK(kt_align->weight.grad().abs().sum().item<double>() > 0);
    CHECK(vt_align->weight.grad().abs().sum().item<double>() > 0);
    double student_grad = 0;
    for (const auto& p : s.student->parameters())
      if (p.grad().defined()) student_grad += p.grad().abs().sum().item<double>();
    CHECK(student_grad > 0);
    for (const auto& p : teacher.model().parameters()) CHECK_FALSE(p.grad().defined());
  }
}

TEST_CASE("distilpose objective: each term switches off (the paper's ablation)") {
  Setup s;
  int teacher_runs = 0;
  const auto run = [&](const DistilPoseOptions& o) {
    auto owned = fake_teacher();
    test::FakeTeacher& teacher = *owned;
    DistilPoseObjective objective(nn::ModelSpec::parse(student_spec), std::move(owned), o, HeatmapCodec::unbiased, 5,
                                  torch::kCPU);
    const auto n = test::term_names(objective.loss(*s.student, s.batch, StepContext{}));
    teacher_runs = teacher.runs;
    return n;
  };
  DistilPoseOptions o;
  o.no_keypoint_tokens = true;
  CHECK(run(o) == std::vector<std::string>{"smooth_l1", "visual_token_mse", "simulated_heatmap_mse", "confidence_l1"});
  o.no_visual_tokens = true;
  CHECK(run(o) == std::vector<std::string>{"smooth_l1", "simulated_heatmap_mse", "confidence_l1"});
  CHECK_FALSE(distilpose_requirements(o).tokens);
  CHECK(distilpose_requirements(o).heatmaps);
  o.no_heatmaps = true;
  CHECK(run(o) == std::vector<std::string>{"smooth_l1", "confidence_l1"});
  o.no_confidence = true;
  CHECK(run(o) == std::vector<std::string>{"smooth_l1"});
  CHECK(teacher_runs == 0);
  CHECK_FALSE(distilpose_requirements(o).heatmaps);

  DistilPoseOptions only_tokens;
  only_tokens.no_heatmaps = only_tokens.no_confidence = true;
  CHECK(distilpose_requirements(only_tokens).needs_online());
  CHECK_FALSE(distilpose_requirements(only_tokens).heatmaps);
}

TEST_CASE("distilpose objective: UDP geometry scales the simulated maps by (W-1)/(w-1)") {
  Setup s;
  DistilPoseOptions o;
  o.no_keypoint_tokens = o.no_visual_tokens = o.no_confidence = true;
  auto owned = fake_teacher();
  test::FakeTeacher& teacher = *owned;
  DistilPoseObjective objective(nn::ModelSpec::parse(student_spec), std::move(owned), o, HeatmapCodec::udp, 5,
                                torch::kCPU);
  const auto terms = objective.loss(*s.student, s.batch, StepContext{});
  const auto out = s.student->forward(s.batch.images);
  const auto maps = teacher.model().forward(s.batch.images).final_heatmaps();
  const loss::MapScale udp{32.0 * 7 / 31, 64.0 * 15 / 63};
  CHECK(test::term_value(terms, "simulated_heatmap_mse") ==
        doctest::Approx(loss::simulated_heatmap_mse(out.coords, out.sigma, maps, s.batch.regression_weights, udp)
                            .item<double>())
            .epsilon(1e-5));
}

TEST_CASE("distilpose objective: refusals name the model and the way out") {
  Setup s;
  CHECK(test::error_of([&] {
          DistilPoseObjective(nn::ModelSpec::parse("resnet:depth=18,width=2,joints=17,input=64x32,head=simcc"),
                              fake_teacher(), {}, HeatmapCodec::unbiased, 5, torch::kCPU);
        }) ==
        "--method distilpose distils into a regression student; --model resnet:depth=18,width=2,deconvs=3,"
        "deconv_channels=256,joints=17,input=64x32,head=simcc,split=2 has a simcc head (add head=regression)");
  const std::string no_tokens = test::error_of([&] {
    DistilPoseObjective(nn::ModelSpec::parse(student_spec),
                        fake_teacher("resnet:depth=18,width=2,deconvs=3,deconv_channels=4,joints=17,input=64x32"), {},
                        HeatmapCodec::unbiased, 5, torch::kCPU);
  });
  CHECK(no_tokens.rfind("--method distilpose: teacher fake-teacher.ckpt.h5 (resnet:", 0) == 0);
  CHECK(no_tokens.find("has no keypoint or visual tokens; use a token teacher (tokenpose) or --distilpose-no-kt --distilpose-no-vt") !=
        std::string::npos);
  const char* fine_patches = "tokenpose:stem_width=4,dim=16,layers=1,heads=2,joints=17,input=64x32,patch=2x2";
  CHECK(test::error_of([&] {
          DistilPoseObjective(nn::ModelSpec::parse(student_spec), fake_teacher(fine_patches), {},
                              HeatmapCodec::unbiased, 5, torch::kCPU);
        }) ==
        "--method distilpose: the student has 16 visual tokens, teacher fake-teacher.ckpt.h5 has 32; give both the "
        "same patch grid (patch= and the feature size) or --distilpose-no-vt");
  DistilPoseOptions no_vt;
  no_vt.no_visual_tokens = true;
  CHECK_NOTHROW(DistilPoseObjective(nn::ModelSpec::parse(student_spec), fake_teacher(fine_patches), no_vt,
                                    HeatmapCodec::unbiased, 5, torch::kCPU));
  DistilPoseObjective offline(nn::ModelSpec::parse(student_spec), fake_teacher(teacher_spec, false), {},
                              HeatmapCodec::unbiased, 5, torch::kCPU);
  CHECK(test::error_of([&] { offline.loss(*s.student, s.batch, StepContext{}); }) ==
        "distilpose: token distillation needs a live token teacher (--teacher CKPT), or --distilpose-no-kt --distilpose-no-vt");
}

TEST_CASE("regression predictions: instance score = box score x mean confidence (mmpose's rescoring)") {
  test::ScratchDir dir("distilpose-score");
  SynthOptions so;
  so.output_dir = dir.file("val");
  so.images = 2;
  so.split = "val";
  so.width = 96;
  so.height = 72;
  so.threads = 1;
  const Dataset ds = read_dataset(run_synth(so).annotation_path);
  REQUIRE_FALSE(ds.instances.empty());
  auto model = nn::make_model(student_spec, 2);
  PredictOptions po;
  po.workers = 0;
  po.flip_test = false;
  auto predictions = predict(*model, ds.skeleton, HeatmapCodec::unbiased, ds.instances, po);
  REQUIRE(predictions.size() == ds.instances.size());
  predictions[0].box_score = 0.5;  // as a detector's box would
  ResultOptions ro;
  ro.rescore = true;
  const auto results = predictions_to_results(predictions, ds.skeleton, ro);
  for (size_t i = 0; i < predictions.size(); ++i) {
    const auto& kp = predictions[i].keypoints;
    double sum = 0;
    int n = 0;
    for (size_t j = 2; j < kp.size(); j += 3)
      if (kp[j] > 0.2) {
        sum += kp[j];
        ++n;
      }
    REQUIRE(n > 0);  // sigmoid confidences of an untrained head sit near 0.5
    CHECK(results.detections[i].score == doctest::Approx(predictions[i].box_score * sum / n).epsilon(1e-12));
  }
}
