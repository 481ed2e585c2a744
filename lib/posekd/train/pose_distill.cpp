#include "posekd/train/pose_distill.h"

#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/train/pose_train.h"
#include "posekd/train/runtime.h"

namespace posekd::train {

namespace {
// "" (unset, as --print-config writes it) and "-" (stdin) pass; anything else must exist.
const CLI::Validator ExistingFileStdinOrUnset(
    [](std::string& path) { return path.empty() || path == "-" ? std::string() : CLI::ExistingFile(path); }, "FILE|-",
    "existing file or -");
}  // namespace

void bind_distill_options(CLI::App& app, DistillOptions& o) {
  const char* group = "Distillation";
  std::string methods;
  for (const auto& m : distill_methods()) methods += fmt::format("\n  {}: {}", m.name, m.summary);
  app.add_option("--method", o.method, "Distillation objective:" + methods)->group(group);
  app.add_option("--teacher-heatmaps", o.teacher.heatmaps,
                 "Stored teacher: a pose-dump-heatmaps file, '-' for one on stdin (warped into each augmented crop)")
      ->check(ExistingFileStdinOrUnset)
      ->group(group);
  app.add_option("--teacher", o.teacher.checkpoint, "Live teacher: a checkpoint run on every augmented batch")
      ->check(ExistingFileStdinOrUnset)
      ->group(group);
  app.add_option("--teacher-cache", o.teacher.cache_samples,
                 "Stored teacher: samples read ahead (0: the loader's prefetch + workers + 1 batches)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  app.add_option_function<std::string>(
         "--teacher-warp", [&o](const std::string& name) { o.teacher.warp.width = parse_warp_width(name); },
         "Stored teacher: keep-width moves and turns each map about its peak (>= 0.3) without scaling it, so a "
         "blob keeps its width in map pixels as the teacher run on the crop draws it; affine resamples through "
         "the whole warp, zoom included (default: keep-width)")
      ->check(CLI::IsMember({"keep-width", "affine"}))
      ->group(group);
  for (const auto& m : distill_methods()) m.bind(app, o);
}

TrainResult run_distill(const DistillOptions& options, std::ostream& out) {
  const auto& o = options.train;
  if (options.method.empty()) throw UsageError("--method: required (" + std::string(distill_methods().front().name) + ", ...)");
  const DistillMethod& method = distill_method(options.method);
  if (o.dry_run) {
    print_dry_run(o, options.config, out);
    return {};
  }
  validate(o);
  auto objective = method.make(options, resolve_device(o.device));
  const auto result = run_train(o, *objective);
  print_train_result(o, result, out);
  return result;
}

}  // namespace posekd::train
