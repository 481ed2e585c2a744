// The method table of pose-distill: one row per objective.
#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/nn/model_spec.h"
#include "posekd/train/pose_distill.h"

namespace posekd::train {
namespace {

void require_head(const DistillOptions& o, nn::HeadType head) {
  const auto found = nn::ModelSpec::parse(o.train.model).head();
  if (found != head)
    throw UsageError(fmt::format("--method {}: needs a student with a {} head, found --model {} ({} head)", o.method,
                                 nn::head_name(head), o.train.model, nn::head_name(found)));
}

void bind_fpd(CLI::App& app, DistillOptions& o) {
  app.add_option("--fpd-alpha", o.fpd.alpha, "fpd: weight of the teacher term; 1-alpha weighs the ground truth")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str()
      ->group("Method fpd");
}

std::unique_ptr<Objective> make_fpd(const DistillOptions& o, const torch::Device& device) {
  require_head(o, nn::HeadType::heatmap);
  return std::make_unique<FpdObjective>(o.fpd, make_teacher(o.teacher, FpdObjective::requirements(), device));
}

void bind_skd(CLI::App& app, DistillOptions& o) {
  const char* group = "Method skd";
  app.add_option("--skd-loc-weight", o.skd.loc_weight, "skd: weight of L_LOC, the MSE to ground-truth maps")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  app.add_option("--skd-edge-weight", o.skd.edge_weight, "skd: weight of the edge-map term of L_SKD")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  app.add_option("--skd-joint-weight", o.skd.joint_weight, "skd: weight of the joint-map term of L_SKD")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  app.add_option("--skd-edge-sigma", o.skd.edge_sigma, "skd: edge-map Gaussian sigma in student heatmap pixels")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(group);
  app.add_option("--skd-beta", o.skd.beta, "skd: soft-argmax temperature, positions = E[x] under softmax(beta*map)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(group);
}

std::unique_ptr<Objective> make_skd(const DistillOptions& o, const torch::Device& device) {
  require_head(o, nn::HeadType::heatmap);
  return std::make_unique<SkdObjective>(o.skd, make_teacher(o.teacher, SkdObjective::requirements(), device));
}

void bind_two_stage(CLI::App& app, DistillOptions& o) { bind_two_stage_options(app, o.two_stage); }

std::unique_ptr<Objective> make_two_stage(const DistillOptions& o, const torch::Device& device) {
  require_head(o, nn::HeadType::simcc);
  validate(o.two_stage);
  return std::make_unique<TwoStageObjective>(nn::ModelSpec::parse(o.train.model),
                                             make_teacher(o.teacher, two_stage_requirements(o.two_stage), device),
                                             o.two_stage, o.train.simcc_loss, o.train.seed, device);
}

void bind_distilpose(CLI::App& app, DistillOptions& o) { bind_distilpose_options(app, o.distilpose); }

std::unique_ptr<Objective> make_distilpose(const DistillOptions& o, const torch::Device& device) {
  require_head(o, nn::HeadType::regression);
  return std::make_unique<DistilPoseObjective>(nn::ModelSpec::parse(o.train.model),
                                               make_teacher(o.teacher, distilpose_requirements(o.distilpose), device),
                                               o.distilpose, parse_heatmap_codec(o.train.codec), o.train.seed, device);
}

}  // namespace

const std::vector<DistillMethod>& distill_methods() {
  static const std::vector<DistillMethod> methods{
      {"fpd", "FPD: alpha*MSE(student, teacher) + (1-alpha)*MSE(student, GT) over every stack", bind_fpd, make_fpd},
      {"skd", "DDSR spatial distillation: MSE to GT + joint and edge (relative-offset) maps of the teacher", bind_skd,
       make_skd},
      {"two-stage", "two-stage stage 1 on a SimCC student: KL + gamma(t)*(alpha*feature MSE + beta*(joint L1 + bone lengths))",
       bind_two_stage, make_two_stage},
      {"distilpose", "DistilPose on a regression student: smooth-L1 + token MSE + simulated heatmaps + confidence L1",
       bind_distilpose, make_distilpose},
  };
  return methods;
}

const DistillMethod& distill_method(const std::string& name) {
  std::string known;
  for (const auto& m : distill_methods()) {
    if (name == m.name) return m;
    known += (known.empty() ? "" : ", ") + std::string(m.name);
  }
  throw UsageError(fmt::format("--method: expected one of {}, found '{}'", known, name));
}

}  // namespace posekd::train
