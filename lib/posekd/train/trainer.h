#pragma once
// The one training loop (DESIGN 1): pose-train, pose-distill, pose-selfdistill and
// pose-refine-gcn each hand it their options and an Objective.
//
//   train::TrainOptions options;                 // bound to the command line by bind_train_options
//   train::GtObjective objective(head);
//   train::TrainResult r = train::run_train(options, objective);
//
// Per step: lr from the schedule (by epoch and global step), the objective's loss, backward,
// optimizer step. Per epoch: validation every --val-every epochs and after the last, a metrics
// row (JSONL and CSV), the last checkpoint (-o), the best one (NAME.best.ckpt.h5) when the
// metric improved. SIGINT/SIGTERM or --stop-after: the step finishes, a resumable checkpoint
// is written and posekd::Interrupted is thrown (exit 75); --resume continues at the next batch.
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "posekd/train/objective.h"
#include "posekd/train/train_options.h"

namespace posekd::train {

struct TrainResult {
  int rank = 0;  // in a data-parallel job; only rank 0 writes files and reports
  int64_t epochs = 0;  // completed, over the whole run
  int64_t steps = 0;   // global
  std::string metric;  // the validation metric ("AP", "Mean" for PCKh); "" without validation
  double best_metric = 0;
  std::vector<std::pair<std::string, double>> last_metrics;  // the last validation's summary
};

// Throws UsageError/Error before any step for bad options or inputs; Error naming the step
// when the loss is not finite (the last checkpoint on disk is then the last good one).
TrainResult run_train(const TrainOptions& options, Objective& objective);

// --dry-run: the model spec, its parameters and GFLOPs at its input size, and `config`
// (the effective configuration as TOML), without reading any data.
void print_dry_run(const TrainOptions& options, const std::string& config, std::ostream& out);

}  // namespace posekd::train
