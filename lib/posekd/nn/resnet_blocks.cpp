#include "posekd/nn/resnet_blocks.h"

#include <torch/nn/functional/activation.h>

namespace posekd::nn {
namespace {

namespace tnn = torch::nn;

tnn::Conv2d conv3x3(int in, int out, int stride) {
  return tnn::Conv2d(tnn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

tnn::Conv2d conv1x1(int in, int out, int stride = 1) {
  return tnn::Conv2d(tnn::Conv2dOptions(in, out, 1).stride(stride).bias(false));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int inplanes, int planes, int stride, tnn::Sequential down)
    : conv1(conv3x3(inplanes, planes, stride)),
      conv2(conv3x3(planes, planes, 1)),
      bn1(planes),
      bn2(planes),
      downsample(std::move(down)) {
  register_module("conv1", conv1);
  register_module("bn1", bn1);
  register_module("conv2", conv2);
  register_module("bn2", bn2);
  if (downsample) register_module("downsample", downsample);
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1(conv1(x)));
  out = bn2(conv2(out));
  return torch::relu(out + (downsample ? downsample->forward(x) : x));
}

BottleneckImpl::BottleneckImpl(int inplanes, int planes, int stride, tnn::Sequential down)
    : conv1(conv1x1(inplanes, planes)),
      conv2(conv3x3(planes, planes, stride)),
      conv3(conv1x1(planes, planes * expansion)),
      bn1(planes),
      bn2(planes),
      bn3(planes * expansion),
      downsample(std::move(down)) {
  register_module("conv1", conv1);
  register_module("bn1", bn1);
  register_module("conv2", conv2);
  register_module("bn2", bn2);
  register_module("conv3", conv3);
  register_module("bn3", bn3);
  if (downsample) register_module("downsample", downsample);
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1(conv1(x)));
  out = torch::relu(bn2(conv2(out)));
  out = bn3(conv3(out));
  return torch::relu(out + (downsample ? downsample->forward(x) : x));
}

int block_expansion(BlockKind kind) { return kind == BlockKind::basic ? 1 : 4; }

tnn::Sequential make_res_layer(BlockKind kind, int& inplanes, int planes, int blocks, int stride) {
  const int out = planes * block_expansion(kind);
  tnn::Sequential down{nullptr};
  if (stride != 1 || inplanes != out)
    down = tnn::Sequential(conv1x1(inplanes, out, stride), tnn::BatchNorm2d(out));
  tnn::Sequential layer;
  for (int i = 0; i < blocks; ++i) {
    const int in = i == 0 ? inplanes : out;
    const int s = i == 0 ? stride : 1;
    auto d = i == 0 ? down : tnn::Sequential(nullptr);
    if (kind == BlockKind::basic)
      layer->push_back(BasicBlock(in, planes, s, d));
    else
      layer->push_back(Bottleneck(in, planes, s, d));
  }
  inplanes = out;
  return layer;
}

}  // namespace posekd::nn
