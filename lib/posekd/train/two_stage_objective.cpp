#include "posekd/train/two_stage_objective.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/loss/two_stage_losses.h"
#include "posekd/train/distill_alignment.h"

namespace posekd::train {

void bind_two_stage_options(CLI::App& app, TwoStageOptions& o) {
  const char* group = "Method two-stage";
  app.add_option("--two-stage-alpha", o.feature_weight, "two-stage: alpha, weight of the feature MSE L_fea")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  app.add_option("--two-stage-beta", o.position_weight, "two-stage: beta, weight of the pose loss L_pos (joint L1 + bone lengths)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  app.add_flag("--two-stage-no-fea", o.no_feature, "two-stage: drop L_fea (a stored teacher can then serve: it has no features)")
      ->group(group);
  app.add_flag("--two-stage-no-pos", o.no_position, "two-stage: drop L_pos")->group(group);
  app.add_flag("--two-stage-no-bones", o.no_bones, "two-stage: drop L_pos's bone-length term")->group(group);
  app.add_flag("--two-stage-no-decay", o.no_decay, "two-stage: keep gamma(t) = 1 instead of 1 - (t-1)/T")->group(group);
  app.add_option("--two-stage-student-feature", o.student_feature,
                 "two-stage: student feature for L_fea (default: its lowest-resolution one)")
      ->group(group);
  app.add_option("--two-stage-teacher-feature", o.teacher_feature,
                 "two-stage: teacher feature for L_fea (default: its lowest-resolution one)")
      ->group(group);
  app.add_option("--two-stage-bone-weights", o.bone_weights, "two-stage: w_ij per skeleton edge, comma-separated (default: 1/edges each)")
      ->delimiter(',')
      ->group(group);
  app.add_option("--two-stage-softargmax-beta", o.softargmax_beta,
                 "two-stage: temperature of the soft-argmax giving the student's joints (0: --simcc-beta)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  app.add_option("--two-stage-softargmax-radius", o.softargmax_radius,
                 "two-stage: bins around the SimCC maximum the soft-argmax spans (0: 3 x --simcc-sigma, -1: all)")
      ->capture_default_str()
      ->group(group);
  app.add_option("--two-stage-label-smoothing", o.label_smoothing,
                 "two-stage: SimCC KL targets: gaussian (sigma --simcc-sigma) or standard (one-hot + epsilon)")
      ->check(CLI::IsMember({"gaussian", "standard"}))
      ->capture_default_str()
      ->group(group);
  app.add_option("--two-stage-label-smooth-weight", o.label_smooth_weight, "two-stage: epsilon of --two-stage-label-smoothing standard")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str()
      ->group(group);
}

void validate(const TwoStageOptions& o) {
  if (o.label_smoothing != "gaussian" && o.label_smoothing != "standard")
    throw UsageError("--two-stage-label-smoothing " + o.label_smoothing + ": expected gaussian or standard");
  if (!(o.feature_weight >= 0) || !(o.position_weight >= 0))
    throw UsageError(fmt::format("--two-stage-alpha {} / --two-stage-beta {}: weights must be >= 0", o.feature_weight,
                                 o.position_weight));
  for (double w : o.bone_weights)
    if (!(w >= 0)) throw UsageError(fmt::format("--two-stage-bone-weights: {} is negative", w));
}

TeacherRequirements two_stage_requirements(const TwoStageOptions& o) {
  TeacherRequirements needs;
  needs.method = "two-stage";
  needs.heatmaps = false;
  needs.joints = !o.no_position;
  if (!o.no_feature) {
    if (o.teacher_feature.empty()) needs.all_features = true;
    else needs.features = {o.teacher_feature};
  }
  return needs;
}

TwoStageObjective::TwoStageObjective(const nn::ModelSpec& student_spec, std::unique_ptr<Teacher> source, const TwoStageOptions& options,
                                     const loss::SimccLossOptions& simcc, uint64_t seed, const torch::Device& device)
    : DistillObjective(std::move(source)), options_(options), simcc_(simcc) {
  validate(options_);
  if (student_spec.head() != nn::HeadType::simcc)
    throw UsageError(fmt::format("--method two-stage distils into a SimCC student; --model {} has a {} head (add head=simcc)",
                                 student_spec.str(), nn::head_name(student_spec.head())));
  split_ratio_ = student_spec.get_real("split");
  input_ = student_spec.input();
  if (options_.no_feature) return;
  const auto student = probe_outputs(student_spec);
  const nn::NamedFeature& s = pick_feature(student, options_.student_feature, "--two-stage-student-feature");
  const auto teacher_outputs = probe_outputs(nn::ModelSpec::parse(teacher().info().model_spec));
  const nn::NamedFeature& t = pick_feature(teacher_outputs, options_.teacher_feature, "--two-stage-teacher-feature");
  student_feature_ = s.name;
  teacher_feature_ = t.name;
  const int64_t cs = s.value.size(1), ct = t.value.size(1);
  log::info("two-stage: L_fea between student {} [{}x{}x{}] and teacher {} [{}x{}x{}]{}", s.name, cs, s.value.size(2),
            s.value.size(3), t.name, ct, t.value.size(2), t.value.size(3),
            cs != ct ? fmt::format(", 1x1 alignment {} -> {} channels", cs, ct) : "");
  if (cs != ct) {
    torch::manual_seed(seed);
    align_ = torch::nn::Conv2d(torch::nn::Conv2dOptions(cs, ct, 1));
    align_->to(device);
  }
}

void TwoStageObjective::check_training_set(const std::vector<Instance>& instances, const Skeleton& skeleton,
                                           const std::string& file) {
  edges_ = skeleton.edges;
  if (!options_.no_position && !options_.no_bones) {
    if (!options_.bone_weights.empty() && options_.bone_weights.size() != edges_.size())
      throw UsageError(fmt::format("--two-stage-bone-weights: {} values for the {} edges of skeleton {}",
                                   options_.bone_weights.size(), edges_.size(), skeleton.name));
    if (edges_.empty()) log::warn("two-stage: skeleton {} has no edges; the bone-length term is 0", skeleton.name);
  }
  DistillObjective::check_training_set(instances, skeleton, file);
}

void TwoStageObjective::configure_loader(LoaderOptions& options) {
  options.targets.heatmaps = false;
  options.targets.simcc = true;
  label_sigma_bins_ = options.targets.simcc_options.sigma;
  if (options_.label_smoothing == "standard") {
    options.targets.simcc_options.smoothing = SimccSmoothing::standard;
    options.targets.simcc_options.label_smooth_weight = options_.label_smooth_weight;
  }
  DistillObjective::configure_loader(options);
}

std::vector<NamedModule> TwoStageObjective::extra_modules() {
  if (align_.is_empty()) return {};
  return {{"align", align_.ptr()}};
}

LossTerms TwoStageObjective::loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) {
  const auto out = model.forward(batch.images);
  LossTerms result;
  result.total = loss::simcc_kl(out.simcc_x, out.simcc_y, batch.simcc_x, batch.simcc_y, batch.simcc_weights, simcc_);
  result.terms.emplace_back("simcc_kl", result.total.detach());
  if (options_.no_feature && options_.no_position) return result;

  const double gamma = options_.no_decay ? 1.0 : loss::two_stage_decay(context.epoch, context.epochs);
  // Per-sample teacher terms against a batch-summed L_KL weigh as at the paper's batch.
  const double to_paper_batch = double(batch.images.size(0)) / double(loss::kPaperBatch);
  const TeacherBatch taught = teacher().run(batch, context.device);
  if (!options_.no_feature) {
    if (!taught.outputs)
      throw Error("two-stage: L_fea needs a live teacher's features (--teacher CKPT), or --two-stage-no-fea");
    torch::Tensor student = out.feature(student_feature_);
    if (!align_.is_empty()) student = align_->forward(student);
    const auto fea =
        loss::feature_distill_mse(student, taught.outputs->feature(teacher_feature_)) * to_paper_batch;
    result.total = result.total + gamma * options_.feature_weight * fea;
    result.terms.emplace_back("feature_mse", fea.detach());
  }
  if (!options_.no_position) {
    const double beta = options_.softargmax_beta > 0 ? options_.softargmax_beta : simcc_.beta;
    const auto paper_pixels = [&](const torch::Tensor& pixels) {
      return loss::paper_input_pixels(pixels, input_.width, input_.height);
    };
    const double radius = options_.softargmax_radius == 0 ? 3 * label_sigma_bins_ : options_.softargmax_radius;
    const auto student =
        paper_pixels(loss::simcc_expected_positions(out.simcc_x, out.simcc_y, split_ratio_, beta, radius));
    const auto teacher_joints = paper_pixels(taught.joints.narrow(2, 0, 2));
    auto pose = loss::pose_structure_l1(student, teacher_joints, batch.simcc_weights,
                                        options_.no_bones ? std::vector<std::pair<int, int>>{} : edges_,
                                        options_.no_bones ? std::vector<double>{} : options_.bone_weights);
    pose.position = pose.position / double(loss::kPaperBatch);
    pose.bones = pose.bones / double(loss::kPaperBatch);
    result.total = result.total + gamma * options_.position_weight * pose.total();
    result.terms.emplace_back("position_l1", pose.position.detach());
    if (!options_.no_bones) result.terms.emplace_back("bone_l1", pose.bones.detach());
  }
  result.terms.emplace_back("gamma", torch::tensor(gamma));
  return result;
}

}  // namespace posekd::train
