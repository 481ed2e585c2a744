#include "posekd/train/gradient_reducer.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <chrono>

#include "posekd/core/error.h"

namespace posekd::train {

GradientReducer::GradientReducer(ProcessGroup& group, std::vector<at::Tensor> parameters, double bucket_mb)
    : group_(group), parameters_(std::move(parameters)) {
  const double limit = bucket_mb * 1024 * 1024;
  double bytes = 0;
  for (size_t i = parameters_.size(); i-- > 0;) {
    const double size = double(parameters_[i].numel() * parameters_[i].element_size());
    if (buckets_.empty() || (bytes > 0 && bytes + size > limit)) {
      buckets_.emplace_back();
      bytes = 0;
    }
    buckets_.back().push_back(i);
    bytes += size;
  }
  if (buckets_.empty()) buckets_.emplace_back();
}

void GradientReducer::average(std::vector<double>& stats, const std::string& what) {
  const auto start = std::chrono::steady_clock::now();
  // The count of defined gradients rides along: ranks whose objectives touched different
  // parameters would otherwise average unrelated numbers.
  int64_t defined = 0;
  for (const auto& p : parameters_) defined += p.grad().defined();
  std::vector<double> carried = stats;
  carried.push_back(double(defined));

  const double world = group_.size();
  for (size_t b = 0; b < buckets_.size(); ++b) {
    // Every rank sends every parameter of the bucket (zeros for a missing gradient), so the
    // all-reduces match in size even when the ranks disagree; the count below reports it.
    std::vector<at::Tensor> pieces;
    for (size_t i : buckets_[b]) {
      const at::Tensor& g = parameters_[i].grad();
      pieces.push_back(g.defined() ? g.reshape({-1}) : at::zeros({parameters_[i].numel()}, parameters_[i].options()));
    }
    const bool last = b + 1 == buckets_.size();
    // In the gradients' type and device: NCCL reduces device memory only, and float32 holds
    // these sums of a few numbers per rank well enough.
    const auto options = parameters_.empty() ? at::TensorOptions().dtype(at::kFloat) : parameters_.front().options();
    if (last) pieces.push_back(at::tensor(carried, at::TensorOptions().dtype(at::kDouble)).to(options));
    std::vector<at::Tensor> flat{at::cat(pieces)};
    group_.all_reduce_sum(flat, what);
    int64_t offset = 0;
    for (size_t i : buckets_[b]) {
      at::Tensor g = parameters_[i].grad();
      const int64_t n = parameters_[i].numel();
      if (g.defined()) g.copy_(flat[0].narrow(0, offset, n).view_as(g)).div_(world);
      offset += n;
    }
    if (last) {
      const at::Tensor summed = flat[0].narrow(0, offset, int64_t(carried.size())).to(at::kDouble).cpu().contiguous();
      for (size_t i = 0; i < carried.size(); ++i) carried[i] = summed.data_ptr<double>()[i];
    }
  }
  const double all_defined = carried.back();
  if (all_defined != double(defined) * world)
    throw Error(fmt::format("{}: the ranks disagree on which parameters have gradients ({} here, {} summed over {} "
                            "ranks): every rank must run the same objective on the same model",
                            what, defined, all_defined, group_.size()));
  carried.pop_back();
  stats = carried;
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++calls_;
}

}  // namespace posekd::train
