#pragma once
// Everything a training run needs, as one plain struct (STYLE 2), and its command-line form.
// pose-train binds it; pose-distill, pose-selfdistill and pose-refine-gcn bind the same options
// and add their own, so every training tool speaks one dialect.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "posekd/cli/tool.h"
#include "posekd/data/transforms_augment.h"
#include "posekd/loss/gt_losses.h"
#include "posekd/train/distributed.h"
#include "posekd/train/optim.h"
#include "posekd/train/schedule.h"

namespace posekd::train {

struct TrainOptions {
  // Data
  std::string train_annotations, train_images;  // images "" = beside the annotation file
  std::string val_annotations, val_images;      // val "" = no validation
  std::string dataset_format = "auto";
  std::string skeleton;  // "" = the dataset's own
  // Model
  std::string model;  // spec, "hourglass:stacks=2,channels=64,depth=3,input=128x96"
  std::string init;   // checkpoint whose weights start the run (same spec and skeleton)
  std::string codec = "unbiased";  // hrnet, unbiased, udp
  double sigma = 2.0;              // heatmap Gaussian, heatmap pixels
  double simcc_sigma = 6.0;        // SimCC label Gaussian, bins
  loss::SimccLossOptions simcc_loss;
  // Schedule and optimizer
  int epochs = 10;
  int batch_size = 32;
  OptimizerOptions optimizer;
  ScheduleOptions schedule;  // schedule.epochs 0 = the run's epochs (cosine)
  // Augmentation
  bool no_augment = false;  // the plain crops (as a negative flag: --print-config round-trips it)
  AugmentOptions augmentation;
  // Validation
  int val_every = 1;  // epochs; the last epoch is always validated
  int val_batch_size = 64;
  bool no_flip_test = false;
  // Output and resume
  std::string output;  // the last checkpoint; best, metrics and predictions beside it
  bool force = false;
  std::string resume;  // a checkpoint with /train state, written by a run of the same options
  int log_every = 50;  // steps between log lines
  int64_t stop_after = 0;  // > 0: save a resumable checkpoint after this many steps of this run, exit 75
  bool dry_run = false;
  // Data-parallel jobs (rank and world size come from torchrun's or Slurm's environment)
  DistributedOptions distributed;
  // Runtime (pose-train copies them from the tool's common options)
  uint64_t seed = 0;
  int workers = 2;
  int threads = 0;
  std::string device = "cpu";
};

// Adds every option above except the runtime ones (--seed, --workers, --threads, --device
// belong to cli::Tool) to `app`, grouped for --help.
void bind_train_options(CLI::App& app, TrainOptions& options);
// --dist-backend, --dist-file, --dist-timeout, --dist-bucket-mb (bind_train_options adds them).
void bind_distributed_options(CLI::App& app, DistributedOptions& options);
// Copies --seed, --workers, --threads, --device.
void apply_common_options(const cli::CommonOptions& common, TrainOptions& options);

// Paths beside the last checkpoint: "run.ckpt.h5" -> "run.best.ckpt.h5", "run.metrics.jsonl",
// "run.metrics.csv", "run.val.json" (the latest validation's predictions).
struct RunFiles {
  std::string last, best, metrics_jsonl, metrics_csv, val_predictions;
};
RunFiles run_files(const std::string& output);

// Throws UsageError for option values no run could use, naming the option.
void validate(const TrainOptions& options);

}  // namespace posekd::train
