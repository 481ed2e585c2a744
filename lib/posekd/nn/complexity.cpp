#include "posekd/nn/complexity.h"

#include <ATen/record_function.h>

#include <cstring>
#include <memory>

namespace posekd::nn {
namespace {

enum class Counted { none, conv, conv_transposed, convolution_generic, linear, matmul, attention };

Counted classify(const char* name) {
  static const std::pair<const char*, Counted> table[] = {
      {"aten::conv2d", Counted::conv},
      {"aten::conv1d", Counted::conv},
      {"aten::conv_transpose2d", Counted::conv_transposed},
      {"aten::conv_transpose1d", Counted::conv_transposed},
      {"aten::convolution", Counted::convolution_generic},
      {"aten::_convolution", Counted::convolution_generic},
      {"aten::linear", Counted::linear},
      {"aten::addmm", Counted::matmul},
      {"aten::mm", Counted::matmul},
      {"aten::bmm", Counted::matmul},
      {"aten::baddbmm", Counted::matmul},
      {"aten::matmul", Counted::matmul},
      {"aten::scaled_dot_product_attention", Counted::attention},
      {"aten::_scaled_dot_product_attention", Counted::attention},
  };
  for (const auto& [n, kind] : table)
    if (std::strcmp(n, name) == 0) return kind;
  return Counted::none;
}

// Composite operators (linear → addmm, conv2d → convolution → backend) are counted once, at
// the outermost one: `depth` is the nesting of counted operators on this thread.
thread_local int depth = 0;
thread_local int64_t macs = 0;

struct CountedContext : at::ObserverContext {};

const at::Tensor* tensor_at(const c10::ArrayRef<const c10::IValue>& inputs, size_t i) {
  return i < inputs.size() && inputs[i].isTensor() ? &inputs[i].toTensor() : nullptr;
}

int64_t kernel_size(const at::Tensor& weight) {
  int64_t k = 1;
  for (int64_t d = 2; d < weight.dim(); ++d) k *= weight.size(d);
  return k;
}

int64_t count(Counted kind, const at::RecordFunction& fn) {
  const auto inputs = fn.inputs();
  const auto& outputs = fn.outputs();
  const at::Tensor* out = !outputs.empty() && outputs[0].isTensor() ? &outputs[0].toTensor() : nullptr;
  const at::Tensor* a = tensor_at(inputs, 0);
  const at::Tensor* w = tensor_at(inputs, 1);
  if (!out || !a) return 0;
  switch (kind) {
    case Counted::convolution_generic:
      if (inputs.size() > 6 && inputs[6].isBool() && inputs[6].toBool()) kind = Counted::conv_transposed;
      [[fallthrough]];
    case Counted::conv:
      if (kind == Counted::conv && w) return out->numel() * w->size(1) * kernel_size(*w);
      [[fallthrough]];
    case Counted::conv_transposed:
      // Weight [Cin, Cout/groups, k...]: every input position scatters Cout/groups · k MACs.
      return w ? a->numel() * w->size(1) * kernel_size(*w) : 0;
    case Counted::linear:
      return w ? out->numel() * w->size(1) : 0;
    case Counted::matmul: {
      // addmm/baddbmm(self, m1, m2): the reduced dimension is m1's last.
      const bool fused_add = std::strstr(fn.name(), "add") != nullptr;
      const at::Tensor* m1 = fused_add ? tensor_at(inputs, 1) : a;
      return m1 && m1->dim() > 0 ? out->numel() * m1->size(-1) : 0;
    }
    case Counted::attention: {
      const at::Tensor* k = tensor_at(inputs, 1);
      const at::Tensor* v = tensor_at(inputs, 2);
      if (!k || !v) return 0;
      const int64_t batch_queries = a->numel() / a->size(-1);
      return batch_queries * k->size(-2) * (a->size(-1) + v->size(-1));
    }
    case Counted::none:
      break;
  }
  return 0;
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  if (classify(fn.name()) == Counted::none) return nullptr;
  ++depth;
  return std::make_unique<CountedContext>();
}

void on_end(const at::RecordFunction& fn, at::ObserverContext* ctx) {
  if (!ctx) return;
  if (depth == 1) macs += count(classify(fn.name()), fn);
  --depth;
}

}  // namespace

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

ModelComplexity measure_complexity(PoseModelImpl& model) {
  ModelComplexity c;
  c.params = count_parameters(model);
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  const auto& info = model.info();
  auto device = model.parameters().empty() ? torch::Device(torch::kCPU) : model.parameters().front().device();
  auto images = torch::zeros({1, 3, info.input.height, info.input.width}, torch::TensorOptions().device(device));
  depth = 0;
  macs = 0;
  auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(on_start, on_end).needsInputs(true).needsOutputs(true));
  try {
    model.forward(images);
  } catch (...) {
    at::removeCallback(handle);
    model.train(was_training);
    throw;
  }
  at::removeCallback(handle);
  model.train(was_training);
  c.macs = macs;
  return c;
}

}  // namespace posekd::nn
