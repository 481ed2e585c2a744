#include "posekd/train/train_options.h"

#include <fmt/format.h>

#include "posekd/core/error.h"

namespace posekd::train {

namespace {
// --print-config writes unset paths as "", and --config must read that file back.
const CLI::Validator ExistingFileOrUnset(
    [](std::string& path) { return path.empty() ? std::string() : CLI::ExistingFile(path); }, "FILE", "existing file");
}  // namespace

void bind_train_options(CLI::App& app, TrainOptions& o) {
  // The last of a repeated option wins, so a command line can override what it set before
  // (scripts append to a base command).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  const char* data = "Data";
  app.add_option("--train", o.train_annotations, "Training annotations (COCO, CrowdPose or MPII JSON)")
      ->check(ExistingFileOrUnset)
      ->group(data);
  app.add_option("--train-images", o.train_images, "Training image directory (default: beside the annotations)")
      ->group(data);
  app.add_option("--val", o.val_annotations, "Validation annotations; none: no validation")
      ->check(ExistingFileOrUnset)
      ->group(data);
  app.add_option("--val-images", o.val_images, "Validation image directory (default: beside the annotations)")
      ->group(data);
  app.add_option("--format", o.dataset_format, "Dataset format: auto, coco, crowdpose, mpii")
      ->capture_default_str()
      ->group(data);
  app.add_option("--skeleton", o.skeleton, "Skeleton name or JSON file (default: the dataset's own)")->group(data);

  const char* model = "Model";
  app.add_option("--model", o.model, "Model spec, e.g. hourglass:stacks=2,channels=64,depth=3,input=128x96")
      ->group(model);
  app.add_option("--init", o.init, "Start from this checkpoint's weights (same spec and skeleton)")
      ->check(ExistingFileOrUnset)
      ->group(model);
  app.add_option("--codec", o.codec, "Heatmap targets and decoding: hrnet, unbiased, udp")
      ->capture_default_str()
      ->group(model);
  app.add_option("--sigma", o.sigma, "Heatmap Gaussian sigma in heatmap pixels")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(model);
  app.add_option("--simcc-sigma", o.simcc_sigma, "SimCC label Gaussian sigma in bins")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(model);
  app.add_option("--simcc-beta", o.simcc_loss.beta, "SimCC KL loss: softmax temperature on the logits")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(model);
  app.add_flag("--simcc-label-softmax", o.simcc_loss.label_softmax, "SimCC KL loss: softmax the labels too (RTMPose)")
      ->group(model);
  app.add_option("--simcc-label-beta", o.simcc_loss.label_beta, "SimCC KL loss: softmax temperature on the labels")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(model);

  const char* opt = "Optimization";
  app.add_option("--epochs", o.epochs, "Training epochs")->check(CLI::Range(1, 100000))->capture_default_str()->group(opt);
  app.add_option("-b,--batch-size", o.batch_size, "Samples per step")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str()
      ->group(opt);
  app.add_option("--optimizer", o.optimizer.name, "adam, adamw, sgd, rmsprop")->capture_default_str()->group(opt);
  app.add_option("--lr", o.optimizer.lr, "Base learning rate")->check(CLI::PositiveNumber)->capture_default_str()->group(opt);
  app.add_option("--weight-decay", o.optimizer.weight_decay, "Weight decay (decoupled for adamw, L2 otherwise)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(opt);
  app.add_option("--momentum", o.optimizer.momentum, "Momentum of sgd and rmsprop")->capture_default_str()->group(opt);
  app.add_flag("--nesterov", o.optimizer.nesterov, "Nesterov momentum (sgd)")->group(opt);
  app.add_option("--beta1", o.optimizer.beta1, "Adam/AdamW beta1")->capture_default_str()->group(opt);
  app.add_option("--beta2", o.optimizer.beta2, "Adam/AdamW beta2")->capture_default_str()->group(opt);
  app.add_option("--eps", o.optimizer.eps, "Adam/AdamW/RMSprop epsilon")->capture_default_str()->group(opt);
  app.add_option("--rmsprop-alpha", o.optimizer.alpha, "RMSprop smoothing constant")->capture_default_str()->group(opt);
  app.add_option("--lr-policy", o.schedule.policy, "multistep, cosine, constant")->capture_default_str()->group(opt);
  app.add_option("--milestones", o.schedule.milestones, "multistep: epochs (0-based) at which lr is multiplied by gamma")
      ->delimiter(',')
      ->group(opt);
  app.add_option("--gamma", o.schedule.gamma, "multistep: lr factor per milestone")->capture_default_str()->group(opt);
  app.add_option("--min-lr", o.schedule.min_lr, "cosine: final learning rate")->capture_default_str()->group(opt);
  app.add_option("--warmup-iters", o.schedule.warmup_iters, "Linear warmup steps (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(opt);
  app.add_option("--warmup-factor", o.schedule.warmup_start_factor, "Warmup's starting lr factor")
      ->capture_default_str()
      ->group(opt);

  const char* aug = "Augmentation";
  app.add_flag("--no-augment", o.no_augment, "Train on the plain crops")->group(aug);
  auto& a = o.augmentation;
  app.add_option("--flip-prob", a.flip_prob, "Horizontal flip probability")->capture_default_str()->group(aug);
  app.add_option("--half-body-prob", a.half_body_prob, "Half-body crop probability")->capture_default_str()->group(aug);
  app.add_option("--scale-factor", a.scale_factor, "Crop scale: 1 + N(0,1)*f clipped to [1-f, 1+f]")
      ->capture_default_str()
      ->group(aug);
  app.add_option("--rotation-factor", a.rotation_factor, "Rotation: N(0,1)*f degrees clipped to [-2f, 2f]")
      ->capture_default_str()
      ->group(aug);
  app.add_option("--rotation-prob", a.rotation_prob, "Probability of a rotation")->capture_default_str()->group(aug);
  app.add_option("--shift-prob", a.shift_prob, "Probability of a box-centre shift")->capture_default_str()->group(aug);
  app.add_option("--shift-factor", a.shift_factor, "Box-centre shift: U(-1,1)*f of the box size")
      ->capture_default_str()
      ->group(aug);
  app.add_option("--brightness", a.brightness, "Colour jitter: brightness factor in [1-j, 1+j]")
      ->capture_default_str()
      ->group(aug);
  app.add_option("--contrast", a.contrast, "Colour jitter: contrast")->capture_default_str()->group(aug);
  app.add_option("--saturation", a.saturation, "Colour jitter: saturation")->capture_default_str()->group(aug);

  const char* val = "Validation";
  app.add_option("--val-every", o.val_every, "Validate every N epochs (and after the last)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str()
      ->group(val);
  app.add_option("--val-batch-size", o.val_batch_size, "Samples per validation batch")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str()
      ->group(val);
  app.add_flag("--no-flip-test", o.no_flip_test, "Validate without the flip test")->group(val);

  const char* out = "Output";
  app.add_option("-o,--output", o.output, "The last checkpoint; NAME.best.ckpt.h5, NAME.metrics.jsonl/.csv beside it")
      ->group(out);
  app.add_flag("--force", o.force, "Overwrite existing outputs")->group(out);
  app.add_option("--resume", o.resume, "Continue the run saved in this checkpoint exactly")
      ->check(ExistingFileOrUnset)
      ->group(out);
  app.add_option("--log-every", o.log_every, "Steps between progress lines")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str()
      ->group(out);
  app.add_option("--stop-after", o.stop_after,
                 "Save a resumable checkpoint and exit 75 after this many steps of this invocation (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(out);
  bind_distributed_options(app, o.distributed);
  app.add_flag("--dry-run", o.dry_run, "Print the model's parameters and GFLOPs and the configuration, and exit")
      ->configurable(false)
      ->group(out);
}

void bind_distributed_options(CLI::App& app, DistributedOptions& d) {
  const char* group = distributed_available() ? "Distributed (rank and world size from torchrun's or srun's environment)"
                                              : "Distributed (unavailable: built without c10d, one process only)";
  app.add_option("--dist-backend", d.backend, "c10d backend: auto (nccl for CUDA devices, else gloo), gloo, nccl")
      ->check(CLI::IsMember({"auto", "gloo", "nccl"}))
      ->capture_default_str()
      ->group(group);
  app.add_option("--dist-file", d.file,
                 "Rendezvous through this file on a filesystem every rank sees (fresh per job) instead of "
                 "MASTER_ADDR:MASTER_PORT")
      ->group(group);
  app.add_option("--dist-timeout", d.timeout_seconds,
                 "Seconds a rank waits for the others (rendezvous, each all-reduce) before the job fails; must "
                 "exceed a validation pass and a checkpoint write")
      ->check(CLI::Range(1.0, 1e7))
      ->capture_default_str()
      ->group(group);
  app.add_option("--dist-bucket-mb", d.bucket_mb, "Gradient all-reduce bucket size in MiB")
      ->check(CLI::Range(0.001, 1e5))
      ->capture_default_str()
      ->group(group);
  app.add_flag("--sync-bn", d.sync_bn,
               "Batch-norm statistics over the whole job's batch (SyncBatchNorm); default: each rank's own")
      ->group(group);
}

void apply_common_options(const cli::CommonOptions& common, TrainOptions& o) {
  o.seed = common.seed;
  o.workers = common.workers;
  o.threads = common.threads;
  o.device = common.device;
}

RunFiles run_files(const std::string& output) {
  std::string stem = output;
  for (const char* suffix : {".ckpt.h5", ".h5"}) {
    const std::string s = suffix;
    if (stem.size() > s.size() && stem.compare(stem.size() - s.size(), s.size(), s) == 0) {
      stem.resize(stem.size() - s.size());
      break;
    }
  }
  return {output, stem + ".best.ckpt.h5", stem + ".metrics.jsonl", stem + ".metrics.csv", stem + ".val.json"};
}

void validate(const TrainOptions& o) {
  if (o.train_annotations.empty()) throw UsageError("--train: required");
  if (o.model.empty()) throw UsageError("--model: required (a model spec, or use --preset)");
  if (o.output.empty() && !o.dry_run) throw UsageError("-o/--output: required");
  if (o.output == "-") throw UsageError("-o -: a training run needs a checkpoint file, not stdout");
  if (!o.init.empty() && !o.resume.empty()) throw UsageError("--init and --resume exclude each other");
  if (o.val_images.size() && o.val_annotations.empty()) throw UsageError("--val-images: needs --val");
  validate(o.optimizer);
  ScheduleOptions schedule = o.schedule;
  if (schedule.epochs == 0) schedule.epochs = o.epochs;
  validate(schedule);
}

}  // namespace posekd::train
