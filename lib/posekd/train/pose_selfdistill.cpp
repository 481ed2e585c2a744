#include "posekd/train/pose_selfdistill.h"

#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/nn/model_spec.h"
#include "posekd/train/pose_train.h"

namespace posekd::train {

void bind_sdp_options(CLI::App& app, SdpOptions& o) {
  // SDP refuses SimCC heads, so pose-train's SimCC loss options would only mislead.
  for (const char* name : {"--simcc-sigma", "--simcc-beta", "--simcc-label-softmax", "--simcc-label-beta"})
    app.remove_option(app.get_option(name));
  const char* group = "Self-distillation (SDP)";
  app.add_option("--alpha", o.alpha, "Weight of the self-distillation term: L = L_gt + alpha * L_sd")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  app.add_option("--distance", o.distance,
                 "Distillation distance s at the start: the backup batch is the one s steps earlier")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 24))
      ->capture_default_str()
      ->group(group);
  app.add_option("--stepping-gamma", o.gamma,
                 "Stepping strategy: s is multiplied by this whenever the lr is divided by it "
                 "(needs --lr-policy multistep with --gamma its inverse)")
      ->capture_default_str()
      ->group(group);
  app.add_flag("--no-stepping", o.no_stepping, "Keep s fixed for the whole run (the ablation)")->group(group);
}

TrainResult run_pose_selfdistill(const PoseSelfdistillOptions& options, std::ostream& out) {
  const auto& o = options.train;
  validate(o);
  const auto spec = nn::ModelSpec::parse(o.model);
  if (spec.head() != nn::HeadType::heatmap)
    throw UsageError(fmt::format("--model {}: SDP distils heatmaps and this model has a {} head; use a heatmap "
                                 "head (head=heatmap: hourglass, resnet, hrnet, tokenpose)",
                                 o.model, nn::head_name(spec.head())));
  const std::string warning = validate(options.sdp, o.schedule);
  if (!warning.empty()) log::warn("{}", warning);
  log::info("sdp: alpha {}, distance s = {}, {}", options.sdp.alpha, options.sdp.distance,
            options.sdp.no_stepping ? "no stepping" : fmt::format("stepping by {} when the lr drops", options.sdp.gamma));
  SdpObjective objective(options.sdp);
  return run_training(o, options.config, objective, out);
}

}  // namespace posekd::train
