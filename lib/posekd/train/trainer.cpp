#include "posekd/train/trainer.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <map>

#include "posekd/cli/tool.h"
#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/core/signals.h"
#include "posekd/data/dataset.h"
#include "posekd/io/checkpoint.h"
#include "posekd/nn/complexity.h"
#include "posekd/train/data_parallel.h"
#include "posekd/train/metrics_log.h"
#include "posekd/train/model_checkpoint.h"
#include "posekd/train/predict.h"
#include "posekd/train/run_checkpoint.h"
#include "posekd/train/runtime.h"
#include "posekd/train/validation.h"

namespace posekd::train {

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

Batch to_device(const Batch& batch, const torch::Device& device) {
  if (device.is_cpu()) return batch;
  Batch b = batch;
  for (auto* t : {&b.images, &b.keypoints, &b.heatmaps, &b.heatmap_weights, &b.simcc_x, &b.simcc_y,
                  &b.simcc_weights, &b.regression, &b.regression_weights})
    if (t->defined()) *t = t->to(device, /*non_blocking=*/true);
  for (auto& [name, t] : b.extra) t = t.to(device, true);
  return b;
}

Dataset read_training_set(const TrainOptions& o) {
  ReadOptions ro;
  ro.format = parse_dataset_format(o.dataset_format);
  ro.image_dir = o.train_images;
  ro.skeleton = o.skeleton;
  ro.purpose = Purpose::training;
  Dataset d = read_dataset(o.train_annotations, ro);
  if (d.instances.empty())
    throw Error(fmt::format("{}: no usable training instance ({} annotations dropped: crowd or no labelled joint)",
                            o.train_annotations, d.dropped_for_training));
  return d;
}

LoaderOptions training_loader_options(const TrainOptions& o, const nn::ModelInfo& info, HeatmapCodec codec) {
  LoaderOptions lo;
  lo.batch_size = o.batch_size;
  lo.workers = o.workers;
  lo.seed = o.seed;
  lo.augment = !o.no_augment;
  lo.augmentation = o.augmentation;
  lo.targets = model_targets(info, codec);
  lo.targets.heatmap.sigma = o.sigma;
  lo.targets.simcc_options.sigma = o.simcc_sigma;
  if (info.head == nn::HeadType::simcc) lo.targets.simcc_options.split_ratio = info.spec.get_real("split");
  return lo;
}

// Hands the objective the loader for the run and takes it back when the run ends, also by an
// exception, before the loader is destroyed.
struct LoaderAttachment {
  Objective& objective;
  LoaderAttachment(Objective& o, const BatchLoader& loader) : objective(o) { o.attach_loader(&loader); }
  ~LoaderAttachment() { objective.attach_loader(nullptr); }
  LoaderAttachment(const LoaderAttachment&) = delete;
  LoaderAttachment& operator=(const LoaderAttachment&) = delete;
};

// Per-epoch running means of the loss terms, in the objective's order.
struct LossMeans {
  std::vector<std::pair<std::string, double>> sums;
  int64_t count = 0;
  void add(const std::vector<std::pair<std::string, double>>& terms) {
    if (sums.empty())
      for (const auto& [name, v] : terms) sums.emplace_back(name, 0.0);
    for (size_t i = 0; i < terms.size() && i < sums.size(); ++i) sums[i].second += terms[i].second;
    ++count;
  }
  std::vector<std::pair<std::string, double>> means() const {
    auto m = sums;
    for (auto& [name, v] : m) v /= double(std::max<int64_t>(count, 1));
    return m;
  }
  std::string text() const {
    std::string s;
    for (const auto& [name, v] : means()) s += fmt::format(" {} {:.6g}", name, v);
    return s;
  }
};

// Ranks other than 0 log warnings only, each line naming its rank; restored when the run ends.
class RankLogging {
 public:
  explicit RankLogging(const DataParallel& parallel) : level_(log::level()), program_(log::program()) {
    if (parallel.primary()) return;
    log::set_level(std::min(level_, log::Level::warn));
    log::set_program(fmt::format("{}[rank {}]", program_, parallel.rank()));
  }
  ~RankLogging() {
    log::set_level(level_);
    log::set_program(program_);
  }
  RankLogging(const RankLogging&) = delete;
  RankLogging& operator=(const RankLogging&) = delete;

 private:
  log::Level level_;
  std::string program_;
};

// torchrun and srun start one process per GPU and say which by LOCAL_RANK / SLURM_LOCALID.
c10::Device rank_device(const c10::Device& device, const WorldInfo& world) {
  if (device.is_cuda() && !device.has_index() && world.size > 1) return c10::Device(c10::kCUDA, c10::DeviceIndex(world.local_rank));
  return device;
}

}  // namespace

void print_dry_run(const TrainOptions& o, const std::string& config, std::ostream& out) {
  const auto spec = nn::ModelSpec::parse(o.model);
  auto model = nn::make_model(spec, o.seed);
  const auto c = nn::measure_complexity(*model);
  const auto& info = model->info();
  out << fmt::format("model: {}\nhead: {}\ninput: {}x{} (HxW)\nheatmap: {}x{} (HxW)\nparams: {} ({:.3f} M)\n"
                     "GFLOPs: {:.4f} (multiply-accumulates per image at the input size)\n\n",
                     spec.str(), nn::head_name(info.head), info.input.height, info.input.width, info.heatmap.height,
                     info.heatmap.width, c.params, double(c.params) * 1e-6, c.gflops());
  out << config;
}

TrainResult run_train(const TrainOptions& o, Objective& objective) {
  validate(o);
  const auto spec = nn::ModelSpec::parse(o.model);
  const auto codec = parse_heatmap_codec(o.codec);
  const RunFiles files = run_files(o.output);
  const bool resuming = !o.resume.empty();
  if (!(resuming && same_file(o.resume, o.output))) cli::check_output_path(o.output, o.force);
  cli::check_output_path(files.best, true);
  const auto requested_device = resolve_device(o.device);
  DataParallel parallel(o.distributed, requested_device);
  const RankLogging rank_logging(parallel);
  const auto device = rank_device(requested_device, parallel.world());

  // Everything that can refuse the run is checked before the first step.
  Dataset train_set = read_training_set(o);
  if (spec.joints() != train_set.skeleton.num_joints())
    throw UsageError(fmt::format("--model {}: joints={}, but {} has {} joints ({}); add joints={}", o.model,
                                 spec.joints(), o.train_annotations, train_set.skeleton.num_joints(),
                                 train_set.skeleton.name, train_set.skeleton.num_joints()));
  objective.check_training_set(train_set.instances, train_set.skeleton, o.train_annotations);
  std::optional<ValidationSpec> val;
  if (!o.val_annotations.empty()) {
    val = read_validation_set(o.val_annotations, o.val_images, o.dataset_format, o.skeleton);
    check_skeleton(val->dataset_skeleton, train_set.skeleton, o.val_annotations, "keypoints");
    val->codec = codec;
    val->batch_size = o.val_batch_size;
    val->flip_test = !o.no_flip_test;
    val->workers = o.workers;
  }
  std::optional<io::Checkpoint> resume_checkpoint;
  auto model = nn::make_model(spec, o.seed);
  if (!o.init.empty()) load_model_weights(*model, train_set.skeleton, io::read_checkpoint(o.init), o.init);
  objective.extend_model(*model, train_set.skeleton);
  if (resuming) {
    resume_checkpoint = io::read_checkpoint(o.resume);
    load_model_weights(*model, train_set.skeleton, *resume_checkpoint, o.resume);
  }
  torch::manual_seed(o.seed);
  model->to(device);
  auto trained = trained_modules(model, objective.extra_modules());
  objective.freeze(*model);
  auto optimizer = make_optimizer(o.optimizer, *trained.root);
  ScheduleOptions schedule_options = o.schedule;
  if (schedule_options.epochs == 0) schedule_options.epochs = o.epochs;
  const LrSchedule schedule(o.optimizer.lr, schedule_options);

  LoaderOptions loader_options = training_loader_options(o, model->info(), codec);
  loader_options.shard_index = parallel.rank();
  loader_options.shard_count = parallel.size();
  objective.configure_loader(loader_options);
  const int64_t instances = int64_t(train_set.instances.size());
  BatchLoader loader(train_set.instances, train_set.skeleton, loader_options);
  const LoaderAttachment attachment(objective, loader);
  const int64_t batches = loader.batches_per_epoch();

  RunPosition position;
  if (resuming)
    position = restore_run(*resume_checkpoint, o.resume, trained, objective, *optimizer, o.optimizer);
  parallel.attach(*trained.root);
  // A step trains world size x batch size samples of the epoch's order (loader.h), so a
  // mid-epoch position is a count of samples; files from before it was recorded were written
  // by one process, whose steps were batches of the whole order.
  if (position.epoch_samples < 0)
    position.epoch_samples = (position.step - position.epoch * ((instances + o.batch_size - 1) / o.batch_size)) * o.batch_size;
  if (position.epoch_samples < 0 || position.epoch_samples >= instances)
    fail(o.resume, "/train", fmt::format("step {} at sample {} does not lie in epoch {} of {} samples (was the dataset changed?)",
                                         position.step, position.epoch_samples, position.epoch + 1, instances));
  const int64_t samples_per_step = int64_t(o.batch_size) * parallel.size();
  int64_t first_batch = 0, skip_samples = 0;
  if (position.epoch_samples % samples_per_step == 0)
    first_batch = position.epoch_samples / samples_per_step;
  else
    skip_samples = position.epoch_samples;

  const auto complexity = nn::measure_complexity(*model);
  log::info("{} objective, model {} ({:.3f} M params, {:.3f} GFLOPs at {}x{})", objective.name(), spec.str(),
            double(complexity.params) * 1e-6, complexity.gflops(), spec.input().height, spec.input().width);
  log::info("device {}, {} compute threads, {} loader workers, BLAS: {}", device.str(), at::get_num_threads(), o.workers,
            blas_description());
  log::info("{}: {} training instances, {} batches of {} per epoch{}", o.train_annotations, train_set.instances.size(),
            batches, o.batch_size, val ? fmt::format("; validation on {} instances", val->instances.size()) : "");
  if (parallel.size() > 1)
    log::info("data-parallel: {}; {} samples per step, each rank {} of every epoch", parallel.description(),
              samples_per_step, (instances + parallel.size() - 1) / parallel.size());
  if (resuming)
    log::info("resuming {} at epoch {}, sample {} of the epoch (step {})", o.resume, position.epoch + 1,
              position.epoch_samples, position.step);

  // Files are rank 0's: the others hold the same weights.
  std::optional<MetricsLog> metrics_log;
  if (parallel.primary()) metrics_log.emplace(files.metrics_jsonl, files.metrics_csv, resuming);
  auto save = [&](const std::string& path) {
    if (!parallel.primary()) return;
    write_checkpoint(run_checkpoint(trained, train_set.skeleton, codec, objective, *optimizer, o.optimizer, position),
                     path);
  };

  install_interrupt_handlers();
  TrainResult result;
  result.metric = position.best_metric_name;
  result.best_metric = position.best_metric;
  int64_t steps_this_run = 0;
  bool saved_any = resuming;
  // The lr of the last step taken, so on_lr_change sees only real changes.
  const int64_t last_step_epoch = position.epoch_samples > 0 ? position.epoch : position.epoch - 1;
  double lr = position.step > 0 ? schedule.lr(int(last_step_epoch), position.step - 1) : -1;
  // The optimizer is built at the base lr and the checkpoint stores no lr: a run resumed past
  // a milestone must start at the schedule's lr, not only change it at the next change.
  if (lr >= 0) set_learning_rate(*optimizer, lr);
  model->train();
  for (int64_t epoch = position.epoch; epoch < o.epochs; ++epoch) {
    const double wall0 = wall_seconds(), cpu0 = cpu_seconds();
    double log_wall = wall0, waited = 0;
    LossMeans losses;
    bool stop = false;
    loader.start_epoch(epoch, first_batch, skip_samples);
    first_batch = skip_samples = 0;
    const int64_t batches_now = loader.batches_in_epoch();
    const double reduce0 = parallel.reduce_seconds();
    const int64_t reductions0 = parallel.reductions();
    for (;;) {
      const double wait0 = wall_seconds();
      auto batch = loader.next();
      waited += wall_seconds() - wait0;
      if (!batch) break;
      const double step_lr = schedule.lr(int(epoch), position.step);
      if (step_lr != lr) {
        set_learning_rate(*optimizer, step_lr);
        if (lr >= 0) objective.on_lr_change(lr, step_lr);
        lr = step_lr;
      }
      const StepContext context{epoch, o.epochs, position.step, lr, device};
      LossTerms terms = objective.loss(*model, to_device(*batch, device), context);
      const double total = terms.total.item<double>();
      const std::string lost_state = saved_any ? o.output + " holds the last good state" : "no checkpoint was written";
      if (parallel.size() == 1 && !std::isfinite(total))
        throw Error(fmt::format("step {} (epoch {}, batch {}): the loss is {}; stopped, {}", position.step, epoch + 1,
                                batch->index, total, lost_state));
      optimizer->zero_grad();
      terms.total.backward();
      // The stop request is agreed on with the gradients, so every rank stops after the same step.
      const bool stop_requested = interrupt_requested() || (o.stop_after > 0 && steps_this_run + 1 >= o.stop_after);
      const StepSummary summary = parallel.finish_step(terms, stop_requested, position.step);
      if (summary.nonfinite_ranks > 0)
        throw Error(fmt::format("step {} (epoch {}, batch {}): the loss is not finite on {} of {} ranks (here {}); "
                                "stopped, {}",
                                position.step, epoch + 1, batch->index, summary.nonfinite_ranks, parallel.size(), total,
                                lost_state));
      optimizer->step();
      ++position.step;
      ++steps_this_run;
      position.epoch_samples += batch->size() * parallel.size();
      losses.add(summary.terms);
      if (position.step % o.log_every == 0) {
        const double now = wall_seconds();
        const double interval = std::max(now - log_wall, 1e-9);
        log::info("epoch {}/{} batch {}/{} step {} lr {:.3g}{} ({:.1f} samples/s, {:.0f}% waiting for data)",
                  epoch + 1, o.epochs, batch->index + 1, batches_now, position.step, lr, losses.text(),
                  double(o.log_every * samples_per_step) / interval, 100 * waited / interval);
        log_wall = now;
        waited = 0;
      }
      stop = summary.stop;
      if (stop && batch->index + 1 < batches_now) {
        parallel.average_buffers(*trained.root, position.step);
        save(o.output);
        throw Interrupted(fmt::format("stopped after step {} (epoch {}, batch {}); resume with --resume {}",
                                      position.step, epoch + 1, batch->index + 1, o.output));
      }
    }
    position.epoch = epoch + 1;
    position.epoch_samples = 0;
    parallel.average_buffers(*trained.root, position.step);
    EpochRecord record{epoch + 1, position.step, lr, losses.means(), {}, 0, 0};
    // Validation runs on rank 0 while the others wait in the next epoch's first all-reduce.
    const bool validate_now =
        parallel.primary() && val && !stop && ((epoch + 1) % o.val_every == 0 || epoch + 1 == o.epochs);
    bool improved = false;
    if (validate_now) {
      const auto v = run_validation(*model, *val, device, files.val_predictions);
      record.metrics = v.metrics;
      result.last_metrics = v.metrics;
      improved = position.best_metric_name.empty() || v.primary_value() > position.best_metric;
      if (improved) {
        position.best_metric = v.primary_value();
        position.best_metric_name = v.primary;
      }
      std::string text;
      for (const auto& [name, value] : v.metrics) text += fmt::format(" {} {:.4f}", name, value);
      log::info("epoch {} validation:{}{}", epoch + 1, text, improved ? " (best)" : "");
    }
    record.epoch_seconds = wall_seconds() - wall0;
    record.cpu_seconds = cpu_seconds() - cpu0;
    if (metrics_log) metrics_log->write(record);
    save(o.output);
    saved_any = true;
    if (improved) save(files.best);
    const int64_t reductions = parallel.reductions() - reductions0;
    log::info("epoch {}/{} done in {:.1f} s (CPU {:.1f} s):{}{}", epoch + 1, o.epochs, record.epoch_seconds,
              record.cpu_seconds, losses.text(),
              reductions > 0 ? fmt::format(" (all-reduce {:.1f} ms/step)",
                                           1e3 * (parallel.reduce_seconds() - reduce0) / double(reductions))
                             : "");
    if (stop)
      throw Interrupted(fmt::format("stopped after epoch {} (step {}); resume with --resume {}", epoch + 1,
                                    position.step, o.output));
  }
  result.rank = parallel.rank();
  result.epochs = position.epoch;
  result.steps = position.step;
  result.metric = position.best_metric_name;
  result.best_metric = position.best_metric;
  return result;
}

}  // namespace posekd::train
