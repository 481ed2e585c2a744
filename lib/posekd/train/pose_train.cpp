#include "posekd/train/pose_train.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "posekd/core/error.h"
#include "posekd/core/provenance.h"
#include "posekd/train/gt_objective.h"
#include "posekd/train/runtime.h"

namespace posekd::train {

namespace fs = std::filesystem;

TrainResult run_pose_train(const PoseTrainOptions& options, std::ostream& out) {
  const auto& o = options.train;
  GtObjective objective(nn::ModelSpec::parse(o.model).head(), o.simcc_loss);
  return run_training(o, options.config, objective, out);
}

TrainResult run_training(const TrainOptions& o, const std::string& config, Objective& objective, std::ostream& out) {
  if (o.dry_run) {
    print_dry_run(o, config, out);
    return {};
  }
  const auto result = run_train(o, objective);
  print_train_result(o, result, out);
  return result;
}

void print_train_result(const TrainOptions& o, const TrainResult& result, std::ostream& out) {
  if (result.rank != 0) return;  // rank 0 reports for a data-parallel job
  if (!result.metric.empty())
    out << fmt::format("{}\t{} {:.4f}\n", run_files(o.output).best, result.metric, result.best_metric);
  else
    out << o.output << "\n";
}

void bind_training_tool(cli::Tool& tool, TrainOptions& options) {
  tool.set_runtime_hooks(torch_runtime_hooks());
  bind_train_options(tool.app(), options);
  add_preset_option(tool.app());
}

int run_training_tool(cli::Tool& tool, int argc, char** argv, TrainOptions& options, std::string& config,
                      const std::function<void()>& body) {
  return tool.run(argc, argv, [&] {
    apply_common_options(tool.common(), options);
    config = Provenance::current().config;
    body();
  });
}

std::string presets_dir() {
  if (const char* env = std::getenv("POSEKD_PRESETS_DIR"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path bin = exe.parent_path();
  for (const auto& candidate : {bin / ".." / "share" / "posekd" / "presets", bin / ".." / ".." / "share" / "posekd" / "presets"})
    if (fs::is_directory(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
  return (bin / ".." / "share" / "posekd" / "presets").lexically_normal().string();
}

std::vector<std::string> preset_names(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

CLI::Option* add_preset_option(CLI::App& app) {
  auto* config = app.get_config_ptr();
  return app
      .add_option_function<std::string>(
          "--preset",
          [config](const std::string& name) {
            if (config->count() > 0)
              throw CLI::ValidationError("--preset", "excludes --config (a preset is a config file: copy it and edit it)");
            config->add_result(preset_path(name));
          },
          "Read options from the preset NAME (share/posekd/presets/NAME.toml)")
      ->trigger_on_parse()
      ->configurable(false);
}

std::string preset_path(const std::string& name) {
  const std::string dir = presets_dir();
  const fs::path path = fs::path(dir) / (name + ".toml");
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    std::string known;
    for (const auto& n : preset_names(dir)) known += (known.empty() ? "" : ", ") + n;
    throw CLI::ValidationError("--preset", fmt::format("{}: no {} (known presets: {})", name, path.string(),
                                                      known.empty() ? "none" : known));
  }
  return path.string();
}

}  // namespace posekd::train
