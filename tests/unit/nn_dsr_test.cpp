#include <doctest/doctest.h>

#include <cmath>

#include "posekd/core/error.h"
#include "posekd/core/skeleton.h"
#include "posekd/nn/dsr.h"
#include "posekd/nn/dsr_refiner.h"
#include "posekd/nn/model.h"
#include "posekd/train/dsr_statistics.h"
#include "test_support.h"

using namespace posekd;
using namespace posekd::nn;

namespace {

// Eq. 6 for one target joint j of sample n at pixel (y, x), written out as the paper states it.
float eq6_direct(const torch::Tensor& node, const torch::Tensor& edge, const torch::Tensor& relation,
                 const torch::Tensor& bias, const torch::Tensor& anchors, int64_t n, int64_t j, int64_t y, int64_t x) {
  const int64_t k = node.size(1);
  double sum = 0;
  int count = 0;
  for (int64_t i = 0; i < k; ++i) {
    if (i == j || anchors[n][i].item<float>() == 0) continue;
    // ds: nearest downsampling [2h,2w] -> [h,w] reads cell (2y, 2x).
    sum += relation[i][j][2 * y][2 * x].item<float>() * edge[n][i][j][2 * y][2 * x].item<float>() +
           bias[i][j].item<float>();
    ++count;
  }
  const double relation_term = count > 0 ? sum / count : 0.0;
  return float(std::max(0.0, relation_term + node[n][j][y][x].item<float>()));
}

std::vector<float> pose(std::initializer_list<float> values) { return values; }

}  // namespace

TEST_CASE("relation statistics: hand-made poses land on the [2h,2w] offset grid") {
  // 3 joints on a 4x3 heatmap (w = 4, h = 3): grid 8 wide, 6 high, zero offset at row 3, column 4.
  train::RelationStatistics d(3, 4, 3);
  d.add_pose(pose({1, 1, 2, 3, 2, 2, 0, 0, 0}));        // joint 2 unlabelled: only 0<->1
  d.add_pose(pose({1, 1, 2, 2.6f, 1.6f, 1, 1, 0, 2}));  // (1.6, 0.6) rounds to (2, 1); 0->2 is (0, -1)
  d.add_pose(pose({0, 0, 2, 3.9f, 0, 2, 0, 0, 0}));     // dx 3.9 -> 4 = w: off the grid both ways
  CHECK(d.counts.size() == size_t(3 * 3 * 6 * 8));
  CHECK(d.at(0, 1, 3 + 1, 4 + 2) == 2.0f);  // (2, 1) twice
  CHECK(d.at(1, 0, 3 - 1, 4 - 2) == 2.0f);  // and its reverse
  CHECK(d.at(0, 2, 3 - 1, 4 + 0) == 1.0f);
  CHECK(d.at(2, 0, 3 + 1, 4 + 0) == 1.0f);
  CHECK(d.at(1, 2, 3 - 2, 4 - 2) == 1.0f);  // (1,0) - (2.6,1.6) = (-1.6,-1.6) -> (-2,-2)
  CHECK(d.at(2, 1, 3 + 2, 4 + 2) == 1.0f);
  // dx = -4 = -w is on the grid (column 0), dx = +4 is not.
  CHECK(d.at(1, 0, 3, 0) == 1.0f);
  CHECK(d.outside == 1);
  float total = 0;
  for (float c : d.counts) total += c;
  CHECK(total == 9.0f);  // 2 + 6 + 1: the off-grid pair is not counted
  CHECK(d.poses == 3);
  for (int i = 0; i < 3; ++i)
    for (int r = 0; r < 6; ++r)
      for (int c = 0; c < 8; ++c) CHECK(d.at(i, i, r, c) == 0.0f);
  CHECK(test::error_of([&] { d.add_pose(pose({1, 1, 2})); }) ==
        "relation statistics: expected 3x3 keypoint values, found 3");
}

TEST_CASE("relation statistics: instances go through their plain crop into heatmap pixels") {
  // Box 48x64 at (0,0) with the default padding 1.25: the crop is 60x80 image pixels onto a
  // 24x32 input, 12x16 heatmap; 5 image pixels per heatmap pixel.
  Instance person;
  person.box = {0, 0, 48, 64};
  person.keypoints = {{24, 32, 2}, {34, 17, 2}};
  Instance crowd = person;
  crowd.iscrowd = true;
  TargetOptions geometry;
  geometry.input_w = 24;
  geometry.input_h = 32;
  geometry.heatmap_w = 12;
  geometry.heatmap_h = 16;
  const auto d = train::relation_statistics({person, crowd}, geometry);
  CHECK(d.poses == 1);
  CHECK(d.at(0, 1, 16 - 3, 12 + 2) == 1.0f);  // (10, -15) image px = (2, -3) heatmap px
  CHECK(d.at(1, 0, 16 + 3, 12 - 2) == 1.0f);
  Instance short_one = person;
  short_one.sample_id = 7;
  short_one.keypoints.pop_back();
  CHECK(test::error_of([&] { train::relation_statistics({person, short_one}, geometry); }) ==
        "relation statistics: sample 7: expected 2 keypoints, found 1");
}

TEST_CASE("anchor joints: heatmap peak above tau") {
  auto maps = torch::zeros({2, 3, 4, 5});
  maps[0][0][1][2] = 0.9;
  maps[0][1][3][4] = 0.75;  // not above τ = 0.75
  maps[0][2][0][0] = 0.76;
  maps[1][1][2][2] = 1.2;
  const auto anchors = anchor_mask(maps, 0.75);
  CHECK(anchors.sizes().vec() == std::vector<int64_t>{2, 3});
  const std::vector<float> expected{1, 0, 1, 0, 1, 0};
  for (int i = 0; i < 6; ++i) CHECK(anchors.flatten()[i].item<float>() == expected[size_t(i)]);
  CHECK(anchor_mask(maps, 0.95).sum().item<float>() == 1.0f);
}

TEST_CASE("Norm(D): each pair divided by its peak, unseen pairs stay zero") {
  auto counts = torch::zeros({2, 2, 2, 4});
  counts[0][1][0][1] = 4;
  counts[0][1][1][3] = 2;
  const auto norm = normalize_relation_counts(counts);
  CHECK(norm[0][1][0][1].item<float>() == 1.0f);
  CHECK(norm[0][1][1][3].item<float>() == 0.5f);
  CHECK(norm[1][0].abs().sum().item<float>() == 0.0f);
  CHECK_FALSE(norm.isnan().any().item<bool>());
}

TEST_CASE("propagation equals a direct loop over Eq. 6") {
  torch::manual_seed(3);
  const int64_t n = 3, k = 4, h = 3, w = 2;
  const auto node = torch::randn({n, k, h, w});
  const auto edge = torch::randn({n, k, k, 2 * h, 2 * w});
  const auto relation = torch::randn({k, k, 2 * h, 2 * w});
  const auto bias = torch::randn({k, k});
  // Sample 0: anchors 0 and 2; sample 1: only joint 3; sample 2: none (N_A = 0).
  auto anchors = torch::zeros({n, k});
  anchors[0][0] = 1;
  anchors[0][2] = 1;
  anchors[1][3] = 1;
  const auto out =
      propagate_relations(node, keep_downsampled_cells(edge), keep_downsampled_cells(relation), bias, anchors);
  REQUIRE(out.sizes().vec() == std::vector<int64_t>{n, k, h, w});
  for (int64_t s = 0; s < n; ++s)
    for (int64_t j = 0; j < k; ++j)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          CHECK(out[s][j][y][x].item<float>() ==
                doctest::Approx(eq6_direct(node, edge, relation, bias, anchors, s, j, y, x)).epsilon(1e-5));
  // No anchor other than itself: the joint keeps ReLU of its own transformed feature.
  CHECK(torch::allclose(out[2], torch::relu(node[2])));
  CHECK(torch::allclose(out[1][3], torch::relu(node[1][3])));
  CHECK(test::error_of([&] {
          propagate_relations(node, keep_downsampled_cells(edge), keep_downsampled_cells(relation), bias,
                              anchors.narrow(1, 0, 3));
        }) == "DSR anchors: expected [3,4], found [3,3]");
  CHECK(test::error_of([&] { propagate_relations(node, edge, relation, bias, anchors); }) ==
        "DSR edge features: expected [3,4,4,3,2], found [3,4,4,6,4]");
}

TEST_CASE("DSR module: S supervised stages, edge weights from D, gradients reach every stage") {
  torch::manual_seed(1);
  DsrOptions options;
  options.stages = 3;
  options.fc_width = 8;
  DynamicSpatialRelation dsr(5, InputSize{6, 4}, options);
  auto counts = torch::zeros({5, 5, 12, 8});
  counts[0][1][7][5] = 3;
  dsr->set_relation_counts(counts);
  const auto p = dsr->edge_weights();
  CHECK(p.sizes().vec() == std::vector<int64_t>{5, 5, 12, 8});
  CHECK(p[1][0].abs().sum().item<float>() == 0.0f);  // never seen, no bias: no prior
  CHECK(p[0][1].abs().sum().item<float>() > 0.0f);

  auto maps = torch::rand({2, 5, 6, 4});
  const auto outputs = dsr->forward(maps);
  REQUIRE(outputs.size() == 3);
  for (const auto& o : outputs) CHECK(o.sizes().vec() == std::vector<int64_t>{2, 5, 6, 4});
  outputs[0].sum().add(outputs[2].sum()).backward();
  for (const auto& parameter : dsr->named_parameters())
    CHECK_MESSAGE(parameter.value().grad().defined(), parameter.key());
  CHECK(dsr->named_buffers().contains("relation_counts"));
  CHECK(test::error_of([&] { dsr->forward(torch::rand({2, 5, 6, 5})); }) ==
        "DSR input heatmaps: expected [2,5,6,4], found [2,5,6,5]");
  CHECK(test::error_of([&] { dsr->set_relation_counts(torch::zeros({5, 5, 12, 9})); }) ==
        "DSR relation counts: expected [5,5,12,8], found [5,5,12,9]");
}

TEST_CASE("DSR module: a new DSRxS returns the base maps, so refining starts at the base's AP") {
  torch::manual_seed(3);
  for (int width : {0, 16}) {
    DsrOptions options;
    options.stages = 4;
    options.fc_width = width;
    DynamicSpatialRelation dsr(5, InputSize{6, 4}, options);
    dsr->set_relation_counts(torch::rand({5, 5, 12, 8}));
    auto maps = torch::rand({3, 5, 6, 4}) - 0.1;
    maps[0][2][3][1] = 0.95;  // an anchor, so messages are sent
    for (bool training : {true, false}) {
      dsr->train(training);
      const auto outputs = dsr->forward(maps);
      for (const auto& o : outputs) CHECK(torch::allclose(o, torch::relu(maps), 0, 1e-6));
    }
    // The zero start is not a dead end: the FCs' last layers get gradients.
    dsr->train();
    dsr->forward(maps).back().pow(2).sum().backward();
    auto params = dsr->named_parameters();
    const std::string last = width ? ".fc2.weight" : ".fc1.weight";
    CHECK(params["stages.3.node" + last].grad().abs().sum().item<float>() > 0);
    CHECK(params["stages.0.edge" + last].grad().abs().sum().item<float>() > 0);
  }
}

TEST_CASE("DSR stage: BN -> FC of the joint maps and of the difference maps h_vj - h_vi") {
  // In eval mode a fresh BatchNorm is x / sqrt(1 + eps), so one stage can be recomputed from
  // its FC weights; joint 1 is the only anchor.
  torch::manual_seed(2);
  DsrOptions options;
  options.stages = 1;
  options.fc_width = 0;
  const int64_t k = 3, h = 2, w = 3;
  DynamicSpatialRelation dsr(int(k), InputSize{int(h), int(w)}, options);
  auto counts = torch::rand({k, k, 2 * h, 2 * w});
  dsr->set_relation_counts(counts);
  dsr->eval();
  torch::NoGradGuard no_grad;
  auto params = dsr->named_parameters();
  params["stages.0.bias"].copy_(torch::randn({k, k}));
  for (const char* name : {"node", "edge"}) {  // they start at zero (the next test)
    params[std::string("stages.0.") + name + ".fc1.weight"].copy_(torch::randn({h * w, h * w}));
    params[std::string("stages.0.") + name + ".fc1.bias"].copy_(torch::randn({h * w}));
  }
  CHECK(params["stages.0.edge.fc1.weight"].sizes().vec() == std::vector<int64_t>{6, 6});
  CHECK_FALSE(params.contains("stages.0.edge.fc2.weight"));

  auto maps = torch::rand({1, k, h, w}) * 0.5;
  maps[0][1][1][2] = 0.9;
  const auto out = dsr->forward(maps).back();

  const double bn = 1.0 / std::sqrt(1.0 + 1e-5);
  const auto fc = [&](const std::string& name, const torch::Tensor& x) {
    return torch::addmm(params["stages.0." + name + ".fc1.bias"], (x * bn).reshape({1, h * w}),
                        params["stages.0." + name + ".fc1.weight"].t());
  };
  const auto relation = dsr->edge_weights();
  for (int64_t j = 0; j < k; ++j) {
    const auto own = maps[0][j] + fc("node", maps[0][j]).view({h, w});  // h'_v: residual
    auto expected = own;
    if (j != 1) {
      // The edge FC makes the cells of h'_e1j that ds keeps: (2y, 2x) of the [2h,2w] grid.
      const auto edge = fc("edge", maps[0][j] - maps[0][1]).view({h, w});
      const auto p = relation[1][j].index({torch::indexing::Slice(0, torch::indexing::None, 2),
                                           torch::indexing::Slice(0, torch::indexing::None, 2)});
      const auto message = p * edge;
      expected = own + message + params["stages.0.bias"][1][j];
    }
    CHECK_MESSAGE(torch::allclose(out[0][j], torch::relu(expected), 1e-5, 1e-6), "joint ", j);
  }
}

TEST_CASE("DSR as a refiner: the model's heatmaps become the S stages' maps; heatmap heads only") {
  torch::manual_seed(4);
  auto model = make_model("resnet:depth=18,width=2,deconvs=3,deconv_channels=4,input=32x32", 1);
  const auto skeleton = Skeleton::load("coco17");
  attach_refiner(*model, ModelSpec::parse_refiner("dsr:stages=3,width=8"), skeleton, HeatmapCodec::unbiased);
  CHECK(model->refiner_spec() == "dsr:stages=3,tau=0.75,width=8");
  model->eval();
  torch::NoGradGuard no_grad;
  const auto images = torch::rand({2, 3, 32, 32});
  const auto out = model->forward(images);
  REQUIRE(out.heatmaps.size() == 3);
  CHECK(out.final_heatmaps().sizes().vec() == std::vector<int64_t>{2, 17, 8, 8});
  // The same base without a refiner (same seed, same weights) feeds the stages.
  auto base = make_model("resnet:depth=18,width=2,deconvs=3,deconv_channels=4,input=32x32", 1);
  base->eval();
  auto& dsr = model->refiner()->as<DsrRefinerImpl>()->relation();
  CHECK(torch::allclose(out.final_heatmaps(), dsr.forward(base->forward(images).heatmaps.back()).back()));
  CHECK(model->named_buffers().contains("refiner.dsr.relation_counts"));

  auto simcc = make_model("resnet:depth=18,width=2,head=simcc,input=32x32", 1);
  CHECK(test::error_of([&] {
          attach_refiner(*simcc, ModelSpec::parse_refiner("dsr"), skeleton, HeatmapCodec::unbiased);
        }).find("has a simcc head; DSR refines heatmaps") != std::string::npos);
  CHECK(test::error_of([&] { ModelSpec::parse_refiner("dsr:tau=2"); }).find("tau=2: expected") != std::string::npos);
}
