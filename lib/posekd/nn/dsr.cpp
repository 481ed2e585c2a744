#include "posekd/nn/dsr.h"

#include <torch/nn/functional/activation.h>

#include <string>

#include "posekd/core/error.h"
#include "posekd/nn/init.h"

namespace posekd::nn {
namespace {

std::string shape_of(c10::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t d = 0; d < sizes.size(); ++d) s += (d ? "," : "") + std::to_string(sizes[d]);
  return s + "]";
}

void expect_shape(const torch::Tensor& t, const std::vector<int64_t>& expected, const char* what) {
  if (t.sizes().vec() != expected)
    throw Error(std::string("DSR ") + what + ": expected " + shape_of(expected) + ", found " + shape_of(t.sizes()));
}

}  // namespace

torch::Tensor anchor_mask(const torch::Tensor& heatmaps, double threshold) {
  return (heatmaps.detach().flatten(2).amax(2) > threshold).to(heatmaps.scalar_type());
}

torch::Tensor normalize_relation_counts(const torch::Tensor& counts) {
  const auto peak = counts.flatten(2).amax(2).clamp_min(1e-12).unsqueeze(-1).unsqueeze(-1);
  return counts / peak;
}

torch::Tensor keep_downsampled_cells(const torch::Tensor& grid) {
  const auto even = torch::indexing::Slice(0, torch::indexing::None, 2);
  return grid.index({"...", even, even});
}

torch::Tensor propagate_relations(const torch::Tensor& node, const torch::Tensor& edge, const torch::Tensor& relation,
                                  const torch::Tensor& bias, const torch::Tensor& anchors) {
  const int64_t n = node.size(0), k = node.size(1), h = node.size(2), w = node.size(3);
  expect_shape(edge, {n, k, k, h, w}, "edge features");
  expect_shape(relation, {k, k, h, w}, "edge weights");
  expect_shape(bias, {k, k}, "edge bias");
  expect_shape(anchors, {n, k}, "anchors");
  const auto messages = relation * edge + bias.view({1, k, k, 1, 1});
  const auto senders = anchors.unsqueeze(2) * (1 - torch::eye(k, anchors.options())).unsqueeze(0);  // [N,i,j]
  const auto summed = (senders.view({n, k, k, 1, 1}) * messages).sum(1);
  const auto count = senders.sum(1).clamp_min(1).view({n, k, 1, 1});
  return torch::relu(summed / count + node);
}

MapFcImpl::MapFcImpl(int channels, InputSize in, InputSize out, int width, bool residual)
    : out_(out), residual_(residual) {
  if (residual && (in.height != out.height || in.width != out.width))
    throw Error("DSR: a residual map FC needs equal input and output sizes");
  const int64_t in_size = int64_t(in.height) * in.width, out_size = int64_t(out.height) * out.width;
  norm = register_module("norm", torch::nn::BatchNorm2d(channels));
  if (width > 0) {
    fc1 = register_module("fc1", torch::nn::Linear(in_size, width));
    fc2 = register_module("fc2", torch::nn::Linear(width, out_size));
  } else {
    fc1 = register_module("fc1", torch::nn::Linear(in_size, out_size));
  }
  torch::NoGradGuard no_grad;
  torch::nn::Linear& last = fc2 ? fc2 : fc1;
  last->weight.zero_();
  last->bias.zero_();
}

torch::Tensor MapFcImpl::forward(const torch::Tensor& maps) {
  auto x = fc1(norm(maps).flatten(2));
  if (fc2) x = fc2(x);
  x = x.view({maps.size(0), maps.size(1), out_.height, out_.width});
  return residual_ ? maps + x : x;
}

DsrStageImpl::DsrStageImpl(int joints, InputSize heatmap, int fc_width) : joints_(joints) {
  node = register_module("node", MapFc(joints, heatmap, heatmap, fc_width, /*residual=*/true));
  // h'_eij lives on P's [2h,2w] grid, but ds keeps only its even cells: the FC makes just those
  // (the other 3/4 of a [2h,2w] output would be weights without effect or gradient).
  edge = register_module("edge", MapFc(joints * joints, heatmap, heatmap, fc_width));
  bias = register_parameter("bias", torch::zeros({joints, joints}));
}

torch::Tensor DsrStageImpl::forward(const torch::Tensor& maps, const torch::Tensor& relation, double anchor_threshold) {
  const int64_t n = maps.size(0), k = joints_, h = maps.size(2), w = maps.size(3);
  const auto differences = maps.unsqueeze(1) - maps.unsqueeze(2);  // [N,i,j,h,w] = h_vj − h_vi
  const auto edge_features = edge(differences.reshape({n, k * k, h, w})).view({n, k, k, h, w});
  return propagate_relations(node(maps), edge_features, keep_downsampled_cells(relation), bias,
                             anchor_mask(maps, anchor_threshold));
}

DynamicSpatialRelationImpl::DynamicSpatialRelationImpl(int joints, InputSize heatmap, DsrOptions options)
    : joints_(joints), heatmap_(heatmap), options_(options) {
  if (joints <= 0 || heatmap.height <= 0 || heatmap.width <= 0 || options.stages <= 0 || options.fc_width < 0)
    throw UsageError("DSR: expected joints, heatmap size and stages > 0 and FC width >= 0, found " +
                     std::to_string(joints) + " joints, " + std::to_string(heatmap.width) + "x" +
                     std::to_string(heatmap.height) + ", " + std::to_string(options.stages) + " stages, width " +
                     std::to_string(options.fc_width));
  relation_counts_ =
      register_buffer("relation_counts", torch::zeros({joints, joints, 2 * heatmap.height, 2 * heatmap.width}));
  // No bias: a pair never seen in training keeps P = 0, no prior rather than a learned constant.
  relation_conv = register_module("relation_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 1, 7).padding(3).bias(false)));
  init_conv_kaiming(*relation_conv);
  stages = register_module("stages", torch::nn::ModuleList());
  for (int s = 0; s < options.stages; ++s) stages->push_back(DsrStage(joints, heatmap, options.fc_width));
}

torch::Tensor DynamicSpatialRelationImpl::edge_weights() {
  const auto k = joints_;
  const auto grid = normalize_relation_counts(relation_counts_).view({k * k, 1, 2 * heatmap_.height, 2 * heatmap_.width});
  return relation_conv(grid).view({k, k, 2 * heatmap_.height, 2 * heatmap_.width});
}

void DynamicSpatialRelationImpl::set_relation_counts(const torch::Tensor& counts) {
  expect_shape(counts, relation_counts_.sizes().vec(), "relation counts");
  torch::NoGradGuard no_grad;
  relation_counts_.copy_(counts);
}

std::vector<torch::Tensor> DynamicSpatialRelationImpl::forward(const torch::Tensor& heatmaps) {
  expect_shape(heatmaps, {heatmaps.size(0), joints_, heatmap_.height, heatmap_.width}, "input heatmaps");
  const auto relation = edge_weights();
  std::vector<torch::Tensor> outputs;
  auto maps = heatmaps;
  for (const auto& stage : *stages) {
    maps = stage->as<DsrStage>()->forward(maps, relation, options_.anchor_threshold);
    outputs.push_back(maps);
  }
  return outputs;
}

}  // namespace posekd::nn
