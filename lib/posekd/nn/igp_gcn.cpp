#include "posekd/nn/igp_gcn.h"

#include <fmt/format.h>
#include <torch/nn/functional/vision.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

#include <cmath>
#include <limits>

#include "posekd/core/error.h"
#include "posekd/nn/initial_pose.h"

namespace posekd::nn {

namespace tnn = torch::nn;

SemGraphConvImpl::SemGraphConvImpl(int64_t in, int64_t out, torch::Tensor adjacency)
    : adjacency_(std::move(adjacency)) {
  W = register_parameter("W", torch::empty({2, in, out}));
  e = register_parameter("e", torch::ones({adjacency_.sum().item<int64_t>()}));
  bias = register_parameter("bias", torch::empty({out}));
  // OPEC-Net: xavier_uniform_(W, gain=1.414) (PyTorch's fans of a 3-D tensor), e = 1,
  // bias U(±1/sqrt(out)).
  tnn::init::xavier_uniform_(W, 1.414);
  const double bound = 1.0 / std::sqrt(double(out));
  tnn::init::uniform_(bias, -bound, bound);
}

torch::Tensor SemGraphConvImpl::mixing() const {
  const torch::Tensor mask = adjacency_.to(e.device());
  const torch::Tensor logits = torch::full(mask.sizes(), -std::numeric_limits<float>::infinity(), e.options());
  return torch::softmax(logits.masked_scatter(mask, e), 1);
}

torch::Tensor SemGraphConvImpl::forward(const torch::Tensor& x) {
  const torch::Tensor a = mixing();
  const torch::Tensor self = torch::eye(a.size(0), a.options());
  return torch::matmul(a * self, torch::matmul(x, W[0])) + torch::matmul(a * (1 - self), torch::matmul(x, W[1])) + bias;
}

void SemGraphConvImpl::zero_() {
  torch::NoGradGuard no_grad;
  W.zero_();
  bias.zero_();
}

GraphConvBlockImpl::GraphConvBlockImpl(int64_t in, int64_t out, const torch::Tensor& adjacency) {
  gconv = register_module("gconv", SemGraphConv(in, out, adjacency));
  bn = register_module("bn", tnn::BatchNorm1d(out));
}

torch::Tensor GraphConvBlockImpl::forward(const torch::Tensor& x) {
  return torch::relu(bn(gconv(x).transpose(1, 2)).transpose(1, 2));
}

NodeAttentionImpl::NodeAttentionImpl(int64_t channels, int64_t joints) {
  squeeze = register_module("squeeze", tnn::Sequential(tnn::Linear(channels, channels / 4), tnn::ReLU(),
                                                        tnn::Linear(channels / 4, joints), tnn::Sigmoid()));
}

torch::Tensor NodeAttentionImpl::forward(const torch::Tensor& x) {
  const torch::Tensor gates = squeeze->forward(x.mean(1));  // [N,K]
  return x + x * gates.unsqueeze(2);
}

ResGraphAttentionImpl::ResGraphAttentionImpl(int64_t width, const torch::Tensor& adjacency) {
  gconv1 = register_module("gconv1", GraphConvBlock(width, width / 2, adjacency));
  gconv2 = register_module("gconv2", SemGraphConv(width / 2, width, adjacency));
  bn = register_module("bn", tnn::BatchNorm1d(width));
  attention = register_module("attention", NodeAttention(width, adjacency.size(0)));
}

torch::Tensor ResGraphAttentionImpl::forward(const torch::Tensor& x) {
  const torch::Tensor y = gconv2(gconv1(x));
  return attention(torch::relu(bn((x + y).transpose(1, 2)).transpose(1, 2)));
}

torch::Tensor skeleton_adjacency(const Skeleton& skeleton) {
  const int64_t k = skeleton.num_joints();
  torch::Tensor a = torch::eye(k, torch::kBool);
  for (const auto& [i, j] : skeleton.edges) {
    a[i][j] = true;
    a[j][i] = true;
  }
  return a;
}

std::vector<std::string> igp_features(const std::string& key, const ModelOutputs& probe, const std::string& model) {
  std::string available;
  for (const auto& f : probe.features)
    available += fmt::format("{}{} {}x{}", available.empty() ? "" : ", ", f.name, f.value.size(2), f.value.size(3));
  std::vector<std::string> names;
  if (key == "auto") {
    int64_t last_area = -1;
    for (size_t i = probe.features.size(); i-- > 0 && names.size() < 3;) {
      const auto& f = probe.features[i];
      const int64_t area = f.value.size(2) * f.value.size(3);
      if (area != last_area) names.insert(names.begin(), f.name);
      last_area = area;
    }
    if (names.size() < 3)
      throw UsageError(fmt::format("refiner igp: model {} has features at fewer than 3 resolutions ({})", model,
                                   available));
    return names;
  }
  size_t start = 0;
  while (start <= key.size()) {
    const size_t plus = std::min(key.find('+', start), key.size());
    names.push_back(key.substr(start, plus - start));
    start = plus + 1;
  }
  for (const auto& name : names) {
    bool found = false;
    for (const auto& f : probe.features) found = found || f.name == name;
    if (!found)
      throw UsageError(fmt::format("refiner igp: features={}: model {} has no feature \"{}\" (it has: {})", key, model,
                                   name, available));
  }
  return names;
}

IgpGcnImpl::IgpGcnImpl(const ModelSpec& spec, const RefinerBase& base)
    : RefinerImpl(spec), base_(base.info), geometry_(base.geometry), dark_decoding_(base.dark_decoding) {
  features_ = igp_features(spec.get("features"), base.probe, base.info.spec.str());
  const torch::Tensor adjacency = skeleton_adjacency(base.skeleton);
  const int64_t hidden = spec.get_int("hidden");
  // Node input: P_init's x, y in [-1, 1] and its score (OPEC-Net's coords_dim 3).
  gconv_input = register_module("gconv_input", GraphConvBlock(3, hidden, adjacency));
  gconv_layers = register_module("gconv_layers", tnn::ModuleList());
  gconv_output = register_module("gconv_output", tnn::ModuleList());
  int64_t width = hidden;
  for (const auto& name : features_) {
    width += base.probe.feature(name).size(1);
    gconv_layers->push_back(ResGraphAttention(width, adjacency));
    SemGraphConv out(width, 2, adjacency);
    out->zero_();
    gconv_output->push_back(out);
  }
}

void IgpGcnImpl::refine(ModelOutputs& outputs) {
  const InitialPose init = initial_pose(outputs, base_, geometry_, dark_decoding_);
  const double w = base_.input.width, h = base_.input.height;
  const torch::Tensor size = torch::tensor({w, h}, init.coords.options());
  // grid_sample's frame with align_corners=False: pixel centre x at (2x + 1)/W - 1, the same
  // point of every feature map whatever its stride.
  const torch::Tensor grid = (2 * init.coords + 1) / size - 1;
  torch::Tensor nodes = gconv_input->forward(torch::cat({grid, init.score.unsqueeze(2)}, 2));
  const auto sampling = torch::nn::functional::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false);
  outputs.coord_stages.clear();
  for (size_t i = 0; i < features_.size(); ++i) {
    const torch::Tensor& feature = outputs.feature(features_[i]);
    const torch::Tensor sampled =
        torch::nn::functional::grid_sample(feature, grid.unsqueeze(1).to(feature.scalar_type()), sampling).squeeze(2);
    nodes = gconv_layers[i]->as<ResGraphAttentionImpl>()->forward(torch::cat({sampled.transpose(1, 2), nodes}, 2));
    const torch::Tensor refined = grid + gconv_output[i]->as<SemGraphConvImpl>()->forward(nodes);
    // Back to the regression heads' unit, x/W in input pixels.
    outputs.coord_stages.push_back(((refined + 1) * size - 1) / (2 * size));
  }
  outputs.coords = outputs.coord_stages.back();
  outputs.score = init.score;
  // Dumps render /heatmaps from the refined joints with this σ: 2 heatmap pixels, as for SimCC.
  const torch::Tensor sigma = torch::tensor({2.0 / base_.heatmap.width, 2.0 / base_.heatmap.height}, init.coords.options());
  outputs.sigma = sigma.expand_as(outputs.coords);
  outputs.heatmaps.clear();
  outputs.simcc_x = outputs.simcc_y = torch::Tensor();
}

}  // namespace posekd::nn
