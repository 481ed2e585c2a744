#include "posekd/nn/hrnet.h"

#include <fmt/format.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/upsampling.h>

#include "posekd/core/error.h"
#include "posekd/nn/init.h"
#include "posekd/nn/resnet_blocks.h"

namespace posekd::nn {
namespace {

namespace tnn = torch::nn;

ModelInfo hrnet_info(const ModelSpec& spec) {
  ModelInfo info{spec, spec.input(), {}, spec.joints(), spec.head(), 1};
  const int divisor = 4 << (spec.get_int("stages") - 1);
  if (info.input.height % divisor || info.input.width % divisor)
    throw UsageError(fmt::format("model spec \"{}\": input={}x{}: HRNet with stages={} needs sides divisible by {}",
                                 spec.str(), info.input.height, info.input.width, spec.get_int("stages"), divisor));
  info.heatmap = {info.input.height / 4, info.input.width / 4};
  return info;
}

tnn::Conv2d conv(int in, int out, int kernel, int stride) {
  return tnn::Conv2d(tnn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

// pose_hrnet's _make_transition_layer.
IndexedModules make_transition(const std::vector<int>& pre, const std::vector<int>& cur) {
  IndexedModules t;
  for (size_t i = 0; i < cur.size(); ++i) {
    if (i < pre.size()) {
      if (cur[i] != pre[i])
        t->push_back(tnn::Sequential(conv(pre[i], cur[i], 3, 1), tnn::BatchNorm2d(cur[i]), tnn::ReLU(true)).ptr());
      else
        t->push_back(nullptr);
      continue;
    }
    tnn::Sequential downs;
    for (size_t j = 0; j + pre.size() <= i; ++j) {
      const int in = pre.back();
      const int out = j + pre.size() == i ? cur[i] : in;
      downs->push_back(NestedSequential(conv(in, out, 3, 2), tnn::BatchNorm2d(out), tnn::ReLU(true)));
    }
    t->push_back(downs.ptr());
  }
  return t;
}

}  // namespace

int hrnet_stem_channels(int width) { return width >= 32 ? 64 : 2 * width; }

HighResolutionModuleImpl::HighResolutionModuleImpl(const std::vector<int>& channels, int blocks,
                                                   bool multi_scale_output) {
  const int n = int(channels.size());
  branches = register_module("branches", tnn::ModuleList());
  for (int b = 0; b < n; ++b) {
    int in = channels[b];
    branches->push_back(make_res_layer(BlockKind::basic, in, channels[b], blocks));
  }
  if (n == 1) return;
  fuse_layers = register_module("fuse_layers", IndexedModules());
  for (int i = 0; i < (multi_scale_output ? n : 1); ++i) {
    IndexedModules row;
    std::vector<tnn::Sequential> row_layers(n, tnn::Sequential(nullptr));
    for (int j = 0; j < n; ++j) {
      if (j > i) {
        const double scale = double(1 << (j - i));
        row_layers[j] = tnn::Sequential(
            conv(channels[j], channels[i], 1, 1), tnn::BatchNorm2d(channels[i]),
            tnn::Upsample(tnn::UpsampleOptions().scale_factor(std::vector<double>{scale, scale}).mode(torch::kNearest)));
      } else if (j < i) {
        tnn::Sequential downs;
        for (int k = 0; k < i - j; ++k) {
          if (k == i - j - 1)
            downs->push_back(NestedSequential(conv(channels[j], channels[i], 3, 2), tnn::BatchNorm2d(channels[i])));
          else
            downs->push_back(
                NestedSequential(conv(channels[j], channels[j], 3, 2), tnn::BatchNorm2d(channels[j]), tnn::ReLU(true)));
        }
        row_layers[j] = downs;
      }
      row->push_back(row_layers[j] ? row_layers[j].ptr() : nullptr);
    }
    fuse_layers->push_back(row.ptr());
    fuse_.push_back(row_layers);
  }
}

std::vector<torch::Tensor> HighResolutionModuleImpl::forward(std::vector<torch::Tensor> x) {
  for (size_t b = 0; b < x.size(); ++b) x[b] = branches[b]->as<tnn::Sequential>()->forward(x[b]);
  if (x.size() == 1) return x;
  std::vector<torch::Tensor> fused;
  for (size_t i = 0; i < fuse_.size(); ++i) {
    torch::Tensor y = i == 0 ? x[0] : fuse_[i][0]->forward(x[0]);
    for (size_t j = 1; j < x.size(); ++j) y = y + (i == j ? x[j] : fuse_[i][j]->forward(x[j]));
    fused.push_back(torch::relu(y));
  }
  return fused;
}

namespace {

// HighResolutionModule is not a Sequential element (it maps lists to lists), so a stage is a
// Sequential only for naming ("stage3.2.fuse_layers...") and is run module by module.
std::vector<torch::Tensor> run_stage(const tnn::Sequential& stage, std::vector<torch::Tensor> x) {
  for (const auto& m : stage->children()) x = m->as<HighResolutionModuleImpl>()->forward(std::move(x));
  return x;
}

std::vector<torch::Tensor> run_transition(const IndexedModules& t, const std::vector<torch::Tensor>& y) {
  std::vector<torch::Tensor> x;
  for (size_t i = 0; i < t->size(); ++i) {
    // pose_hrnet feeds every transition layer from the lowest existing resolution, y.back().
    if (t->at(i))
      x.push_back(t->at(i)->as<tnn::Sequential>()->forward(y.back()));
    else
      x.push_back(y[i]);
  }
  return x;
}

}  // namespace

HRNetImpl::HRNetImpl(const ModelSpec& spec) : PoseModelImpl(hrnet_info(spec)) {
  const int width = spec.get_int("width");
  const int stages = spec.get_int("stages");
  const int blocks = spec.get_int("blocks");
  // The official stem is 64 channels for every width; for the small widths of this
  // project (below 32) it narrows to 2·width so it does not dominate the cost.
  const int stem = hrnet_stem_channels(width);
  conv1 = register_module("conv1", conv(3, stem, 3, 2));
  bn1 = register_module("bn1", tnn::BatchNorm2d(stem));
  conv2 = register_module("conv2", conv(stem, stem, 3, 2));
  bn2 = register_module("bn2", tnn::BatchNorm2d(stem));
  int inplanes = stem;
  layer1 = register_module("layer1", make_res_layer(BlockKind::bottleneck, inplanes, stem, blocks));

  const int repeats[] = {0, 0, 1, 4, 3};  // modules per stage, from the paper's W32/W48 configs
  std::vector<int> pre = {inplanes};
  for (int s = 2; s <= stages; ++s) {
    std::vector<int> cur;
    for (int b = 0; b < s; ++b) cur.push_back(width << b);
    transitions_.push_back(register_module(fmt::format("transition{}", s - 1), make_transition(pre, cur)));
    tnn::Sequential stage;
    for (int m = 0; m < repeats[s]; ++m) {
      const bool multi_scale = s < stages || m + 1 < repeats[s];
      stage->push_back(HighResolutionModule(cur, blocks, multi_scale));
    }
    stages_.push_back(register_module(fmt::format("stage{}", s), stage));
    pre = cur;
  }
  // pose_hrnet's init_weights: every conv N(0, 0.001), BN 1 and 0.
  build_head(width, true);
  init_conv_normal(*this, 0.001);
  init_norm(*this);
}

PoseModelImpl::Trunk HRNetImpl::forward_trunk(const torch::Tensor& images) {
  auto x = torch::relu(bn1(conv1(images)));
  x = torch::relu(bn2(conv2(x)));
  std::vector<torch::Tensor> y = {layer1->forward(x)};
  Trunk t;
  for (size_t s = 0; s < stages_.size(); ++s) {
    auto inputs = run_transition(transitions_[s], y);
    if (s + 1 == stages_.size()) {
      for (size_t b = inputs.size(); b-- > 0;)
        t.features.push_back({fmt::format("stage{}.input{}", s + 2, b), inputs[b]});
    }
    y = run_stage(stages_[s], std::move(inputs));
  }
  t.feature = y[0];
  t.features.push_back({fmt::format("stage{}", stages_.size() + 1), y[0]});
  return t;
}

}  // namespace posekd::nn
