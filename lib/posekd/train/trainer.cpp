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

// Per-epoch running means of the loss terms, in the objective's order.
struct LossMeans {
  std::vector<std::pair<std::string, double>> sums;
  int64_t count = 0;
  void add(const LossTerms& terms) {
    if (sums.empty())
      for (const auto& [name, v] : terms.terms) sums.emplace_back(name, 0.0);
    for (size_t i = 0; i < terms.terms.size() && i < sums.size(); ++i) sums[i].second += terms.terms[i].second.item<double>();
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
  const auto device = resolve_device(o.device);

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
  objective.configure_loader(loader_options);
  BatchLoader loader(train_set.instances, train_set.skeleton, loader_options);
  const int64_t batches = loader.batches_per_epoch();

  RunPosition position;
  if (resuming)
    position = restore_run(*resume_checkpoint, o.resume, trained, objective, *optimizer, o.optimizer);
  int64_t first_batch = position.step - position.epoch * batches;
  if (first_batch < 0 || first_batch >= batches)
    fail(o.resume, "/train", fmt::format("step {} does not lie in epoch {} of {} batches (was the dataset or --batch-size changed?)",
                                         position.step, position.epoch + 1, batches));

  const auto complexity = nn::measure_complexity(*model);
  log::info("{} objective, model {} ({:.3f} M params, {:.3f} GFLOPs at {}x{})", objective.name(), spec.str(),
            double(complexity.params) * 1e-6, complexity.gflops(), spec.input().height, spec.input().width);
  log::info("device {}, {} compute threads, {} loader workers, BLAS: {}", device.str(), at::get_num_threads(), o.workers,
            blas_description());
  log::info("{}: {} training instances, {} batches of {} per epoch{}", o.train_annotations, train_set.instances.size(),
            batches, o.batch_size, val ? fmt::format("; validation on {} instances", val->instances.size()) : "");
  if (resuming) log::info("resuming {} at epoch {}, batch {} (step {})", o.resume, position.epoch + 1, first_batch, position.step);

  MetricsLog metrics_log(files.metrics_jsonl, files.metrics_csv, resuming);
  auto save = [&](const std::string& path) {
    write_checkpoint(run_checkpoint(trained, train_set.skeleton, codec, objective, *optimizer, o.optimizer, position),
                     path);
  };

  install_interrupt_handlers();
  TrainResult result;
  result.metric = position.best_metric_name;
  result.best_metric = position.best_metric;
  int64_t steps_this_run = 0;
  bool saved_any = resuming;
  double lr = position.step > 0 ? schedule.lr(int((position.step - 1) / batches), position.step - 1) : -1;
  model->train();
  for (int64_t epoch = position.epoch; epoch < o.epochs; ++epoch) {
    const double wall0 = wall_seconds(), cpu0 = cpu_seconds();
    double log_wall = wall0, waited = 0;
    LossMeans losses;
    bool stop = false;
    loader.start_epoch(epoch, first_batch);
    first_batch = 0;
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
      if (!std::isfinite(total))
        throw Error(fmt::format("step {} (epoch {}, batch {}): the loss is {}; stopped, {}", position.step, epoch + 1,
                                batch->index, total,
                                saved_any ? o.output + " holds the last good state" : "no checkpoint was written"));
      optimizer->zero_grad();
      terms.total.backward();
      optimizer->step();
      ++position.step;
      ++steps_this_run;
      losses.add(terms);
      if (position.step % o.log_every == 0) {
        const double now = wall_seconds();
        const double interval = std::max(now - log_wall, 1e-9);
        log::info("epoch {}/{} batch {}/{} step {} lr {:.3g}{} ({:.1f} samples/s, {:.0f}% waiting for data)",
                  epoch + 1, o.epochs, batch->index + 1, batches, position.step, lr, losses.text(),
                  double(o.log_every * o.batch_size) / interval, 100 * waited / interval);
        log_wall = now;
        waited = 0;
      }
      stop = interrupt_requested() || (o.stop_after > 0 && steps_this_run >= o.stop_after);
      if (stop && batch->index + 1 < batches) {
        save(o.output);
        throw Interrupted(fmt::format("stopped after step {} (epoch {}, batch {}); resume with --resume {}",
                                      position.step, epoch + 1, batch->index + 1, o.output));
      }
    }
    position.epoch = epoch + 1;
    EpochRecord record{epoch + 1, position.step, lr, losses.means(), {}, 0, 0};
    const bool validate_now = val && !stop && ((epoch + 1) % o.val_every == 0 || epoch + 1 == o.epochs);
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
    metrics_log.write(record);
    save(o.output);
    saved_any = true;
    if (improved) save(files.best);
    log::info("epoch {}/{} done in {:.1f} s (CPU {:.1f} s):{}", epoch + 1, o.epochs, record.epoch_seconds,
              record.cpu_seconds, losses.text());
    if (stop)
      throw Interrupted(fmt::format("stopped after epoch {} (step {}); resume with --resume {}", epoch + 1,
                                    position.step, o.output));
  }
  result.epochs = position.epoch;
  result.steps = position.step;
  result.metric = position.best_metric_name;
  result.best_metric = position.best_metric;
  return result;
}

}  // namespace posekd::train
