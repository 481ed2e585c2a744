#include "posekd/nn/state_arrays.h"

#include <fmt/format.h>

#include <map>

#include "posekd/core/error.h"

namespace posekd::nn {
namespace {

std::string place(ArrayRole role, const std::string& name) {
  return (role == ArrayRole::param ? "/params/" : "/buffers/") + name;
}

}  // namespace

NamedArray to_named_array(const std::string& name, const torch::Tensor& tensor, ArrayRole role) {
  NamedArray a;
  a.name = name;
  a.role = role;
  a.shape = tensor.sizes().vec();
  auto flat = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  a.data.assign(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
  return a;
}

torch::Tensor to_tensor(const NamedArray& array) {
  return torch::from_blob(const_cast<float*>(array.data.data()), array.shape, torch::kFloat32).clone();
}

std::vector<NamedArray> named_arrays(const torch::nn::Module& module) {
  std::vector<NamedArray> out;
  for (const auto& p : module.named_parameters()) out.push_back(to_named_array(p.key(), p.value(), ArrayRole::param));
  for (const auto& b : module.named_buffers()) out.push_back(to_named_array(b.key(), b.value(), ArrayRole::buffer));
  return out;
}

void load_named_arrays(torch::nn::Module& module, const std::vector<NamedArray>& arrays, const std::string& origin) {
  std::map<std::pair<ArrayRole, std::string>, torch::Tensor> targets;
  for (const auto& p : module.named_parameters()) targets[{ArrayRole::param, p.key()}] = p.value();
  for (const auto& b : module.named_buffers()) targets[{ArrayRole::buffer, b.key()}] = b.value();

  std::map<std::pair<ArrayRole, std::string>, const NamedArray*> given;
  for (const auto& a : arrays) {
    const auto key = std::make_pair(a.role, a.name);
    if (given.count(key)) fail(origin, place(a.role, a.name), "given twice");
    const auto it = targets.find(key);
    if (it == targets.end())
      fail(origin, place(a.role, a.name),
           fmt::format("not a {} of the model", a.role == ArrayRole::param ? "parameter" : "buffer"));
    const auto expected = it->second.sizes().vec();
    if (expected != a.shape)
      fail(origin, place(a.role, a.name), fmt::format("expected {}, found {}", shape_text(expected), shape_text(a.shape)));
    int64_t count = 1;
    for (auto d : a.shape) count *= d;
    if (count != int64_t(a.data.size()))
      fail(origin, place(a.role, a.name), fmt::format("expected {} values, found {}", count, a.data.size()));
    given[key] = &a;
  }
  for (const auto& [key, tensor] : targets)
    if (!given.count(key)) fail(origin, place(key.first, key.second), "missing (the model has it)");

  torch::NoGradGuard no_grad;
  for (auto& [key, tensor] : targets) tensor.copy_(to_tensor(*given.at(key)).to(tensor.device(), tensor.scalar_type()));
}

}  // namespace posekd::nn
