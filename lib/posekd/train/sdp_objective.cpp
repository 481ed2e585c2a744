#include "posekd/train/sdp_objective.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/loss/gt_losses.h"

namespace posekd::train {

namespace {

// Schedules compute lr = base·γ^-k in floating point; a division "by γ" is one within this.
constexpr double kRatioTolerance = 1e-6;

std::vector<int64_t> to_vector(const torch::Tensor& indices) {
  const auto cpu = indices.to(torch::kCPU, torch::kLong).contiguous();
  return {cpu.data_ptr<int64_t>(), cpu.data_ptr<int64_t>() + cpu.numel()};
}

}  // namespace

std::string validate(const SdpOptions& o, const ScheduleOptions& schedule) {
  if (!(o.alpha >= 0) || !std::isfinite(o.alpha)) throw UsageError(fmt::format("--alpha {}: must be >= 0", o.alpha));
  if (o.distance < 1) throw UsageError(fmt::format("--distance {}: must be >= 1", o.distance));
  if (!(o.gamma > 1) || !std::isfinite(o.gamma))
    throw UsageError(fmt::format("--stepping-gamma {}: must be > 1", o.gamma));
  if (o.no_stepping) return "";
  if (schedule.policy != "multistep")
    throw UsageError(fmt::format(
        "--lr-policy {}: the stepping strategy multiplies s by {} when the learning rate is divided by {}, which only "
        "multistep does; use --lr-policy multistep --gamma {:g}, or --no-stepping",
        schedule.policy, o.gamma, o.gamma, 1 / o.gamma));
  if (std::abs(schedule.gamma * o.gamma - 1) > kRatioTolerance)
    throw UsageError(fmt::format("--gamma {:g}: the stepping strategy needs the learning rate divided by "
                                 "--stepping-gamma {:g} at each milestone; use --gamma {:g}, or --no-stepping",
                                 schedule.gamma, o.gamma, 1 / o.gamma));
  if (schedule.milestones.empty())
    return fmt::format("no --milestones: the learning rate never drops, so the distance stays s = {}", o.distance);
  return "";
}

LossTerms sdp_loss(const std::vector<torch::Tensor>& stacks, const torch::Tensor& targets, const torch::Tensor& weights,
                   const torch::Tensor& stored, const torch::Tensor& backup_weights, double alpha) {
  const auto gt = loss::stacked_joints_mse(stacks, targets, weights);
  auto sd = torch::zeros({}, gt.options());
  if (stored.defined()) {
    const int64_t backup = stored.size(0), fresh = stacks.at(0).size(0) - backup;
    if (fresh < 0)
      throw Error(fmt::format("sdp loss: {} stored predictions for a forward of {} samples", backup, stacks[0].size(0)));
    std::vector<torch::Tensor> backup_stacks;
    for (const auto& s : stacks) backup_stacks.push_back(s.narrow(0, fresh, backup));
    sd = loss::stacked_joints_mse(backup_stacks, stored.to(gt.device(), torch::kFloat), backup_weights);
  }
  LossTerms terms;
  terms.total = gt + alpha * sd;
  terms.terms.emplace_back("heatmap_mse", gt.detach());
  terms.terms.emplace_back("sd_mse", sd.detach());
  return terms;
}

SdpObjective::SdpObjective(SdpOptions options) : options_(options), distance_(options.distance) {}

SdpObjective::~SdpObjective() = default;

void SdpObjective::configure_loader(LoaderOptions& options) {
  options.targets.heatmaps = true;
  options.targets.simcc = false;
  options.targets.regression = false;
}

void SdpObjective::attach_loader(const BatchLoader* loader) {
  // The prefetch reads the loader it was started on; a worker's error no longer matters here.
  if (prefetched_.valid()) prefetched_.wait();
  prefetched_ = {};
  prefetched_step_ = -1;
  loader_ = loader;
}

Batch SdpObjective::rebuild(const QueuedBatch& queued) {
  if (!loader_) throw Error("sdp: no training loader attached to re-render past batches");
  return loader_->rebuild(queued.indices, queued.params);
}

std::optional<Batch> SdpObjective::backup_batch(int64_t step) {
  const QueuedBatch* queued = queue_.backup_for(step, distance_);
  std::optional<Batch> prefetched;
  if (prefetched_.valid()) {
    const int64_t key = prefetched_step_;
    Batch b = prefetched_.get();  // also rethrows the worker's error
    if (queued && key == queued->step) prefetched = std::move(b);
  }
  if (!queued) return std::nullopt;
  if (prefetched) return prefetched;
  return rebuild(*queued);
}

void SdpObjective::prefetch(int64_t step) {
  const QueuedBatch* queued = queue_.backup_for(step, distance_);
  if (!queued || !loader_) return;
  prefetched_step_ = queued->step;
  prefetched_ = std::async(std::launch::async, [loader = loader_, indices = queued->indices, params = queued->params] {
    return loader->rebuild(indices, params);
  });
}

LossTerms SdpObjective::loss(nn::PoseModelImpl& model, const Batch& batch, const StepContext& context) {
  const auto backup = backup_batch(context.step);
  const QueuedBatch* queued = backup ? queue_.backup_for(context.step, distance_) : nullptr;
  torch::Tensor images = batch.images, targets = batch.heatmaps, weights = batch.heatmap_weights;
  torch::Tensor stored, backup_weights;
  if (backup) {
    const auto& device = context.device;
    images = torch::cat({images, backup->images.to(device)});
    targets = torch::cat({targets, backup->heatmaps.to(device)});
    backup_weights = backup->heatmap_weights.to(device);
    weights = torch::cat({weights, backup_weights});
    stored = queued->predictions;
  }
  const auto out = model.forward(images);
  if (out.heatmaps.empty()) throw Error("sdp: the model gives no heatmaps (SDP distils heatmap heads only)");
  auto terms = sdp_loss(out.heatmaps, targets, weights, stored, backup_weights, options_.alpha);

  QueuedBatch now;
  now.step = context.step;
  now.indices = to_vector(batch.indices);
  now.params = batch.params;
  now.predictions = out.final_heatmaps().narrow(0, 0, batch.size()).detach().to(torch::kHalf);
  queue_.push(std::move(now), distance_);
  prefetch(context.step + 1);
  return terms;
}

void SdpObjective::on_lr_change(double old_lr, double new_lr) {
  if (options_.no_stepping || !(new_lr > 0)) return;
  const int64_t before = distance_;
  for (double ratio = old_lr / new_lr; ratio >= options_.gamma * (1 - kRatioTolerance); ratio /= options_.gamma)
    distance_ = std::llround(double(distance_) * options_.gamma);
  if (distance_ != before) {
    const double per_batch = queue_.size() ? double(queue_.bytes()) / double(queue_.size()) : 0;
    log::info("sdp: lr {:.3g} -> {:.3g}: distance s {} -> {} (queue up to {} batches, ~{:.1f} MB)", old_lr, new_lr,
              before, distance_, distance_, per_batch * double(distance_) / 1e6);
  }
}

std::vector<io::NamedArray> SdpObjective::state() const {
  std::vector<io::NamedArray> arrays;
  arrays.push_back({"distance", {3}, std::vector<float>(3)});
  split_exact(double(distance_), arrays.back().values.data());
  for (auto& a : queue_.to_arrays()) arrays.push_back(std::move(a));
  return arrays;
}

void SdpObjective::load_state(const std::vector<io::NamedArray>& arrays, const std::string& origin) {
  const io::NamedArray* distance = io::find_array(arrays, "distance");
  if (!distance)
    throw Error(origin + ":/extra/state/distance: missing (a checkpoint of pose-selfdistill resumes an SDP run)");
  if (distance->values.size() != 3)
    throw Error(fmt::format("{}:/extra/state/distance: expected [3], found {} values", origin, distance->values.size()));
  distance_ = int64_t(join_exact(distance->values.data()));
  if (prefetched_.valid()) prefetched_.wait();
  prefetched_ = {};
  queue_ = SdpQueue::from_arrays(arrays, origin, torch::kCPU);
}

}  // namespace posekd::train
