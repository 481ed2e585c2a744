#include <doctest/doctest.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "fake_teacher.h"
#include "posekd/core/error.h"
#include "posekd/loss/gt_losses.h"
#include "posekd/loss/two_stage_losses.h"
#include "posekd/train/two_stage_objective.h"
#include "test_support.h"

using namespace posekd;
using namespace posekd::train;

namespace {

const char* student_spec = "resnet:depth=18,width=2,deconvs=0,joints=17,input=64x32,head=simcc,split=2";
const char* teacher_spec = "hourglass:stacks=1,channels=8,depth=1,joints=17,input=64x32";

const Skeleton& coco() { return *Skeleton::find_builtin("coco17"); }

// L_pos's units: pixels of the paper's 192x256 input; the student's is 32x64.
torch::Tensor paper_pixels(const torch::Tensor& pixels) { return pixels * torch::tensor({6.0, 4.0}); }
// The hand-made batch has 2 samples; the teacher terms weigh as at the paper's 256.
constexpr double kToPaperBatch = 2.0 / 256.0;

// A hand-made SimCC batch: random images, softmax labels, one unlabelled joint per sample.
Batch simcc_batch() {
  torch::manual_seed(21);
  Batch b;
  b.images = torch::randn({2, 3, 64, 32});
  b.simcc_x = torch::softmax(torch::randn({2, 17, 64}), 2);
  b.simcc_y = torch::softmax(torch::randn({2, 17, 128}), 2);
  b.simcc_weights = torch::ones({2, 17});
  b.simcc_weights[0][3] = 0;
  b.simcc_weights[1][10] = 0;
  b.params.resize(2);
  return b;
}

// Every objective owns its teacher; each gets its own, built from the same seed.
std::unique_ptr<test::FakeTeacher> fake_teacher(bool live = true) {
  auto t = std::make_unique<test::FakeTeacher>(teacher_spec, live);
  torch::manual_seed(8);
  t->joints = torch::rand({2, 17, 3}) * 40;
  return t;
}

struct Setup {
  nn::PoseModel student = nn::make_model(student_spec, 1);
  Batch batch = simcc_batch();
  Setup() { student->eval(); }  // running statistics: two forwards give the same outputs
};

}  // namespace

TEST_CASE("two-stage objective: L = L_KL + gamma*alpha*L_fea + gamma*beta*L_pos, term by term") {
  Setup s;
  TwoStageOptions o;
  o.feature_weight = 0.01;  // large enough to matter in the comparison
  auto owned = fake_teacher();
  test::FakeTeacher& teacher = *owned;
  TwoStageObjective objective(nn::ModelSpec::parse(student_spec), std::move(owned), o, {}, 5, torch::kCPU);
  objective.check_training_set({}, coco(), "train.json");
  CHECK(teacher.checked_skeleton == "coco17");
  LoaderOptions lo;
  lo.targets.heatmap_w = 12;
  objective.configure_loader(lo);
  CHECK(lo.targets.simcc);
  CHECK_FALSE(lo.targets.heatmaps);
  CHECK(lo.targets.simcc_options.smoothing == SimccSmoothing::gaussian);
  CHECK(teacher.configured_heatmap_w == 12);

  const auto modules = objective.extra_modules();
  REQUIRE(modules.size() == 1);  // the student's layer4 has 16 channels, the teacher's feature 8
  CHECK(modules[0].first == "align");
  CHECK(objective.student_feature() == "layer4");

  StepContext context;
  context.epoch = 1;
  context.epochs = 4;
  const LossTerms terms = objective.loss(*s.student, s.batch, context);
  CHECK(test::term_names(terms) == std::vector<std::string>{"simcc_kl", "feature_mse", "position_l1", "bone_l1", "gamma"});

  // The same terms computed directly from the loss functions.
  const auto out = s.student->forward(s.batch.images);
  const auto t_out = teacher.model().forward(s.batch.images);
  const double kl =
      loss::simcc_kl(out.simcc_x, out.simcc_y, s.batch.simcc_x, s.batch.simcc_y, s.batch.simcc_weights, {}).item<double>();
  auto* align = modules[0].second->as<torch::nn::Conv2d>();
  REQUIRE(align);
  const double fea = loss::feature_distill_mse(align->forward(out.feature("layer4")),
                                               t_out.feature(objective.teacher_feature()))
                         .item<double>() *
                     kToPaperBatch;
  // The soft-argmax window: 3 label sigmas (the loader's default 6 bins) around the maximum.
  const auto positions = loss::simcc_expected_positions(out.simcc_x, out.simcc_y, 2.0, 1.0, 18.0);
  const auto pose = loss::pose_structure_l1(paper_pixels(positions), paper_pixels(teacher.joints.narrow(2, 0, 2)),
                                            s.batch.simcc_weights, coco().edges);
  const double position_term = pose.position.item<double>() / 256, bone_term = pose.bones.item<double>() / 256;
  // The position term written out: Σ_n (1/(K·2)) Σ_k,d m·|ΔP| in pixels of the paper's input,
  // divided by its batch of 256.
  double position = 0;
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t k = 0; k < 17; ++k)
      for (int64_t d = 0; d < 2; ++d)
        position += s.batch.simcc_weights[n][k].item<double>() *
                    std::abs(positions[n][k][d].item<double>() - teacher.joints[n][k][d].item<double>()) *
                    (d == 0 ? 6.0 : 4.0);
  position /= 17 * 2 * 256;
  CHECK(test::term_value(terms, "position_l1") == doctest::Approx(position).epsilon(1e-5));
  const double gamma = 0.75;  // 1 - (2-1)/4
  CHECK(test::term_value(terms, "simcc_kl") == doctest::Approx(kl).epsilon(1e-6));
  CHECK(test::term_value(terms, "feature_mse") == doctest::Approx(fea).epsilon(1e-5));
  CHECK(test::term_value(terms, "position_l1") == doctest::Approx(position_term).epsilon(1e-5));
  CHECK(test::term_value(terms, "bone_l1") == doctest::Approx(bone_term).epsilon(1e-5));
  CHECK(test::term_value(terms, "gamma") == doctest::Approx(gamma));
  CHECK(terms.total.item<double>() ==
        doctest::Approx(kl + gamma * 0.01 * fea + gamma * 0.1 * (position_term + bone_term)).epsilon(1e-5));

  SUBCASE("gradients reach the student and the alignment, not the teacher") {
    s.student->zero_grad();
    terms.total.backward();
    CHECK(align->weight.grad().defined());
    CHECK(align->weight.grad().abs().sum().item<double>() > 0);
    double student_grad = 0;
    for (const auto& p : s.student->parameters())
      if (p.grad().defined()) student_grad += p.grad().abs().sum().item<double>();
    CHECK(student_grad > 0);
    for (const auto& p : teacher.model().parameters()) CHECK_FALSE(p.grad().defined());
  }
}

TEST_CASE("two-stage objective: switched-off terms are absent, and gamma can stay 1") {
  Setup s;
  StepContext context;
  context.epoch = 3;
  context.epochs = 4;
  int teacher_runs = 0;
  const auto run = [&](const TwoStageOptions& o) {
    auto owned = fake_teacher();
    test::FakeTeacher& teacher = *owned;
    TwoStageObjective objective(nn::ModelSpec::parse(student_spec), std::move(owned), o, {}, 5, torch::kCPU);
    objective.check_training_set({}, coco(), "train.json");
    LoaderOptions lo;
    lo.targets.simcc_options.sigma = 2;
    objective.configure_loader(lo);
    auto terms = objective.loss(*s.student, s.batch, context);
    teacher_runs = teacher.runs;
    return terms;
  };
  TwoStageOptions no_fea;
  no_fea.no_feature = true;
  CHECK(test::term_names(run(no_fea)) == std::vector<std::string>{"simcc_kl", "position_l1", "bone_l1", "gamma"});
  TwoStageOptions no_bones = no_fea;
  no_bones.no_bones = true;
  no_bones.no_decay = true;
  const auto nb = run(no_bones);
  CHECK(test::term_names(nb) == std::vector<std::string>{"simcc_kl", "position_l1", "gamma"});
  CHECK(test::term_value(nb, "gamma") == 1.0);
  CHECK(nb.total.item<double>() ==
        doctest::Approx(test::term_value(nb, "simcc_kl") + 0.1 * test::term_value(nb, "position_l1")).epsilon(1e-6));

  TwoStageOptions none = no_fea;
  none.no_position = true;
  CHECK(teacher_runs == 1);
  const auto kl_only = run(none);
  CHECK(test::term_names(kl_only) == std::vector<std::string>{"simcc_kl"});
  CHECK(teacher_runs == 0);  // nothing asked of the teacher

  TwoStageOptions sharp = no_bones;
  sharp.softargmax_beta = 10;
  const auto sh = run(sharp);
  const auto out = s.student->forward(s.batch.images);
  const auto teacher_joints = paper_pixels(fake_teacher()->joints.narrow(2, 0, 2));
  const auto sharp_joints = paper_pixels(loss::simcc_expected_positions(out.simcc_x, out.simcc_y, 2.0, 10.0, 6.0));
  CHECK(test::term_value(sh, "position_l1") ==
        doctest::Approx(
            loss::pose_structure_l1(sharp_joints, teacher_joints, s.batch.simcc_weights, {}).position.item<double>() /
            256)
            .epsilon(1e-5));

  TwoStageOptions whole = sharp;
  whole.softargmax_radius = -1;  // every bin: the plain expectation
  const auto all_bins = paper_pixels(loss::simcc_expected_positions(out.simcc_x, out.simcc_y, 2.0, 10.0));
  CHECK(test::term_value(run(whole), "position_l1") ==
        doctest::Approx(
            loss::pose_structure_l1(all_bins, teacher_joints, s.batch.simcc_weights, {}).position.item<double>() / 256)
            .epsilon(1e-5));

  TwoStageObjective without_fea(nn::ModelSpec::parse(student_spec), fake_teacher(), no_fea, {}, 5, torch::kCPU);
  CHECK(without_fea.extra_modules().empty());
  CHECK_FALSE(two_stage_requirements(no_fea).needs_online());
  CHECK(two_stage_requirements(no_fea).joints);
  CHECK(two_stage_requirements(TwoStageOptions{}).all_features);
}

TEST_CASE("two-stage objective: label smoothing, feature choice and refusals") {
  Setup s;
  TwoStageOptions o;
  o.label_smoothing = "standard";
  o.label_smooth_weight = 0.2;
  o.student_feature = "layer3";
  TwoStageObjective objective(nn::ModelSpec::parse(student_spec), fake_teacher(), o, {}, 5, torch::kCPU);
  LoaderOptions lo;
  objective.configure_loader(lo);
  CHECK(lo.targets.simcc_options.smoothing == SimccSmoothing::standard);
  CHECK(lo.targets.simcc_options.label_smooth_weight == 0.2);
  CHECK(objective.student_feature() == "layer3");

  CHECK(test::error_of([&] {
          TwoStageObjective(nn::ModelSpec::parse("resnet:depth=18,width=2,joints=17,input=64x32"), fake_teacher(), {}, {},
                            5, torch::kCPU);
        }) ==
        "--method two-stage distils into a SimCC student; --model resnet:depth=18,width=2,deconvs=3,"
        "deconv_channels=256,joints=17,input=64x32,head=heatmap has a heatmap head (add head=simcc)");
  TwoStageOptions unknown;
  unknown.teacher_feature = "nope";
  CHECK(test::error_of([&] {
          TwoStageObjective(nn::ModelSpec::parse(student_spec), fake_teacher(), unknown, {}, 5, torch::kCPU);
        }).rfind("--two-stage-teacher-feature nope: no such feature (the model has: ", 0) == 0);
  TwoStageOptions weights;
  weights.bone_weights = {1, 2};
  TwoStageObjective with_weights(nn::ModelSpec::parse(student_spec), fake_teacher(), weights, {}, 5, torch::kCPU);
  CHECK(test::error_of([&] { with_weights.check_training_set({}, coco(), "train.json"); }) ==
        "--two-stage-bone-weights: 2 values for the 19 edges of skeleton coco17");

  TwoStageObjective offline(nn::ModelSpec::parse(student_spec), fake_teacher(false), TwoStageOptions{}, {}, 5,
                            torch::kCPU);
  StepContext context;
  context.epochs = 1;
  CHECK(test::error_of([&] { offline.loss(*s.student, s.batch, context); }) ==
        "two-stage: L_fea needs a live teacher's features (--teacher CKPT), or --two-stage-no-fea");
}
