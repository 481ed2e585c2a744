#include "posekd/nn/init.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace posekd::nn {
namespace {

void zero_if_defined(torch::Tensor& t) {
  if (t.defined()) t.zero_();
}

// Visits `module` and its descendants. modules() with include_self needs the module to be
// owned by a shared_ptr already, which it is not while its constructor runs.
template <class Visit>
void visit(torch::nn::Module& module, Visit&& visit_one) {
  visit_one(&module);
  for (auto& m : module.modules(/*include_self=*/false)) visit_one(m.get());
}

}  // namespace

void init_conv_normal(torch::nn::Module& module, double std) {
  torch::NoGradGuard no_grad;
  visit(module, [&](torch::nn::Module* m) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      c->weight.normal_(0, std);
      zero_if_defined(c->bias);
    } else if (auto* d = m->as<torch::nn::ConvTranspose2d>()) {
      d->weight.normal_(0, std);
      zero_if_defined(d->bias);
    }
  });
}

void init_conv_kaiming(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  visit(module, [&](torch::nn::Module* m) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(c->weight, 0, torch::kFanOut, torch::kReLU);
      zero_if_defined(c->bias);
    }
  });
}

void init_norm(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  visit(module, [&](torch::nn::Module* m) {
    if (auto* b = m->as<torch::nn::BatchNorm2d>()) {
      b->weight.fill_(1);
      b->bias.zero_();
    } else if (auto* l = m->as<torch::nn::LayerNorm>()) {
      l->weight.fill_(1);
      l->bias.zero_();
    }
  });
}

void init_linear_normal(torch::nn::Module& module, double std) {
  torch::NoGradGuard no_grad;
  visit(module, [&](torch::nn::Module* m) {
    if (auto* l = m->as<torch::nn::Linear>()) {
      l->weight.normal_(0, std);
      zero_if_defined(l->bias);
    }
  });
}

}  // namespace posekd::nn
