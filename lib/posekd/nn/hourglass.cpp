#include "posekd/nn/hourglass.h"

#include <fmt/format.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/modules/pooling.h>

#include "posekd/core/error.h"

namespace posekd::nn {
namespace {

namespace tnn = torch::nn;

ModelInfo hourglass_info(const ModelSpec& spec) {
  ModelInfo info{spec, spec.input(), {}, spec.joints(), spec.head(), spec.get_int("stacks")};
  const int depth = spec.get_int("depth");
  const int divisor = 4 << depth;  // the stem's 4, then one halving per level
  if (info.input.height % divisor || info.input.width % divisor)
    throw UsageError(fmt::format("model spec \"{}\": input={}x{}: an hourglass of depth={} needs sides divisible by {}",
                                 spec.str(), info.input.height, info.input.width, depth, divisor));
  info.heatmap = {info.input.height / 4, info.input.width / 4};
  return info;
}

// Merge in princeton-vl is a module holding one Conv named "conv".

class MergeImpl : public tnn::Module {
 public:
  MergeImpl(int in, int out) : conv(in, out, 1, 1, false, false) { register_module("conv", conv); }
  torch::Tensor forward(const torch::Tensor& x) { return conv(x); }

 private:
  HgConv conv;
};
TORCH_MODULE(Merge);

}  // namespace

HgConvImpl::HgConvImpl(int in, int out, int kernel, int stride, bool use_bn, bool relu) : relu_(relu) {
  conv = register_module("conv", tnn::Conv2d(tnn::Conv2dOptions(in, out, kernel).stride(stride).padding((kernel - 1) / 2)));
  if (use_bn) bn = register_module("bn", tnn::BatchNorm2d(out));
}

torch::Tensor HgConvImpl::forward(const torch::Tensor& x) {
  auto y = conv(x);
  if (bn) y = bn(y);
  return relu_ ? torch::relu(y) : y;
}

ResidualImpl::ResidualImpl(int in, int out) {
  const int mid = out / 2;
  bn1 = register_module("bn1", tnn::BatchNorm2d(in));
  conv1 = register_module("conv1", HgConv(in, mid, 1, 1, false, false));
  bn2 = register_module("bn2", tnn::BatchNorm2d(mid));
  conv2 = register_module("conv2", HgConv(mid, mid, 3, 1, false, false));
  bn3 = register_module("bn3", tnn::BatchNorm2d(mid));
  conv3 = register_module("conv3", HgConv(mid, out, 1, 1, false, false));
  if (in != out) skip_layer = register_module("skip_layer", HgConv(in, out, 1, 1, false, false));
}

torch::Tensor ResidualImpl::forward(const torch::Tensor& x) {
  auto out = conv1(torch::relu(bn1(x)));
  out = conv2(torch::relu(bn2(out)));
  out = conv3(torch::relu(bn3(out)));
  return out + (skip_layer ? skip_layer(x) : x);
}

HourglassImpl::HourglassImpl(int order, int channels) {
  up1 = register_module("up1", Residual(channels, channels));
  low1 = register_module("low1", Residual(channels, channels));
  if (order > 1)
    low2_hourglass = register_module("low2", std::make_shared<HourglassImpl>(order - 1, channels));
  else
    low2_residual = register_module("low2", Residual(channels, channels));
  low3 = register_module("low3", Residual(channels, channels));
}

torch::Tensor HourglassImpl::forward_levels(const torch::Tensor& x, std::vector<torch::Tensor>* levels) {
  auto low = low1(torch::max_pool2d(x, 2, 2));
  if (low2_hourglass) {
    low = low2_hourglass->forward_levels(low, levels);
  } else {
    low = low2_residual(low);
    if (levels) levels->push_back(low);
  }
  low = low3(low);
  namespace F = torch::nn::functional;
  auto up2 = F::interpolate(low, F::InterpolateFuncOptions()
                                     .scale_factor(std::vector<double>{2.0, 2.0})
                                     .mode(torch::kNearest));
  auto out = up1(x) + up2;
  if (levels) levels->push_back(out);
  return out;
}

HourglassNetImpl::HourglassNetImpl(const ModelSpec& spec) : PoseModelImpl(hourglass_info(spec)) {
  const int stacks = spec.get_int("stacks");
  const int c = spec.get_int("channels");
  const int depth = spec.get_int("depth");
  const int k = spec.joints();
  // Newell's stem is 64 then 128 channels whatever the width; below 128 channels it would
  // dominate a small student's cost, so there it narrows to c/2 and c.
  const int s1 = c >= 128 ? 64 : std::max(1, c / 2);
  const int s2 = c >= 128 ? 128 : c;
  pre = register_module("pre", tnn::Sequential(HgConv(3, s1, 7, 2, true, true), Residual(s1, s2),
                                               tnn::MaxPool2d(tnn::MaxPool2dOptions(2).stride(2)), Residual(s2, s2),
                                               Residual(s2, c)));
  hgs = register_module("hgs", tnn::ModuleList());
  features = register_module("features", tnn::ModuleList());
  outs = register_module("outs", tnn::ModuleList());
  merge_features = register_module("merge_features", tnn::ModuleList());
  merge_preds = register_module("merge_preds", tnn::ModuleList());
  for (int i = 0; i < stacks; ++i) {
    auto hg = std::make_shared<HourglassImpl>(depth, c);
    hourglasses_.push_back(hg);
    hgs->push_back(tnn::Sequential(Hourglass(hg)));
    features->push_back(tnn::Sequential(Residual(c, c), HgConv(c, c, 1, 1, true, true)));
    outs->push_back(HgConv(c, k, 1, 1, false, false));
    if (i + 1 < stacks) {
      merge_features->push_back(Merge(c, c));
      merge_preds->push_back(Merge(k, c));
    }
  }
  build_head(c, false);
}

PoseModelImpl::Trunk HourglassNetImpl::forward_trunk(const torch::Tensor& images) {
  Trunk t;
  auto x = pre->forward(images);
  const int stacks = int(hourglasses_.size());
  for (int i = 0; i < stacks; ++i) {
    const bool last = i + 1 == stacks;
    std::vector<torch::Tensor> levels;
    auto hg = hourglasses_[i]->forward_levels(x, last ? &levels : nullptr);
    auto feature = features[i]->as<tnn::Sequential>()->forward(hg);
    auto preds = outs[i]->as<HgConv>()->forward(feature);
    t.heatmaps.push_back(preds);
    if (!last) {
      x = x + merge_preds[i]->as<MergeImpl>()->forward(preds) + merge_features[i]->as<MergeImpl>()->forward(feature);
    } else {
      const std::string prefix = fmt::format("hgs.{}", i);
      for (size_t l = 0; l < levels.size(); ++l)
        t.features.push_back({fmt::format("{}.level{}", prefix, l), levels[l]});
      t.features.push_back({fmt::format("features.{}", i), feature});
      t.feature = feature;
    }
  }
  return t;
}

}  // namespace posekd::nn
