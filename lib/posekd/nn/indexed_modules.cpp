#include "posekd/nn/indexed_modules.h"

#include <string>

namespace posekd::nn {

void IndexedModulesImpl::push_back(std::shared_ptr<torch::nn::Module> module) {
  if (module) register_module(std::to_string(slots_.size()), module);
  slots_.push_back(std::move(module));
}

}  // namespace posekd::nn
