#include "posekd/train/run_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include <cstring>
#include <mutex>

#include "posekd/core/error.h"
#include "posekd/nn/state_arrays.h"
#include "posekd/train/model_checkpoint.h"

namespace posekd::train {

namespace {

std::vector<uint8_t> global_rng_state() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  const auto state = generator.get_state().contiguous();
  std::vector<uint8_t> bytes(size_t(state.numel()));
  std::memcpy(bytes.data(), state.data_ptr<uint8_t>(), bytes.size());
  return bytes;
}

void set_global_rng_state(const std::vector<uint8_t>& bytes, const std::string& path) {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  const auto expected = generator.get_state().numel();
  if (int64_t(bytes.size()) != expected)
    fail(path, "/train/rng_state", fmt::format("expected {} bytes, found {}", expected, bytes.size()));
  auto state = torch::empty({expected}, torch::kUInt8);
  std::memcpy(state.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  generator.set_state(state);
}

const std::string kState = "state";

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

}  // namespace

TrainedModules trained_modules(nn::PoseModel model, std::vector<NamedModule> extras) {
  TrainedModules t{std::move(model), std::move(extras), std::make_shared<torch::nn::Module>("Trained")};
  t.root->register_module("model", t.model);
  for (const auto& [name, module] : t.extras) {
    if (name.empty() || name == kState || name.find_first_of("/.") != std::string::npos)
      throw Error(fmt::format("extra module name \"{}\": must be non-empty, without '/' or '.', and not \"state\"", name));
    t.root->register_module("extra_" + name, module);
  }
  return t;
}

io::Checkpoint run_checkpoint(const TrainedModules& trained, const Skeleton& skeleton, HeatmapCodec codec,
                              const Objective& objective, const torch::optim::Optimizer& optimizer,
                              const OptimizerOptions& optimizer_options, const RunPosition& position) {
  io::Checkpoint checkpoint = model_checkpoint(*trained.model, skeleton, codec);
  for (const auto& [name, module] : trained.extras) {
    auto arrays = nn::named_arrays(*module);
    for (auto& a : arrays.params) checkpoint.extra.push_back({name + "/params/" + a.name, a.shape, std::move(a.values)});
    for (auto& a : arrays.buffers) checkpoint.extra.push_back({name + "/buffers/" + a.name, a.shape, std::move(a.values)});
  }
  for (auto& a : objective.state()) checkpoint.extra.push_back({kState + "/" + a.name, a.shape, std::move(a.values)});
  io::TrainState state;
  state.epoch = position.epoch;
  state.step = position.step;
  state.epoch_samples = position.epoch_samples;
  state.best_metric = position.best_metric;
  state.best_metric_name = position.best_metric_name;
  state.rng_state = global_rng_state();
  state.optimizer = optimizer_state_arrays(optimizer, optimizer_options, *trained.root);
  checkpoint.train = std::move(state);
  return checkpoint;
}

void load_model_weights(nn::PoseModelImpl& model, const Skeleton& skeleton, const io::Checkpoint& checkpoint,
                        const std::string& path) {
  check_skeleton(checkpoint.skeleton, skeleton, path, "/skeleton");
  const auto spec = model.info().spec;
  if (!(nn::ModelSpec::parse(checkpoint.model_spec) == spec))
    fail(path, "/model_spec", fmt::format("expected {}, found {}", spec.str(), checkpoint.model_spec));
  const std::string refiner = model.refiner_spec();
  if (checkpoint.refiner_spec != refiner)
    fail(path, "/@refiner_spec",
         fmt::format("expected {}, found {}", refiner.empty() ? "no refiner" : refiner,
                     checkpoint.refiner_spec.empty() ? "none" : checkpoint.refiner_spec));
  nn::load_named_arrays(model, {checkpoint.params, checkpoint.buffers}, path);
}

RunPosition restore_run(const io::Checkpoint& checkpoint, const std::string& path, const TrainedModules& trained,
                        Objective& objective, torch::optim::Optimizer& optimizer,
                        const OptimizerOptions& optimizer_options) {
  if (!checkpoint.train)
    fail(path, "/train", "no training state to resume (a finished model's checkpoint starts a run with --init)");
  for (const auto& [name, module] : trained.extras) {
    nn::ModuleArrays arrays;
    for (const auto& a : checkpoint.extra) {
      if (starts_with(a.name, name + "/params/"))
        arrays.params.push_back({a.name.substr(name.size() + 8), a.shape, a.values});
      else if (starts_with(a.name, name + "/buffers/"))
        arrays.buffers.push_back({a.name.substr(name.size() + 9), a.shape, a.values});
    }
    nn::load_named_arrays(*module, arrays, path + ":/extra/" + name);
  }
  std::vector<io::NamedArray> state;
  for (const auto& a : checkpoint.extra)
    if (starts_with(a.name, kState + "/")) state.push_back({a.name.substr(kState.size() + 1), a.shape, a.values});
  objective.load_state(state, path);
  load_optimizer_state(optimizer, optimizer_options, *trained.root, checkpoint.train->optimizer, path);
  set_global_rng_state(checkpoint.train->rng_state, path);
  const auto& t = *checkpoint.train;
  return {t.epoch, t.step, t.epoch_samples, t.best_metric, t.best_metric_name};
}

}  // namespace posekd::train
