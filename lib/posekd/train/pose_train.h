#pragma once
// pose-train as a library call (STYLE 1): the `gt` objective on the Trainer.
#include <CLI/CLI.hpp>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "posekd/cli/tool.h"
#include "posekd/train/trainer.h"

namespace posekd::train {

struct PoseTrainOptions {
  TrainOptions train;
  std::string config;  // the effective configuration (TOML), for --dry-run
};

// --dry-run prints to `out`; a run prints the best checkpoint's path and metric to `out`.
TrainResult run_pose_train(const PoseTrainOptions& options, std::ostream& out);
// What a training tool prints on stdout when done: "BEST<TAB>METRIC VALUE", or the checkpoint
// path without validation.
void print_train_result(const TrainOptions& options, const TrainResult& result, std::ostream& out);

// What every training tool does once its objective is built: --dry-run prints the model and
// `config`; a run prints the best checkpoint and metric (or the last checkpoint) to `out`.
TrainResult run_training(const TrainOptions& options, const std::string& config, Objective& objective,
                         std::ostream& out);

// The command line every training tool shares (pose-train, pose-selfdistill, ...): the LibTorch
// runtime hooks, the training options and --preset, bound to `tool`; the tool adds its own
// options after this.
void bind_training_tool(cli::Tool& tool, TrainOptions& options);
// Parses and runs `body` with the common options copied into `options` and the effective
// configuration (TOML) in `config`; returns the exit status.
int run_training_tool(cli::Tool& tool, int argc, char** argv, TrainOptions& options, std::string& config,
                      const std::function<void()>& body);

// Presets (share/posekd/presets/NAME.toml) are config files. `--preset NAME` hands the file to
// CLI11's --config as it parses; it excludes --config. The directory: $POSEKD_PRESETS_DIR, else
// <prefix>/share/posekd/presets beside an installed tool (<prefix>/bin), else the source tree's
// share/posekd/presets seen from build/bin.
CLI::Option* add_preset_option(CLI::App& app);
// Throws CLI::ValidationError (a usage error) for an unknown name, listing the known ones.
std::string preset_path(const std::string& name);
std::string presets_dir();
std::vector<std::string> preset_names(const std::string& dir);

}  // namespace posekd::train
