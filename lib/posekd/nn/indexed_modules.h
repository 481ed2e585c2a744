#pragma once
// A list whose empty slots keep their index, as Python's nn.ModuleList([m0, None, m2]) does:
// HRNet's transition and fuse layers hold None where no layer is needed, and their state_dict
// names ("transition2.2.0.0.weight", "fuse_layers.1.0.0.0.weight") count those slots.
// torch::nn::ModuleList cannot hold an empty slot.
#include <torch/nn/module.h>

#include <memory>
#include <vector>

namespace posekd::nn {

class IndexedModulesImpl : public torch::nn::Module {
 public:
  // Appends `module` (may be null) at the next index.
  void push_back(std::shared_ptr<torch::nn::Module> module);
  size_t size() const { return slots_.size(); }
  const std::shared_ptr<torch::nn::Module>& at(size_t index) const { return slots_.at(index); }

 private:
  std::vector<std::shared_ptr<torch::nn::Module>> slots_;
};
TORCH_MODULE(IndexedModules);

}  // namespace posekd::nn

#include <torch/nn/modules/container/sequential.h>

namespace posekd::nn {

// A Sequential that can sit inside another Sequential (LibTorch's own cannot: its forward is
// a template), for PyTorch's nn.Sequential(nn.Sequential(...)) naming such as
// "transition2.2.0.0.weight".
class NestedSequentialImpl : public torch::nn::SequentialImpl {
 public:
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(NestedSequential);

}  // namespace posekd::nn
