#include "posekd/nn/tokenpose.h"

#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/nn/init.h"
#include "posekd/nn/resnet_blocks.h"

namespace posekd::nn {
namespace {

namespace tnn = torch::nn;

ModelInfo tokenpose_info(const ModelSpec& spec) {
  ModelInfo info{spec, spec.input(), {}, spec.joints(), HeadType::heatmap, 1};
  if (info.input.height % 4 || info.input.width % 4)
    throw UsageError(fmt::format("model spec \"{}\": input={}x{}: TokenPose needs sides divisible by 4", spec.str(),
                                 info.input.height, info.input.width));
  info.heatmap = {info.input.height / 4, info.input.width / 4};
  return info;
}

}  // namespace

TokenPoseImpl::TokenPoseImpl(const ModelSpec& spec) : PoseModelImpl(tokenpose_info(spec)) {
  const int stem = spec.get_int("stem_width");
  conv1 = register_module("conv1", tnn::Conv2d(tnn::Conv2dOptions(3, stem, 3).stride(2).padding(1).bias(false)));
  bn1 = register_module("bn1", tnn::BatchNorm2d(stem));
  conv2 = register_module("conv2", tnn::Conv2d(tnn::Conv2dOptions(stem, stem, 3).stride(2).padding(1).bias(false)));
  bn2 = register_module("bn2", tnn::BatchNorm2d(stem));
  int inplanes = stem;
  layer1 = register_module("layer1", make_res_layer(BlockKind::bottleneck, inplanes, stem, 4));
  init_conv_kaiming(*this);
  init_norm(*this);
  build_token_heatmap_head(inplanes);
}

PoseModelImpl::Trunk TokenPoseImpl::forward_trunk(const torch::Tensor& images) {
  auto s1 = torch::relu(bn1(conv1(images)));
  auto s2 = torch::relu(bn2(conv2(s1)));
  auto c1 = layer1->forward(s2);
  Trunk t;
  t.features = {{"layer1", c1}, {"conv2", s2}, {"conv1", s1}};
  t.feature = c1;
  return t;
}

}  // namespace posekd::nn
