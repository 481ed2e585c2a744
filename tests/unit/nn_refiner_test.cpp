#include <doctest/doctest.h>
#include <torch/torch.h>

#include "posekd/codec/heatmap_decode.h"
#include "posekd/core/error.h"
#include "posekd/io/info.h"
#include "posekd/loss/refine_losses.h"
#include "posekd/nn/igp_gcn.h"
#include "posekd/nn/initial_pose.h"
#include "posekd/nn/refiner.h"
#include "posekd/nn/state_arrays.h"
#include "posekd/train/model_checkpoint.h"
#include "posekd/train/run_checkpoint.h"
#include "test_support.h"

using namespace posekd;

namespace {

// Features (low to high): layer4 2x2, layer3 4x4, layer2 8x8, layer1 16x16, deconv_layers 16x16.
const char* tiny = "resnet:depth=18,width=4,deconv_channels=8,joints=17,input=64x64";
const char* tiny_simcc = "resnet:depth=18,width=4,deconv_channels=8,joints=17,input=64x64,head=simcc";
const Skeleton& coco() { return *Skeleton::find_builtin("coco17"); }

nn::PoseModel refined(const char* spec, const std::string& refiner = "igp:hidden=16", bool freeze = true) {
  auto model = nn::make_model(spec, 1);
  nn::attach_refiner(*model, nn::ModelSpec::parse_refiner(refiner), coco(), HeatmapCodec::unbiased, {freeze, 2});
  return model;
}

}  // namespace

TEST_CASE("refiner spec: canonical form, defaults and refusals") {
  CHECK(nn::ModelSpec::parse_refiner("igp").str() == "igp:hidden=128,features=auto");
  const auto spec = nn::ModelSpec::parse_refiner("igp:features=layer3+layer2+deconv_layers,hidden=64");
  CHECK(spec.str() == "igp:hidden=64,features=layer3+layer2+deconv_layers");
  CHECK(nn::ModelSpec::parse_refiner(spec.str()) == spec);
  CHECK(test::error_of([] { nn::ModelSpec::parse_refiner("gcn"); }) ==
        "refiner spec \"gcn\": unknown refiner \"gcn\" (accepted: igp, dsr)");
  CHECK(test::error_of([] { nn::ModelSpec::parse_refiner("igp:width=3"); }) ==
        "refiner spec \"igp:width=3\": unknown key \"width\" for igp (accepted: hidden, features)");
  CHECK(test::error_of([] { nn::ModelSpec::parse_refiner("igp:features=layer3+layer2"); }) ==
        "refiner spec \"igp:features=layer3+layer2\": features=layer3+layer2: expected auto or 3 feature names "
        "joined by '+'");
  CHECK(test::error_of([] { nn::ModelSpec::parse_refiner("igp:hidden=2"); }) ==
        "refiner spec \"igp:hidden=2\": hidden=2: expected an integer in [4, 4096]");
}

TEST_CASE("initial pose: heatmap argmax with HRNet's quarter offset, in input pixels by the crop geometry") {
  nn::ModelInfo info;
  info.spec = nn::ModelSpec::parse(tiny);
  info.input = {64, 48};
  info.heatmap = {16, 12};
  nn::ModelOutputs out;
  torch::Tensor maps = torch::zeros({1, 2, 16, 12});
  maps[0][0][5][7] = 0.9;  // joint 0 at (7, 5), right and lower neighbours higher
  maps[0][0][5][8] = 0.5;
  maps[0][0][5][6] = 0.1;
  maps[0][0][6][7] = 0.3;
  maps[0][1][1][3] = 0.7;  // joint 1 on row 1: HRNet's bounds give no offset
  maps[0][1][1][4] = 0.6;
  out.heatmaps = {maps};
  const nn::InitialPose p = nn::initial_pose(out, info, CropGeometry::standard);
  CHECK(p.coords[0][0][0].item<float>() == doctest::Approx(7.25 * 4));
  CHECK(p.coords[0][0][1].item<float>() == doctest::Approx(5.25 * 4));
  CHECK(p.coords[0][1][0].item<float>() == doctest::Approx(3 * 4));
  CHECK(p.coords[0][1][1].item<float>() == doctest::Approx(1 * 4));
  CHECK(p.score[0][0].item<float>() == doctest::Approx(0.9));
  const nn::InitialPose udp = nn::initial_pose(out, info, CropGeometry::udp);
  CHECK(udp.coords[0][0][0].item<float>() == doctest::Approx(7.25 * 47.0 / 11.0));

  nn::ModelOutputs simcc;
  info.spec = nn::ModelSpec::parse(tiny_simcc);
  simcc.simcc_x = torch::zeros({1, 1, 96});
  simcc.simcc_y = torch::zeros({1, 1, 128});
  simcc.simcc_x[0][0][41] = 3.0;
  simcc.simcc_y[0][0][100] = 2.0;
  const nn::InitialPose s = nn::initial_pose(simcc, info, CropGeometry::standard);
  CHECK(s.coords[0][0][0].item<float>() == doctest::Approx(20.5));
  CHECK(s.coords[0][0][1].item<float>() == doctest::Approx(50.0));
  CHECK(s.score[0][0].item<float>() == doctest::Approx(2.0));
}

TEST_CASE("initial pose with DARK: the location codec/heatmap_decode gives each map") {
  // Gaussians at sub-pixel centres with noise, some near the border (no Taylor step there).
  nn::ModelInfo info;
  info.spec = nn::ModelSpec::parse(tiny);
  info.input = {128, 96};  // height, width
  info.heatmap = {32, 24};
  torch::manual_seed(4);
  const int64_t n = 3, k = 5, h = 32, w = 24;
  const auto ys = torch::arange(h, torch::kFloat).view({h, 1}), xs = torch::arange(w, torch::kFloat).view({1, w});
  torch::Tensor maps = torch::zeros({n, k, h, w});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) {
      const double cx = 1.3 + 21.0 * torch::rand({1}).item<double>(), cy = 0.6 + 30.0 * torch::rand({1}).item<double>();
      maps[i][j] = torch::exp(-((xs - cx).pow(2) + (ys - cy).pow(2)) / (2 * 2.5 * 2.5)) * 0.8 +
                   0.02 * torch::rand({h, w});
    }
  nn::ModelOutputs out;
  out.heatmaps = {maps};
  for (int kernel : {0, 7, 9}) {
    const nn::InitialPose p = nn::initial_pose(out, info, CropGeometry::standard, /*dark=*/true, kernel);
    HeatmapDecodeOptions options;
    options.decoder = HeatmapDecoder::dark;
    options.blur_kernel = kernel > 0 ? kernel : default_blur_kernel(int(w));  // 5 at width 24
    for (int64_t i = 0; i < n; ++i) {
      const torch::Tensor one = maps[i].contiguous();
      const auto expected = decode_heatmaps(one.data_ptr<float>(), int(k), int(h), int(w), options);
      for (int64_t j = 0; j < k; ++j) {
        // Within 0.02 input pixels (0.005 map pixels): the CPU decoder blurs in float32, this in
        // float64, and the log derivatives magnify the difference.
        CHECK(std::abs(p.coords[i][j][0].item<double>() - expected[j].x * 4) < 0.02);
        CHECK(std::abs(p.coords[i][j][1].item<double>() - expected[j].y * 4) < 0.02);
      }
    }
  }
}

TEST_CASE("SemGraphConv: softmax mixing over the skeleton graph, self and neighbour weights apart") {
  Skeleton chain;
  chain.joints = {"a", "b", "c"};
  chain.edges = {{0, 1}, {1, 2}};
  const torch::Tensor adjacency = nn::skeleton_adjacency(chain);
  CHECK(adjacency.sum().item<int64_t>() == 7);
  torch::manual_seed(5);
  nn::SemGraphConv conv(4, 3, adjacency);
  {
    torch::NoGradGuard no_grad;
    conv->named_parameters()["e"].copy_(torch::tensor({0.0f, 1.0f, 2.0f, 0.5f, 0.0f, 1.0f, 3.0f}));
  }
  const torch::Tensor a = conv->mixing();
  CHECK(torch::allclose(a.sum(1), torch::ones({3})));
  CHECK(a[0][2].item<float>() == 0.0f);
  CHECK(a[0][1].item<float>() == doctest::Approx(std::exp(1.0) / (1 + std::exp(1.0))));
  // Eq. of SemGCN: out_k = a_kk·x_k·W0 + Σ_{j≠k} a_kj·x_j·W1 + b, written out.
  const torch::Tensor x = torch::randn({2, 3, 4});
  const auto p = conv->named_parameters();
  const torch::Tensor W = p["W"], b = p["bias"];
  torch::Tensor expected = torch::zeros({2, 3, 3});
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < 3; ++j)
      expected.select(1, k) += a[k][j] * torch::matmul(x.select(1, j), W[k == j ? 0 : 1]);
  expected += b;
  CHECK(torch::allclose(conv(x), expected, 1e-5, 1e-6));
}

TEST_CASE("igp: three features coarse to fine, output shapes, starts at the base's pose") {
  auto base = nn::make_model(tiny, 1);
  auto model = refined(tiny);
  auto* igp = dynamic_cast<nn::IgpGcnImpl*>(model->refiner().get());
  REQUIRE(igp);
  CHECK(igp->feature_names() == std::vector<std::string>{"layer3", "layer2", "deconv_layers"});
  CHECK(model->refiner_spec() == "igp:hidden=16,features=auto");
  model->eval();
  base->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor images = torch::randn({3, 3, 64, 64});
  const nn::ModelOutputs out = model->forward(images);
  REQUIRE(out.coord_stages.size() == 3);
  for (const auto& stage : out.coord_stages) CHECK(stage.sizes() == torch::IntArrayRef({3, 17, 2}));
  CHECK(out.coords.sizes() == torch::IntArrayRef({3, 17, 2}));
  CHECK(out.score.sizes() == torch::IntArrayRef({3, 17}));
  CHECK(out.sigma.sizes() == torch::IntArrayRef({3, 17, 2}));
  CHECK(out.heatmaps.empty());
  CHECK_FALSE(out.simcc_x.defined());
  CHECK(out.features.size() == 5);
  // The stage outputs start at zero offset: the refined model is the base model, decoded as
  // its codec (unbiased) decodes it, with DARK.
  const nn::InitialPose init =
      nn::initial_pose(base->forward(images), base->info(), CropGeometry::standard, /*dark=*/true);
  const torch::Tensor size = torch::tensor({64.0f, 64.0f});
  CHECK(torch::allclose(out.coords * size, init.coords, 1e-4, 1e-3));
  CHECK(torch::allclose(out.score, init.score));

  CHECK(test::error_of([] { refined(tiny, "igp:features=layer3+layer9+deconv_layers"); })
            .find("refiner igp: features=layer3+layer9+deconv_layers: model resnet:") == 0);
}

TEST_CASE("igp: on a SimCC base too") {
  auto model = refined(tiny_simcc);
  model->eval();
  torch::NoGradGuard no_grad;
  const nn::ModelOutputs out = model->forward(torch::randn({2, 3, 64, 64}));
  CHECK(out.coords.sizes() == torch::IntArrayRef({2, 17, 2}));
  CHECK(out.coord_stages.size() == 3);
  CHECK_FALSE(out.simcc_x.defined());
}

TEST_CASE("igp: the frozen base neither learns nor moves its BatchNorm statistics; the refiner learns") {
  auto model = refined(tiny);
  const auto before = nn::named_arrays(*model);
  model->train();
  CHECK(model->is_training());
  CHECK(model->refiner()->is_training());
  for (const auto& child : model->named_children())
    if (child.key() != "refiner") CHECK_FALSE(child.value()->is_training());
  std::vector<torch::Tensor> trainable;
  for (const auto& p : model->named_parameters()) {
    CHECK(p.value().requires_grad() == (p.key().rfind("refiner.", 0) == 0));
    if (p.value().requires_grad()) trainable.push_back(p.value());
  }
  torch::optim::Adam adam(trainable, torch::optim::AdamOptions(1e-2));
  const torch::Tensor images = torch::randn({4, 3, 64, 64});
  const nn::ModelOutputs out = model->forward(images);
  const torch::Tensor target = out.coords.detach() + 0.05;
  const torch::Tensor loss = loss::igp_l1(out.coord_stages, target, torch::ones({4, 17}), {0.3, 0.5, 1.0});
  adam.zero_grad();
  loss.backward();
  adam.step();
  const auto after = nn::named_arrays(*model);
  int refiner_changed = 0;
  for (size_t i = 0; i < before.params.size(); ++i) {
    const bool same = before.params[i].values == after.params[i].values;
    if (before.params[i].name.rfind("refiner.", 0) == 0) refiner_changed += !same;
    else CHECK_MESSAGE(same, before.params[i].name);
  }
  CHECK(refiner_changed > 0);
  for (size_t i = 0; i < before.buffers.size(); ++i)
    if (before.buffers[i].name.rfind("refiner.", 0) != 0) CHECK_MESSAGE(before.buffers[i].values == after.buffers[i].values, before.buffers[i].name);
}

TEST_CASE("igp loss: weighted stages, L1 in [-1, 1] crop units over labelled joints only") {
  const torch::Tensor target = torch::zeros({1, 2, 2});
  torch::Tensor p = torch::zeros({1, 2, 2});
  p[0][0][0] = 0.1;   // labelled: |Δx| 0.1, 0.2 in normalised units
  p[0][1][1] = 50.0;  // not labelled: ignored
  const torch::Tensor mask = torch::tensor({{1.0f, 0.0f}});
  CHECK(loss::masked_coord_l1(p, target, mask).item<double>() == doctest::Approx(0.2 / 2));
  const double stage = 0.1;
  CHECK(loss::igp_l1({p, p, p}, target, mask, {0.3, 0.5, 1.0}).item<double>() == doctest::Approx(1.8 * stage));
  CHECK(loss::igp_l1({p}, target, torch::zeros({1, 2}), {1.0}).item<double>() == 0.0);
  CHECK(test::error_of([&] { loss::igp_l1({p}, target, mask, {0.3, 0.5}); }) ==
        "igp loss: 1 stages and 2 weights: expected as many, at least one");
  CHECK(test::error_of([&] { loss::masked_coord_l1(p, torch::zeros({1, 3, 2}), mask); }) ==
        "igp loss: prediction [1, 2, 2] and target [1, 3, 2]: expected both [N,K,2]");
}

TEST_CASE("refined checkpoint: spec beside the base's, refiner.* arrays, round trip, pose-info") {
  test::ScratchDir dir("refined-ckpt");
  auto model = refined(tiny);
  model->eval();
  io::Checkpoint c = train::model_checkpoint(*model, coco(), HeatmapCodec::unbiased);
  CHECK(c.model_spec == nn::ModelSpec::parse(tiny).str());
  CHECK(c.refiner_spec == "igp:hidden=16,features=auto");
  CHECK(io::find_array(c.params, "refiner.gconv_input.gconv.W"));
  CHECK(io::find_array(c.params, "refiner.gconv_layers.2.attention.squeeze.2.weight"));
  CHECK(io::find_array(c.params, "final_layer.weight"));  // base names unchanged
  const std::string path = dir.file("refined.ckpt.h5");
  io::write_checkpoint(c, path);

  const train::LoadedModel loaded = train::load_model(path, torch::kCPU, &coco());
  REQUIRE(loaded.model->refiner());
  CHECK(loaded.model->refiner_spec() == c.refiner_spec);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 3, 64, 64});
  CHECK(torch::equal(model->forward(x).coords, loaded.model->forward(x).coords));

  const io::FileDescription d = io::describe_file(path);
  CHECK(d.refiner_spec == c.refiner_spec);
  CHECK(io::describe_text(d).find("  refiner_spec  igp:hidden=16,features=auto\n") != std::string::npos);
  CHECK(io::describe_json(d).find("\"refiner_spec\":\"igp:hidden=16,features=auto\"") != std::string::npos);

  // A run resumed or initialised from a file must have the same refiner.
  auto plain = nn::make_model(tiny);
  CHECK(test::error_of([&] { train::load_model_weights(*plain, coco(), c, path); }) ==
        path + ":/@refiner_spec: expected no refiner, found igp:hidden=16,features=auto");
  auto other = refined(tiny, "igp:hidden=8");
  CHECK(test::error_of([&] { train::load_model_weights(*other, coco(), c, path); }) ==
        path + ":/@refiner_spec: expected igp:hidden=8,features=auto, found igp:hidden=16,features=auto");

  c.refiner_spec = "igp:depth=2";
  io::write_checkpoint(c, dir.file("bad.ckpt.h5"));
  CHECK(test::error_of([&] { train::load_model(dir.file("bad.ckpt.h5"), torch::kCPU); }) ==
        dir.file("bad.ckpt.h5") +
            ":/@refiner_spec: refiner spec \"igp:depth=2\": unknown key \"depth\" for igp (accepted: hidden, features)");
}
