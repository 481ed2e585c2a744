#include "posekd/train/distilpose_objective.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/loss/distilpose_losses.h"
#include "posekd/loss/gt_losses.h"
#include "posekd/train/distill_alignment.h"

namespace posekd::train {

void bind_distilpose_options(CLI::App& app, DistilPoseOptions& o) {
  const char* group = "Method distilpose";
  const auto weight = [&](const char* name, double& value, const char* help) {
    app.add_option(name, value, help)->check(CLI::NonNegativeNumber)->capture_default_str()->group(group);
  };
  weight("--distilpose-kt-weight", o.keypoint_token_weight, "distilpose: alpha1, weight of the keypoint-token MSE L_KT");
  weight("--distilpose-vt-weight", o.visual_token_weight, "distilpose: alpha2, weight of the visual-token MSE L_VT");
  weight("--distilpose-sh-weight", o.heatmap_weight, "distilpose: alpha3, weight of the simulated-heatmap MSE L_SH");
  weight("--distilpose-cs-weight", o.confidence_weight, "distilpose: alpha4, weight of the confidence L1 L_CS");
  app.add_flag("--distilpose-no-kt", o.no_keypoint_tokens, "distilpose: drop L_KT")->group(group);
  app.add_flag("--distilpose-no-vt", o.no_visual_tokens, "distilpose: drop L_VT")->group(group);
  app.add_flag("--distilpose-no-sh", o.no_heatmaps, "distilpose: drop L_SH")->group(group);
  app.add_flag("--distilpose-no-cs", o.no_confidence, "distilpose: drop L_CS")->group(group);
}

TeacherRequirements distilpose_requirements(const DistilPoseOptions& o) {
  TeacherRequirements needs;
  needs.method = "distilpose";
  needs.heatmaps = o.maps();
  needs.resolution = TeacherMapResolution::student;
  needs.tokens = o.tokens();
  return needs;
}

namespace {

// A linear map from the student's token width to the teacher's, or none when they agree.
torch::nn::Linear token_alignment(const torch::Tensor& student, const torch::Tensor& teacher, const char* kind,
                                  const torch::Device& device) {
  if (student.size(2) == teacher.size(2)) return torch::nn::Linear{nullptr};
  log::info("distilpose: {} tokens aligned by a linear map {} -> {}", kind, student.size(2), teacher.size(2));
  torch::nn::Linear align(student.size(2), teacher.size(2));
  align->to(device);
  return align;
}

torch::Tensor aligned(torch::nn::Linear& align, const torch::Tensor& tokens) {
  return align.is_empty() ? tokens : align->forward(tokens);
}

}  // namespace

DistilPoseObjective::DistilPoseObjective(const nn::ModelSpec& student_spec, std::unique_ptr<Teacher> source,
                                         const DistilPoseOptions& options, HeatmapCodec codec, uint64_t seed,
                                         const torch::Device& device)
    : DistillObjective(std::move(source)), options_(options), geometry_(crop_geometry(codec)), input_(student_spec.input()) {
  if (student_spec.head() != nn::HeadType::regression)
    throw UsageError(fmt::format("--method distilpose distils into a regression student; --model {} has a {} head "
                                 "(add head=regression)",
                                 student_spec.str(), nn::head_name(student_spec.head())));
  if (!options_.tokens()) return;
  const auto student = probe_outputs(student_spec);
  const std::string teacher_spec = teacher().info().model_spec;
  const auto t = probe_outputs(nn::ModelSpec::parse(teacher_spec));
  if (!t.keypoint_tokens.defined())
    throw UsageError(fmt::format("--method distilpose: teacher {} ({}) has no keypoint or visual tokens; use a token "
                                 "teacher (tokenpose) or --distilpose-no-kt --distilpose-no-vt",
                                 teacher().info().source, teacher_spec));
  if (!options_.no_visual_tokens && student.visual_tokens.size(1) != t.visual_tokens.size(1))
    throw UsageError(fmt::format("--method distilpose: the student has {} visual tokens, teacher {} has {}; give both "
                                 "the same patch grid (patch= and the feature size) or --distilpose-no-vt",
                                 student.visual_tokens.size(1), teacher().info().source, t.visual_tokens.size(1)));
  torch::manual_seed(seed);
  if (!options_.no_keypoint_tokens)
    align_keypoint_ = token_alignment(student.keypoint_tokens, t.keypoint_tokens, "keypoint", device);
  if (!options_.no_visual_tokens)
    align_visual_ = token_alignment(student.visual_tokens, t.visual_tokens, "visual", device);
}

void DistilPoseObjective::configure_loader(LoaderOptions& options) {
  options.targets.heatmaps = false;
  options.targets.regression = true;
  DistillObjective::configure_loader(options);
}

std::vector<NamedModule> DistilPoseObjective::extra_modules() {
  std::vector<NamedModule> modules;
  if (!align_keypoint_.is_empty()) modules.emplace_back("align_keypoint_tokens", align_keypoint_.ptr());
  if (!align_visual_.is_empty()) modules.emplace_back("align_visual_tokens", align_visual_.ptr());
  return modules;
}

LossTerms DistilPoseObjective::loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) {
  const auto out = model.forward(batch.images);
  LossTerms result;
  result.total = loss::regression_smooth_l1(out.coords, batch.regression, batch.regression_weights);
  result.terms.emplace_back("smooth_l1", result.total.detach());
  if (!options_.tokens() && !options_.maps()) return result;

  const TeacherBatch taught = teacher().run(batch, context.device);
  const auto add = [&](const char* name, double weight, const torch::Tensor& term) {
    result.total = result.total + weight * term;
    result.terms.emplace_back(name, term.detach());
  };
  if (options_.tokens() && !taught.outputs)
    throw Error("distilpose: token distillation needs a live token teacher (--teacher CKPT), or --distilpose-no-kt --distilpose-no-vt");
  if (!options_.no_keypoint_tokens)
    add("keypoint_token_mse", options_.keypoint_token_weight,
        loss::token_mse(aligned(align_keypoint_, out.keypoint_tokens), taught.outputs->keypoint_tokens));
  if (!options_.no_visual_tokens)
    add("visual_token_mse", options_.visual_token_weight,
        loss::token_mse(aligned(align_visual_, out.visual_tokens), taught.outputs->visual_tokens));
  if (options_.maps()) {
    const auto& maps = taught.heatmaps;
    const int64_t h = maps.size(2), w = maps.size(3);
    // Student fractions of the input -> pixels of the teacher's maps over the student crop.
    const loss::MapScale scale =
        geometry_ == CropGeometry::udp
            ? loss::MapScale{input_.width * double(w - 1) / (input_.width - 1),
                             input_.height * double(h - 1) / (input_.height - 1)}
            : loss::MapScale{double(w), double(h)};
    if (!options_.no_heatmaps)
      add("simulated_heatmap_mse", options_.heatmap_weight,
          loss::simulated_heatmap_mse(out.coords, out.sigma, maps, batch.regression_weights, scale));
    if (!options_.no_confidence)
      add("confidence_l1", options_.confidence_weight,
          loss::confidence_l1(out.coords, out.score, maps, batch.regression_weights));
  }
  return result;
}

}  // namespace posekd::train
