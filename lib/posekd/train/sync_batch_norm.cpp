#include "posekd/train/sync_batch_norm.h"

#include <torch/autograd.h>
#include <torch/library.h>

#include <atomic>

#include "posekd/core/error.h"

namespace posekd::train {

namespace {

std::atomic<ProcessGroup*> active_group{nullptr};

// Sum over ranks; its gradient is the sum over ranks of the gradients, since every rank's
// loss depends on every rank's statistics.
struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  static at::Tensor forward(torch::autograd::AutogradContext*, const at::Tensor& local) {
    std::vector<at::Tensor> t{local.contiguous().clone()};
    active_group.load()->all_reduce_sum(t, "synchronising batch-norm statistics");
    return t[0];
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext*,
                                                 torch::autograd::variable_list grads) {
    std::vector<at::Tensor> t{grads[0].contiguous().clone()};
    active_group.load()->all_reduce_sum(t, "synchronising batch-norm gradients");
    return {t[0]};
  }
};

at::Tensor batch_norm(const at::Tensor& input, const c10::optional<at::Tensor>& weight,
                      const c10::optional<at::Tensor>& bias, const c10::optional<at::Tensor>& running_mean,
                      const c10::optional<at::Tensor>& running_var, bool training, double momentum, double eps,
                      bool cudnn_enabled) {
  if (!training || !active_group.load() || input.dim() < 2)
    return std::get<0>(
        at::_batch_norm_impl_index(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled));
  const int64_t channels = input.size(1);
  std::vector<int64_t> reduced{0}, shape(size_t(input.dim()), 1);
  for (int64_t d = 2; d < input.dim(); ++d) reduced.push_back(d);
  shape[1] = channels;
  const auto f64 = at::TensorOptions().dtype(at::kDouble).device(input.device());
  const at::Tensor local = at::cat({input.sum(reduced, false, at::kDouble), input.square().sum(reduced, false, at::kDouble),
                                    at::full({1}, double(input.numel() / channels), f64)});
  const at::Tensor global = AllReduceSum::apply(local);
  const double count = global[2 * channels].item<double>();
  const at::Tensor mean = global.narrow(0, 0, channels) / count;
  const at::Tensor var = global.narrow(0, channels, channels) / count - mean * mean;  // biased, as BatchNorm normalises
  at::Tensor out = (input - mean.to(input.scalar_type()).view(shape)) * (var + eps).rsqrt().to(input.scalar_type()).view(shape);
  if (weight && weight->defined()) out = out * weight->view(shape);
  if (bias && bias->defined()) out = out + bias->view(shape);
  if (running_mean && running_mean->defined() && running_var && running_var->defined()) {
    at::NoGradGuard no_grad;
    running_mean->mul_(1 - momentum).add_(mean.detach().to(running_mean->scalar_type()), momentum);
    const double unbiased = count > 1 ? count / (count - 1) : 1;
    running_var->mul_(1 - momentum).add_(var.detach().to(running_var->scalar_type()), momentum * unbiased);
  }
  return out;
}

}  // namespace

SyncBatchNorm::SyncBatchNorm(ProcessGroup& group) {
  ProcessGroup* none = nullptr;
  if (!active_group.compare_exchange_strong(none, &group))
    throw Error("--sync-bn: batch-norm synchronisation is already active in this process");
  for (const auto key : {c10::DispatchKey::AutogradCPU, c10::DispatchKey::AutogradCUDA}) {
    registrations_.push_back(
        std::make_unique<torch::Library>(torch::Library::IMPL, "aten", key, __FILE__, uint32_t(__LINE__)));
    registrations_.back()->impl("batch_norm", TORCH_FN(batch_norm));
  }
}

SyncBatchNorm::~SyncBatchNorm() {
  registrations_.clear();
  active_group.store(nullptr);
}

}  // namespace posekd::train
