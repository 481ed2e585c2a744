#include "posekd/nn/simple_baseline.h"

#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/nn/init.h"
#include "posekd/nn/resnet_blocks.h"

namespace posekd::nn {
namespace {

namespace tnn = torch::nn;

ModelInfo simple_baseline_info(const ModelSpec& spec) {
  ModelInfo info{spec, spec.input(), {}, spec.joints(), spec.head(), 1};
  if (info.input.height % 32 || info.input.width % 32)
    throw UsageError(fmt::format("model spec \"{}\": input={}x{}: a ResNet needs sides divisible by 32", spec.str(),
                                 info.input.height, info.input.width));
  const int scale = 1 << spec.get_int("deconvs");
  info.heatmap = {info.input.height / 32 * scale, info.input.width / 32 * scale};
  return info;
}

}  // namespace

SimpleBaselineImpl::SimpleBaselineImpl(const ModelSpec& spec) : PoseModelImpl(simple_baseline_info(spec)) {
  const int depth = spec.get_int("depth");
  const int width = spec.get_int("width");
  const BlockKind kind = depth == 50 ? BlockKind::bottleneck : BlockKind::basic;
  const std::vector<int> blocks = depth == 18 ? std::vector<int>{2, 2, 2, 2} : std::vector<int>{3, 4, 6, 3};

  conv1 = register_module("conv1", tnn::Conv2d(tnn::Conv2dOptions(3, width, 7).stride(2).padding(3).bias(false)));
  bn1 = register_module("bn1", tnn::BatchNorm2d(width));
  maxpool = register_module("maxpool", tnn::MaxPool2d(tnn::MaxPool2dOptions(3).stride(2).padding(1)));
  int inplanes = width;
  layer1 = register_module("layer1", make_res_layer(kind, inplanes, width, blocks[0]));
  layer2 = register_module("layer2", make_res_layer(kind, inplanes, width * 2, blocks[1], 2));
  layer3 = register_module("layer3", make_res_layer(kind, inplanes, width * 4, blocks[2], 2));
  layer4 = register_module("layer4", make_res_layer(kind, inplanes, width * 8, blocks[3], 2));
  // torchvision's init for the backbone; pose_resnet's N(0, 0.001) for the head.
  init_conv_kaiming(*this);
  init_norm(*this);

  const int deconvs = spec.get_int("deconvs");
  const int channels = spec.get_int("deconv_channels");
  if (deconvs > 0) {
    deconv_layers = tnn::Sequential();
    for (int i = 0; i < deconvs; ++i) {
      // Kernel 4, stride 2, padding 1, no output padding, no bias: pose_resnet's
      // _get_deconv_cfg for kernel 4, which exactly doubles the size.
      deconv_layers->push_back(
          tnn::ConvTranspose2d(tnn::ConvTranspose2dOptions(inplanes, channels, 4).stride(2).padding(1).bias(false)));
      deconv_layers->push_back(tnn::BatchNorm2d(channels));
      deconv_layers->push_back(tnn::ReLU(true));
      inplanes = channels;
    }
    register_module("deconv_layers", deconv_layers);
    if (spec.head() == HeadType::regression) {
      // Regression heads: Kaiming (fan_out) instead of N(0, 0.001). Under BatchNorm, Adam's
      // lr-sized steps rescramble weights of 0.001 every step; a heatmap loss pulls them one
      // way, the weak signal of a coordinate regression through a transformer does not, and
      // the student sat at the mean pose (doc/DECISIONS.md, "quick regression student").
      torch::NoGradGuard no_grad;
      for (auto& m : deconv_layers->modules(false))
        if (auto* d = m->as<tnn::ConvTranspose2d>())
          tnn::init::kaiming_normal_(d->weight, 0, torch::kFanOut, torch::kReLU);
    } else {
      init_conv_normal(*deconv_layers, 0.001);
    }
    init_norm(*deconv_layers);
  }
  build_head(inplanes, true);
}

PoseModelImpl::Trunk SimpleBaselineImpl::forward_trunk(const torch::Tensor& images) {
  auto x = maxpool(torch::relu(bn1(conv1(images))));
  auto c1 = layer1->forward(x);
  auto c2 = layer2->forward(c1);
  auto c3 = layer3->forward(c2);
  auto c4 = layer4->forward(c3);
  Trunk t;
  t.features = {{"layer4", c4}, {"layer3", c3}, {"layer2", c2}, {"layer1", c1}};
  t.feature = c4;
  if (deconv_layers) {
    t.feature = deconv_layers->forward(c4);
    t.features.push_back({"deconv_layers", t.feature});
  }
  return t;
}

}  // namespace posekd::nn
