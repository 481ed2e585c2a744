#include "posekd/train/optim.h"

#include <fmt/format.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include <map>
#include <sstream>
#include <type_traits>

#include "posekd/core/error.h"
#include "posekd/nn/state_arrays.h"

namespace posekd::train {
namespace {

namespace optim = torch::optim;

// The key LibTorch's optimizers file a parameter's state under: the TensorImpl address, as a
// string in 1.x (c10::guts::to_string, i.e. ostream <<) and as the pointer itself in later
// releases. Written against the map's own key type so both compile.
template <class Map>
typename Map::key_type state_key(const Map&, const torch::Tensor& p) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << p.unsafeGetTensorImpl();
    return s.str();
  } else {
    return Key(p.unsafeGetTensorImpl());
  }
}

// State names each optimizer keeps, as PyTorch's state_dict names them.
std::vector<std::string> state_names(const OptimizerOptions& o) {
  if (o.name == "adam" || o.name == "adamw") return {"step", "exp_avg", "exp_avg_sq"};
  if (o.name == "sgd") return o.momentum != 0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{};
  if (o.name == "rmsprop")
    return o.momentum != 0 ? std::vector<std::string>{"step", "square_avg", "momentum_buffer"}
                           : std::vector<std::string>{"step", "square_avg"};
  return {};
}

torch::Tensor step_tensor(int64_t step) { return torch::tensor(float(step)); }

}  // namespace

void validate(const OptimizerOptions& o) {
  if (o.name != "adam" && o.name != "adamw" && o.name != "sgd" && o.name != "rmsprop")
    throw UsageError(fmt::format("optimizer \"{}\": expected one of adam, adamw, sgd, rmsprop", o.name));
  if (!(o.lr > 0)) throw UsageError(fmt::format("lr={}: expected a positive learning rate", o.lr));
  if (o.weight_decay < 0) throw UsageError(fmt::format("weight_decay={}: expected >= 0", o.weight_decay));
  if (o.momentum < 0 || o.momentum >= 1) throw UsageError(fmt::format("momentum={}: expected in [0, 1)", o.momentum));
  if (o.nesterov && (o.name != "sgd" || o.momentum == 0))
    throw UsageError("nesterov: needs optimizer sgd with momentum > 0");
  if (o.beta1 < 0 || o.beta1 >= 1 || o.beta2 < 0 || o.beta2 >= 1)
    throw UsageError(fmt::format("betas=({}, {}): expected each in [0, 1)", o.beta1, o.beta2));
}

std::unique_ptr<optim::Optimizer> make_optimizer(const OptimizerOptions& o, const torch::nn::Module& model) {
  validate(o);
  auto params = model.parameters();
  if (o.name == "adam")
    return std::make_unique<optim::Adam>(
        params, optim::AdamOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay));
  if (o.name == "adamw")
    return std::make_unique<optim::AdamW>(
        params, optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay));
  if (o.name == "sgd")
    return std::make_unique<optim::SGD>(
        params, optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay));
  return std::make_unique<optim::RMSprop>(params, optim::RMSpropOptions(o.lr)
                                                      .alpha(o.alpha)
                                                      .eps(o.eps)
                                                      .momentum(o.momentum)
                                                      .weight_decay(o.weight_decay));
}

void set_learning_rate(optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

std::vector<nn::NamedArray> optimizer_state_arrays(const optim::Optimizer& optimizer, const OptimizerOptions& o,
                                                   const torch::nn::Module& model) {
  std::vector<nn::NamedArray> out;
  const auto& state = optimizer.state();
  for (const auto& p : model.named_parameters()) {
    const auto it = state.find(state_key(state, p.value()));
    if (it == state.end()) continue;
    const auto* s = it->second.get();
    auto add = [&](const std::string& what, const torch::Tensor& t) {
      if (t.defined()) out.push_back(nn::to_named_array(what + "/" + p.key(), t));
    };
    if (o.name == "adam") {
      const auto& a = static_cast<const optim::AdamParamState&>(*s);
      add("step", step_tensor(a.step()));
      add("exp_avg", a.exp_avg());
      add("exp_avg_sq", a.exp_avg_sq());
    } else if (o.name == "adamw") {
      const auto& a = static_cast<const optim::AdamWParamState&>(*s);
      add("step", step_tensor(a.step()));
      add("exp_avg", a.exp_avg());
      add("exp_avg_sq", a.exp_avg_sq());
    } else if (o.name == "sgd") {
      add("momentum_buffer", static_cast<const optim::SGDParamState&>(*s).momentum_buffer());
    } else if (o.name == "rmsprop") {
      const auto& r = static_cast<const optim::RMSpropParamState&>(*s);
      add("step", step_tensor(r.step()));
      add("square_avg", r.square_avg());
      add("momentum_buffer", r.momentum_buffer());
    }
  }
  return out;
}

void load_optimizer_state(optim::Optimizer& optimizer, const OptimizerOptions& o, const torch::nn::Module& model,
                          const std::vector<nn::NamedArray>& arrays, const std::string& origin) {
  std::map<std::string, torch::Tensor> params;
  for (const auto& p : model.named_parameters()) params[p.key()] = p.value();
  const auto names = state_names(o);
  std::map<std::string, std::map<std::string, torch::Tensor>> by_param;
  for (const auto& a : arrays) {
    const std::string place = "/train/optimizer/" + a.name;
    const auto slash = a.name.find('/');
    const std::string what = a.name.substr(0, slash);
    const std::string param = slash == std::string::npos ? "" : a.name.substr(slash + 1);
    if (std::find(names.begin(), names.end(), what) == names.end()) {
      std::string kept;
      for (const auto& n : names) kept += (kept.empty() ? "" : ", ") + n;
      fail(origin, place, fmt::format("not state of optimizer {} (it keeps: {})", o.name, kept.empty() ? "none" : kept));
    }
    const auto it = params.find(param);
    if (it == params.end()) fail(origin, place, fmt::format("the model has no parameter \"{}\"", param));
    const auto expected = what == "step" ? std::vector<int64_t>{} : it->second.sizes().vec();
    if (a.shape != expected)
      fail(origin, place, fmt::format("expected {}, found {}", h5::shape_text(expected), h5::shape_text(a.shape)));
    by_param[param][what] = nn::to_tensor(a).to(it->second.device());
  }
  for (const auto& [param, got] : by_param)
    for (const auto& n : names)
      if (!got.count(n)) fail(origin, "/train/optimizer/" + n + "/" + param, "missing");

  auto& state = optimizer.state();
  state.clear();
  for (auto& [param, got] : by_param) {
    const auto key = state_key(state, params.at(param));
    auto step = [&] { return int64_t(got.at("step").item<float>()); };
    if (o.name == "adam") {
      auto s = std::make_unique<optim::AdamParamState>();
      s->step(step());
      s->exp_avg(got.at("exp_avg"));
      s->exp_avg_sq(got.at("exp_avg_sq"));
      state[key] = std::move(s);
    } else if (o.name == "adamw") {
      auto s = std::make_unique<optim::AdamWParamState>();
      s->step(step());
      s->exp_avg(got.at("exp_avg"));
      s->exp_avg_sq(got.at("exp_avg_sq"));
      state[key] = std::move(s);
    } else if (o.name == "sgd") {
      auto s = std::make_unique<optim::SGDParamState>();
      s->momentum_buffer(got.at("momentum_buffer"));
      state[key] = std::move(s);
    } else {
      auto s = std::make_unique<optim::RMSpropParamState>();
      s->step(step());
      s->square_avg(got.at("square_avg"));
      if (got.count("momentum_buffer")) s->momentum_buffer(got.at("momentum_buffer"));
      state[key] = std::move(s);
    }
  }
}

}  // namespace posekd::train
