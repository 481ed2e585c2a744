#include "posekd/train/pose_refine_gcn.h"

#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/io/checkpoint.h"
#include "posekd/nn/complexity.h"
#include "posekd/nn/refiner.h"
#include "posekd/train/dsr_objective.h"
#include "posekd/train/igp_objective.h"
#include "posekd/train/pose_train.h"
#include "posekd/train/runtime.h"

namespace posekd::train {

namespace {

std::unique_ptr<RefineObjective> make_igp(const RefineGcnOptions& o, RefineSetup setup, const torch::Device& device) {
  if (o.finetune) throw UsageError("--finetune: igp refines a frozen stage-1 model");
  if (o.stage_weights.size() != 3)
    throw UsageError(fmt::format("--stage-weights: igp has 3 stages, found {} weights", o.stage_weights.size()));
  std::unique_ptr<Teacher> teacher;
  if (o.targets == "teacher") teacher = make_teacher(o.teacher, IgpObjective::teacher_requirements(), device);
  return std::make_unique<IgpObjective>(std::move(setup), o.stage_weights, std::move(teacher));
}

std::unique_ptr<RefineObjective> make_dsr(const RefineGcnOptions& /*options*/, RefineSetup setup,
                                          const torch::Device& /*device*/) {
  return std::make_unique<DsrObjective>(std::move(setup));
}

const RefineMethod* find_method(const std::string& name) {
  for (const auto& m : refine_methods())
    if (name == m.name) return &m;
  std::string known;
  for (const auto& m : refine_methods()) known += (known.empty() ? "" : ", ") + std::string(m.name);
  throw UsageError(fmt::format("--method {}: expected one of {}", name, known));
}

void check_targets(const RefineGcnOptions& o) {
  const bool teacher_given = !o.teacher.heatmaps.empty() || !o.teacher.checkpoint.empty();
  if (o.targets == "gt") {
    if (teacher_given) throw UsageError("--targets gt: trains on ground truth; drop --teacher-heatmaps/--teacher");
  } else if (o.targets == "teacher") {
    if (!teacher_given)
      throw UsageError("--targets teacher: needs --teacher-heatmaps FILE or --teacher CKPT (or --targets gt)");
  } else {
    throw UsageError(fmt::format("--targets {}: expected teacher or gt", o.targets));
  }
}

// The base's header: its spec, decoding and that it is not refined already.
io::Checkpoint read_base(const std::string& path) {
  io::Checkpoint base = io::read_checkpoint(path, /*values=*/false);
  if (!base.refiner_spec.empty())
    fail(path, "/@refiner_spec",
         fmt::format("expected a stage-1 model without a refiner, found {} (refine its base checkpoint)",
                     base.refiner_spec));
  return base;
}

void print_refine_dry_run(const RefineGcnOptions& options, const TrainOptions& o, const nn::ModelSpec& refiner,
                          const Skeleton& skeleton, std::ostream& out) {
  auto model = nn::make_model(o.model, o.seed);
  const nn::ModelComplexity base = nn::measure_complexity(*model);
  nn::attach_refiner(*model, refiner, skeleton, parse_heatmap_codec(o.codec), {!options.finetune, o.seed});
  const nn::ModelComplexity total = nn::measure_complexity(*model);
  const int64_t refiner_params = nn::count_parameters(*model->refiner());
  out << fmt::format("base: {} ({})\nrefiner: {}\nbase params: {} ({:.3f} M), GFLOPs {:.4f}\n"
                     "refiner params: {} ({:.3f} M), GFLOPs {:.4f} (per person, at the base's input size)\n\n",
                     o.model, options.base, refiner.str(), base.params, double(base.params) * 1e-6, base.gflops(),
                     refiner_params, double(refiner_params) * 1e-6, total.gflops() - base.gflops());
  out << options.config;
}

}  // namespace

const std::vector<RefineMethod>& refine_methods() {
  static const std::vector<RefineMethod> methods = {
      {"igp", "IGP-GCN stage 2 of the two-stage distillation (teacher or ground-truth poses)", make_igp, true},
      {"dsr", "DDSR's dynamic spatial relation stages DSR×S on a heatmap model (ground-truth heatmaps)", make_dsr,
       false},
  };
  return methods;
}

void bind_refine_gcn_options(CLI::App& app, RefineGcnOptions& o) {
  bind_train_options(app, o.train);
  // The base checkpoint fixes the model, its weights and its codec.
  for (const char* name : {"--model", "--init", "--codec", "--simcc-sigma", "--simcc-beta", "--simcc-label-softmax",
                           "--simcc-label-beta"})
    app.remove_option(app.get_option(name));
  std::string methods;
  for (const auto& m : refine_methods()) methods += fmt::format("\n  {}: {}", m.name, m.summary);
  const char* group = "Refiner";
  app.add_option("--base", o.base, "The stage-1 checkpoint to refine (frozen)")->group(group);
  app.add_option("--method", o.method, "Refiner:" + methods)->capture_default_str()->group(group);
  app.add_option("--refiner", o.refiner, "The refiner's spec keys, e.g. hidden=64,features=layer3+layer2+deconv_layers")
      ->group(group);
  app.add_flag("--finetune", o.finetune, "Train the base model with the refiner (dsr)")->group(group);
  app.add_option("--targets", o.targets, "igp: teacher (poses of --teacher-heatmaps or --teacher) or gt")
      ->capture_default_str()
      ->group(group);
  app.add_option("--teacher-heatmaps", o.teacher.heatmaps, "Stored teacher: a pose-dump-heatmaps file (its /coords)")
      ->group(group);
  app.add_option("--teacher", o.teacher.checkpoint, "Live teacher: a checkpoint run on every augmented batch")
      ->group(group);
  app.add_option("--stage-weights", o.stage_weights, "igp: loss weights of P̂_1, P̂_2, P̂_3")
      ->delimiter(',')
      ->capture_default_str()
      ->group(group);
}

TrainResult run_refine_gcn(const RefineGcnOptions& options, std::ostream& out) {
  if (options.base.empty()) throw UsageError("--base: required (the stage-1 checkpoint)");
  const RefineMethod& method = *find_method(options.method);
  if (method.teacher_targets) {
    check_targets(options);
  } else if (!options.teacher.heatmaps.empty() || !options.teacher.checkpoint.empty()) {
    throw UsageError(fmt::format("--method {}: trains on ground-truth heatmaps; drop --teacher-heatmaps/--teacher",
                                 method.name));
  }
  const io::Checkpoint base = read_base(options.base);
  TrainOptions o = options.train;
  o.model = base.model_spec;
  o.codec = base.decoding;
  if (o.resume.empty()) o.init = options.base;
  RefineSetup setup;
  setup.refiner = nn::ModelSpec::parse_refiner(options.method + (options.refiner.empty() ? "" : ":" + options.refiner));
  setup.codec = parse_heatmap_codec(o.codec);
  setup.freeze_base = !options.finetune;
  setup.seed = o.seed;
  if (o.dry_run) {
    print_refine_dry_run(options, o, setup.refiner, base.skeleton, out);
    return {};
  }
  auto objective = method.make(options, std::move(setup), resolve_device(o.device));
  const TrainResult result = run_train(o, *objective);
  print_train_result(o, result, out);
  return result;
}

}  // namespace posekd::train
