#include "posekd/train/distill_alignment.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "posekd/core/error.h"

namespace posekd::train {

nn::ModelOutputs probe_outputs(const nn::ModelSpec& spec) {
  auto model = nn::make_model(spec, 0);
  model->eval();
  torch::NoGradGuard no_grad;
  const nn::InputSize input = spec.input();
  return model->forward(torch::zeros({1, 3, input.height, input.width}));
}

const nn::NamedFeature& pick_feature(const nn::ModelOutputs& outputs, const std::string& name,
                                     const std::string& option) {
  if (outputs.features.empty()) throw UsageError(option + ": the model has no intermediate features");
  if (name.empty()) {
    // Features are sorted by area (stable), so the lowest-resolution ones come first.
    const auto area = [](const nn::NamedFeature& f) { return f.value.size(2) * f.value.size(3); };
    size_t pick = 0;
    while (pick + 1 < outputs.features.size() && area(outputs.features[pick + 1]) == area(outputs.features[0])) ++pick;
    return outputs.features[pick];
  }
  std::string names;
  for (const auto& f : outputs.features) {
    if (f.name == name) return f;
    names += (names.empty() ? "" : ", ") + f.name;
  }
  throw UsageError(fmt::format("{} {}: no such feature (the model has: {})", option, name, names));
}

}  // namespace posekd::train
