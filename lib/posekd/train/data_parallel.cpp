#include "posekd/train/data_parallel.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

#include "posekd/core/error.h"

namespace posekd::train {

DataParallel::DataParallel(const DistributedOptions& options, const c10::Device& device)
    : options_(options), world_(detect_world(process_environment(), options)) {
  if (!options.file.empty() && world_.source.empty())
    throw UsageError("--dist-file: needs RANK and WORLD_SIZE (torchrun's variables) or an srun step to say which "
                     "process this is");
  if (world_.size > 1) group_ = connect_process_group(world_, options, device);
}

DataParallel::~DataParallel() = default;

std::string DataParallel::description() const {
  if (!group_) return "one process";
  return fmt::format("rank {} of {} ({}, {}{})", world_.rank, world_.size, world_.source, group_->backend(),
                     options_.file.empty() ? fmt::format(" via {}:{}", world_.master_addr, world_.master_port)
                                           : " via " + options_.file);
}

void DataParallel::attach(torch::nn::Module& trained) {
  if (!group_) return;
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> state;
  for (const auto& p : trained.parameters()) state.push_back(p);
  for (const auto& b : trained.buffers()) state.push_back(b);
  for (auto& t : state) {
    // One tensor per broadcast keeps Gloo's buffers small; this runs once.
    std::vector<at::Tensor> one{t};
    group_->broadcast(one, 0, "broadcasting rank 0's initial weights");
  }
  std::vector<at::Tensor> trainable;
  for (const auto& p : trained.parameters())
    if (p.requires_grad()) trainable.push_back(p);
  reducer_ = std::make_unique<GradientReducer>(*group_, trainable, options_.bucket_mb);
  if (options_.sync_bn) sync_bn_ = std::make_unique<SyncBatchNorm>(*group_);
}

StepSummary DataParallel::finish_step(const LossTerms& terms, bool stop_requested, int64_t step) {
  std::vector<double> stats;
  for (const auto& [name, value] : terms.terms) stats.push_back(value.item<double>());
  const double total = terms.total.item<double>();
  stats.push_back(total);
  stats.push_back(std::isfinite(total) ? 0 : 1);
  stats.push_back(stop_requested ? 1 : 0);
  if (reducer_) reducer_->average(stats, fmt::format("averaging the gradients of step {}", step));
  StepSummary s;
  const double world = world_.size;
  for (size_t i = 0; i < terms.terms.size(); ++i) s.terms.emplace_back(terms.terms[i].first, stats[i] / world);
  s.total = stats[terms.terms.size()] / world;
  s.nonfinite_ranks = int(std::lround(stats[terms.terms.size() + 1]));
  s.stop = stats[terms.terms.size() + 2] > 0;
  return s;
}

void DataParallel::average_buffers(torch::nn::Module& trained, int64_t step) {
  if (!group_) return;
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> floats;
  for (const auto& b : trained.buffers())
    if (b.is_floating_point()) floats.push_back(b);
  if (floats.empty()) return;
  std::vector<at::Tensor> pieces;
  for (const auto& b : floats) pieces.push_back(b.reshape({-1}).to(at::kDouble));
  std::vector<at::Tensor> flat{at::cat(pieces)};
  group_->all_reduce_sum(flat, fmt::format("averaging the batch-norm statistics after step {}", step));
  flat[0].div_(double(world_.size));
  int64_t offset = 0;
  for (auto& b : floats) {
    b.copy_(flat[0].narrow(0, offset, b.numel()).view(b.sizes()));
    offset += b.numel();
  }
}

double DataParallel::reduce_seconds() const { return reducer_ ? reducer_->reduce_seconds() : 0; }
int64_t DataParallel::reductions() const { return reducer_ ? reducer_->reductions() : 0; }

}  // namespace posekd::train
