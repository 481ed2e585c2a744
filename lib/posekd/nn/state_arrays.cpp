#include "posekd/nn/state_arrays.h"

#include <fmt/format.h>

#include <map>

#include "posekd/core/error.h"

namespace posekd::nn {
namespace {

// Checks `given` against the module's tensors of one kind; returns them by name.
std::map<std::string, const NamedArray*> match(const std::map<std::string, torch::Tensor>& targets,
                                               const std::vector<NamedArray>& given, const std::string& origin,
                                               const std::string& group, const char* kind) {
  std::map<std::string, const NamedArray*> found;
  for (const auto& a : given) {
    const std::string place = group + a.name;
    if (found.count(a.name)) fail(origin, place, "given twice");
    const auto it = targets.find(a.name);
    if (it == targets.end()) fail(origin, place, fmt::format("not a {} of the model", kind));
    const auto expected = it->second.sizes().vec();
    if (expected != a.shape)
      fail(origin, place, fmt::format("expected {}, found {}", h5::shape_text(expected), h5::shape_text(a.shape)));
    if (h5::element_count(a.shape) != int64_t(a.values.size()))
      fail(origin, place, fmt::format("expected {} values, found {}", h5::element_count(a.shape), a.values.size()));
    found[a.name] = &a;
  }
  for (const auto& [name, tensor] : targets)
    if (!found.count(name)) fail(origin, group + name, "missing (the model has it)");
  return found;
}

}  // namespace

NamedArray to_named_array(const std::string& name, const torch::Tensor& tensor) {
  NamedArray a;
  a.name = name;
  a.shape = tensor.sizes().vec();
  auto flat = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  a.values.assign(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
  return a;
}

torch::Tensor to_tensor(const NamedArray& array) {
  return torch::from_blob(const_cast<float*>(array.values.data()), array.shape, torch::kFloat32).clone();
}

ModuleArrays named_arrays(const torch::nn::Module& module) {
  ModuleArrays out;
  for (const auto& p : module.named_parameters()) out.params.push_back(to_named_array(p.key(), p.value()));
  for (const auto& b : module.named_buffers()) out.buffers.push_back(to_named_array(b.key(), b.value()));
  return out;
}

void load_named_arrays(torch::nn::Module& module, const ModuleArrays& arrays, const std::string& origin) {
  std::map<std::string, torch::Tensor> params, buffers;
  for (const auto& p : module.named_parameters()) params[p.key()] = p.value();
  for (const auto& b : module.named_buffers()) buffers[b.key()] = b.value();
  const auto given_params = match(params, arrays.params, origin, "/params/", "parameter");
  const auto given_buffers = match(buffers, arrays.buffers, origin, "/buffers/", "buffer");

  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : params) tensor.copy_(to_tensor(*given_params.at(name)).to(tensor.device(), tensor.scalar_type()));
  for (auto& [name, tensor] : buffers) tensor.copy_(to_tensor(*given_buffers.at(name)).to(tensor.device(), tensor.scalar_type()));
}

}  // namespace posekd::nn
