#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <utility>

#include "posekd/core/error.h"
#include "posekd/nn/complexity.h"
#include "posekd/nn/model.h"
#include "posekd/nn/token_transformer.h"

using namespace posekd;
using namespace posekd::nn;

namespace {

std::vector<int64_t> sizes(const torch::Tensor& t) { return t.sizes().vec(); }

std::set<std::string> parameter_names(const torch::nn::Module& m) {
  std::set<std::string> names;
  for (const auto& p : m.named_parameters()) names.insert(p.key());
  for (const auto& b : m.named_buffers()) names.insert(b.key());
  return names;
}

ModelOutputs run(const PoseModel& model, int batch = 2) {
  torch::NoGradGuard no_grad;
  const auto& in = model->info().input;
  return model->forward(torch::randn({batch, 3, in.height, in.width}));
}

void check_features(const ModelOutputs& out) {
  REQUIRE(out.features.size() >= 3);
  for (size_t i = 1; i < out.features.size(); ++i) {
    const auto& lo = out.features[i - 1].value;
    const auto& hi = out.features[i].value;
    CHECK_MESSAGE(lo.size(2) * lo.size(3) <= hi.size(2) * hi.size(3), out.features[i].name);
  }
}

}  // namespace

TEST_CASE("hourglass: one heatmap per stack, remapped stacks, princeton-vl names") {
  auto model = make_model("hourglass:stacks=2,channels=16,depth=2,joints=5,input=64x48");
  CHECK(model->info().heatmap.height == 16);
  CHECK(model->info().heatmap.width == 12);
  CHECK(model->info().stacks == 2);
  const auto out = run(model);
  REQUIRE(out.heatmaps.size() == 2);
  for (const auto& h : out.heatmaps) CHECK(sizes(h) == std::vector<int64_t>{2, 5, 16, 12});
  check_features(out);
  CHECK(out.features.front().value.size(2) == 4);  // innermost level: 16 / 2^2
  const auto names = parameter_names(*model);
  for (const char* n : {"pre.0.conv.weight", "pre.0.bn.running_mean", "pre.1.skip_layer.conv.weight",
                        "hgs.0.0.up1.conv1.conv.weight", "hgs.1.0.low2.low2.bn3.weight", "hgs.0.0.low3.conv3.conv.bias",
                        "features.1.1.conv.weight", "outs.1.conv.weight", "merge_features.0.conv.conv.weight",
                        "merge_preds.0.conv.conv.bias"})
    CHECK_MESSAGE(names.count(n), n);
  CHECK_FALSE(names.count("merge_preds.1.conv.conv.bias"));  // no remapping after the last stack
  CHECK_FALSE(names.count("hgs.0.0.up1.skip_layer.conv.weight"));
  CHECK_THROWS_WITH_AS(make_model("hourglass:depth=4,input=128x96"),
                       "model spec \"hourglass:stacks=8,channels=256,depth=4,joints=17,input=128x96,head=heatmap\": "
                       "input=128x96: an hourglass of depth=4 needs sides divisible by 64",
                       UsageError);
}

TEST_CASE("simple baseline: ResNet-18/50 with deconvolution head, torchvision names") {
  auto model = make_model("resnet:depth=18,width=8,deconvs=2,deconv_channels=16,joints=3,input=64x64");
  CHECK(model->info().heatmap.height == 8);
  const auto out = run(model);
  REQUIRE(out.heatmaps.size() == 1);
  CHECK(sizes(out.final_heatmaps()) == std::vector<int64_t>{2, 3, 8, 8});
  check_features(out);
  CHECK(sizes(out.feature("layer4")) == std::vector<int64_t>{2, 64, 2, 2});
  const auto names = parameter_names(*model);
  for (const char* n : {"conv1.weight", "bn1.running_var", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                        "layer2.0.downsample.1.num_batches_tracked", "layer4.1.bn2.bias", "deconv_layers.0.weight",
                        "deconv_layers.4.running_mean", "final_layer.weight", "final_layer.bias"})
    CHECK_MESSAGE(names.count(n), n);
  CHECK_FALSE(names.count("layer1.0.downsample.0.weight"));

  auto r50 = make_model("resnet:depth=50,width=4,deconvs=1,deconv_channels=8,joints=2,input=32x32");
  CHECK(sizes(run(r50).final_heatmaps()) == std::vector<int64_t>{2, 2, 2, 2});
  const auto names50 = parameter_names(*r50);
  CHECK(names50.count("layer1.0.conv3.weight"));
  CHECK(names50.count("layer1.0.downsample.0.weight"));  // 4 → 16 channels
  CHECK(names50.count("layer3.5.bn3.weight"));

  // The input size is checked.
  auto small = make_model("resnet:depth=18,width=4,joints=3,input=64x32");
  CHECK_THROWS_WITH_AS(small->forward(torch::zeros({1, 3, 64, 48})),
                       "resnet:depth=18,width=4,deconvs=3,deconv_channels=256,joints=3,input=64x32,head=heatmap: input "
                       "images: expected [N,3,64,32], found [1,3,64,48]",
                       Error);
}

TEST_CASE("hrnet: stages, transitions with empty slots and fuse layers named as pose_hrnet") {
  auto model = make_model("hrnet:width=4,blocks=1,joints=3,input=64x32");
  CHECK(model->info().heatmap.height == 16);
  const auto out = run(model);
  CHECK(sizes(out.final_heatmaps()) == std::vector<int64_t>{2, 3, 16, 8});
  check_features(out);
  CHECK(out.features.size() == 5);
  CHECK(out.features.front().name == "stage4.input3");
  CHECK(sizes(out.features.front().value) == std::vector<int64_t>{2, 32, 2, 1});
  const auto names = parameter_names(*model);
  for (const char* n : {"conv1.weight", "bn2.weight", "layer1.0.downsample.0.weight", "transition1.0.0.weight",
                        "transition1.1.0.0.weight", "transition2.2.0.0.weight", "transition3.3.0.1.running_mean",
                        "stage2.0.branches.1.0.conv1.weight", "stage2.0.fuse_layers.0.1.0.weight",
                        "stage2.0.fuse_layers.1.0.0.0.weight", "stage3.3.fuse_layers.2.0.1.0.weight",
                        "stage4.2.branches.3.0.bn2.weight", "stage4.2.fuse_layers.0.3.1.weight", "final_layer.weight"})
    CHECK_MESSAGE(names.count(n), n);
  CHECK_FALSE(names.count("transition2.0.0.weight"));         // None in pose_hrnet
  CHECK_FALSE(names.count("stage4.2.fuse_layers.1.0.0.0.weight"));  // last module: one output
  CHECK_FALSE(names.count("stage3.3.fuse_layers.0.0.0.weight"));    // i == j: None

  auto two = make_model("hrnet:width=4,stages=2,blocks=1,joints=3,input=32x32");
  CHECK(run(two).features.size() == 3);
}

TEST_CASE("heads: SimCC bins and regression with keypoint tokens on every backbone") {
  for (const std::string backbone : {"resnet:depth=18,width=4,deconvs=3,deconv_channels=8",
                                     "hrnet:width=4,stages=2,blocks=1", "hourglass:stacks=1,channels=8,depth=1"}) {
    CAPTURE(backbone);
    auto simcc = make_model(backbone + ",joints=3,input=64x32,head=simcc,split=2");
    const auto s = run(simcc);
    CHECK(sizes(s.simcc_x) == std::vector<int64_t>{2, 3, 64});
    CHECK(sizes(s.simcc_y) == std::vector<int64_t>{2, 3, 128});
    CHECK(parameter_names(*simcc).count("mlp_head_x.weight"));
    CHECK(simcc->parameters().size() > 0);

    auto reg = make_model(backbone + ",joints=3,input=64x32,head=regression,dim=16,layers=1,heads=2,patch=4x2");
    const auto r = run(reg);
    CHECK(sizes(r.coords) == std::vector<int64_t>{2, 3, 2});
    CHECK(sizes(r.sigma) == std::vector<int64_t>{2, 3, 2});
    CHECK(sizes(r.score) == std::vector<int64_t>{2, 3});
    CHECK(sizes(r.keypoint_tokens) == std::vector<int64_t>{2, 3, 16});
    CHECK(sizes(r.visual_tokens) == std::vector<int64_t>{2, 16, 16});  // (16/4)·(8/2) patches
    CHECK(r.coords.min().item<float>() >= 0);
    CHECK(r.coords.max().item<float>() <= 1);
    const auto names = parameter_names(*reg);
    for (const char* n : {"transformer.keypoint_token", "transformer.pos_embedding",
                          "transformer.patch_to_embedding.weight",
                          "transformer.encoder.layers.0.self_attn.in_proj_weight",
                          "transformer.encoder.layers.0.linear2.bias", "transformer.mlp_head.1.weight"})
      CHECK_MESSAGE(names.count(n), n);
  }
  CHECK_THROWS_WITH_AS(make_model("resnet:depth=18,width=4,input=64x32,head=regression,patch=3x3"),
                       "patch=3x3: must divide the 16x8 feature map the transformer reads", UsageError);
}

TEST_CASE("regression head: DistilPose's fixed sine table, added before every layer, unless pos=learnable") {
  // rows 2, cols 3, dim 8: channels 0-3 the row, 4-7 the column; temperatures 1, 1, 100, 100.
  const auto table = sine_position_embedding(2, 3, 8);
  REQUIRE(sizes(table) == std::vector<int64_t>{1, 6, 8});
  const double pi = 3.141592653589793;
  const auto at = [&](int patch, int channel) { return double(table[0][patch][channel].item<float>()); };
  const int row1_col2 = 1 * 3 + 2;  // row-major patch order
  CHECK(at(row1_col2, 0) == doctest::Approx(std::sin(2 * pi)).epsilon(1e-6));
  CHECK(at(row1_col2, 1) == doctest::Approx(std::cos(2 * pi)));
  CHECK(at(row1_col2, 2) == doctest::Approx(std::sin(2 * pi / 100)));
  CHECK(at(row1_col2, 3) == doctest::Approx(std::cos(2 * pi / 100)));
  CHECK(at(1, 4) == doctest::Approx(std::sin(2 * pi * 2 / 3)));  // row 0, column 1
  CHECK(at(1, 5) == doctest::Approx(std::cos(2 * pi * 2 / 3)));
  CHECK(at(1, 7) == doctest::Approx(std::cos(2 * pi * 2 / 3 / 100)));
  CHECK(at(0, 0) == doctest::Approx(std::sin(pi)).epsilon(1e-6));  // row 0: (0+1)/2·2π
  CHECK_THROWS_WITH_AS(sine_position_embedding(2, 3, 6), "dim=6: the sine position embedding needs a multiple of 4",
                       UsageError);

  // The default regression head carries position from its first step: a fixed buffer, not a
  // parameter initialised at N(0, 0.02) (the quick regression student did not learn with one).
  const std::string spec = "resnet:depth=18,width=4,joints=3,input=64x32,head=regression,dim=16,heads=2,patch=4x2";
  auto sine = make_model(spec);
  std::set<std::string> trained;
  for (const auto& p : sine->named_parameters()) trained.insert(p.key());
  CHECK_FALSE(trained.count("transformer.pos_embedding"));
  const auto buffer = sine->named_buffers()["transformer.pos_embedding"];
  CHECK(torch::equal(buffer, sine_position_embedding(4, 4, 16)));
  auto learnable = make_model(spec + ",pos=learnable");
  CHECK(learnable->named_parameters().contains("transformer.pos_embedding"));
  // σ starts near softplus(0) = 0.69 heatmap pixels (DistilPose), not at half the map as a
  // sigmoid fraction of the input did (8 and 4 pixels on this 16x8 map).
  {
    torch::NoGradGuard no_grad;
    sine->eval();
    const auto sigma = sine->forward(torch::randn({2, 3, 64, 32})).sigma;
    const auto sigma_px = sigma * torch::tensor({8.0f, 16.0f});
    CHECK(sigma_px.min().item<float>() > 0.2f);
    CHECK(sigma_px.max().item<float>() < 2.0f);
  }
  // The deconvolutions under a regression head start Kaiming (fan_out: std sqrt(2 / (in·16)),
  // in = 32 channels of ResNet-18 width 4's layer4), not at pose_resnet's N(0, 0.001), which
  // left the quick regression student at the mean pose.
  const std::pair<std::string, double> deconv_inits[] = {{",head=regression,patch=4x2", std::sqrt(2.0 / (32 * 16))},
                                                          {",head=heatmap", 0.001}};
  for (const auto& [head, expected_std] : deconv_inits) {
    CAPTURE(head);
    auto m = make_model("resnet:depth=18,width=4,joints=3,input=64x32" + head);
    const auto w = m->named_parameters()["deconv_layers.0.weight"];
    CHECK(w.std().item<double>() == doctest::Approx(expected_std).epsilon(0.1));
  }
  // A pos=learnable twin holding the sine table as its learned one adds it once, before the
  // first layer: with one layer both agree, with two the sine head differs (added again).
  const auto images = torch::randn({2, 3, 64, 32});
  for (int layers : {1, 2}) {
    CAPTURE(layers);
    const std::string s = spec + ",layers=" + std::to_string(layers);
    auto every = make_model(s), once = make_model(s + ",pos=learnable");
    torch::NoGradGuard no_grad;
    auto target_params = once->named_parameters();
    auto target_buffers = once->named_buffers();
    for (const auto& p : every->named_parameters()) target_params[p.key()].copy_(p.value());
    for (const auto& b : every->named_buffers())
      (b.key() == "transformer.pos_embedding" ? target_params : target_buffers)[b.key()].copy_(b.value());
    every->eval();
    once->eval();
    const float gap = (every->forward(images).coords - once->forward(images).coords).abs().max().item<float>();
    if (layers == 1)
      CHECK(gap < 1e-6f);
    else
      CHECK(gap > 1e-4f);
  }
}

TEST_CASE("tokenpose: heatmaps from keypoint tokens, both token sets exposed") {
  auto model = make_model("tokenpose:stem_width=4,dim=16,layers=1,heads=2,joints=3,input=32x24");
  const auto out = run(model);
  CHECK(sizes(out.final_heatmaps()) == std::vector<int64_t>{2, 3, 8, 6});
  CHECK(sizes(out.keypoint_tokens) == std::vector<int64_t>{2, 3, 16});
  CHECK(sizes(out.visual_tokens) == std::vector<int64_t>{2, 4, 16});
  check_features(out);
}


TEST_CASE("models: the same seed builds the same weights") {
  const std::string spec = "hrnet:width=4,stages=2,blocks=1,joints=3,input=32x32";
  auto a = make_model(spec, 7), b = make_model(spec, 7), c = make_model(spec, 8);
  auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
  bool all_equal = true, any_differs = false;
  for (size_t i = 0; i < pa.size(); ++i) {
    all_equal = all_equal && torch::equal(pa[i], pb[i]);
    any_differs = any_differs || !torch::equal(pa[i], pc[i]);
  }
  CHECK(all_equal);
  CHECK(any_differs);
}

TEST_CASE("complexity: parameters and multiply-accumulates equal the hand count of a tiny SimpleBaseline") {
  // ResNet-18 at width 2, one deconvolution to 4 channels, 3 joints:
  //   conv1 3·2·49 = 294, bn1 4; layer1 2 × (2·36 + 2·4) = 160;
  //   layer2 (72 + 144 + 16 + 8 + 8) + (2·144 + 16) = 552;
  //   layer3 (288 + 576 + 32 + 32 + 16) + (2·576 + 32) = 2128;
  //   layer4 (1152 + 2304 + 64 + 128 + 32) + (2·2304 + 64) = 8352;
  //   deconv 16·4·16 + bn 8 = 1032; final_layer 4·3 + 3 = 15.   Total 12537.
  auto model = make_model("resnet:depth=18,width=2,deconvs=1,deconv_channels=4,joints=3,input=32x32");
  CHECK(count_parameters(*model) == 12537);

  // Input 32×32, ResNet-18 width 2 → sizes 16 (conv1), 8 (layer1), 4, 2, 1; one deconv to 2×2.
  //   conv1 16²·2·147 = 75264
  //   layer1 4 convs of 8²·2·18 = 9216
  //   layer2 4²·4·(18 + 36 + 2 (downsample) + 36 + 36) = 8192
  //   layer3 2²·8·(36 + 72 + 4 + 72 + 72) = 8192
  //   layer4 1·16·(72 + 144 + 8 + 144 + 144) = 8192
  //   deconv per input position: 1·16 · 4·16 = 1024; final_layer 2²·3·4 = 48.   Total 110128.
  const auto c = measure_complexity(*model);
  CHECK(c.macs == 110128);
  CHECK(model->is_training());
}

TEST_CASE("complexity: paper configurations have the official implementations' parameter counts") {
  // sum(p.numel() for p in model.parameters()) of the official pose_hrnet.py (W32 COCO
  // config; W48 gives 63,595,745 in both) and pose_resnet.py (ResNet-50, 3×256 deconvolutions), 17 joints.
  CHECK(count_parameters(*make_model("hrnet:width=32")) == 28536113);
  CHECK(count_parameters(*make_model("resnet:depth=50")) == 33999697);
}

TEST_CASE("complexity: attention is counted (one encoder layer's multiply-accumulates by hand)") {
  // 3 keypoint + 16 visual tokens (S = 19), D = 16, 2 heads, feed-forward 3·D:
  //   in-projection S·D·3D, QKᵀ and AV 2·S²·D, out-projection S·D², feed-forward 2·S·D·3D
  //   = 19·16·(48 + 16 + 96) + 2·361·16 = 60192.
  const std::string base = "resnet:depth=18,width=4,joints=3,input=64x32,head=regression,dim=16,heads=2,patch=4x2";
  const auto one = measure_complexity(*make_model(base + ",layers=1"));
  const auto two = measure_complexity(*make_model(base + ",layers=2"));
  CHECK(two.macs - one.macs == 60192);
}

TEST_CASE("models: the canonical spec rebuilds the same architecture") {
  for (const char* text : {"hourglass:stacks=2,channels=8,depth=2,input=64x48", "resnet:depth=34,width=4",
                           "hrnet:width=4,stages=3,blocks=1", "tokenpose:stem_width=4,dim=8,layers=1,heads=2",
                           "resnet:depth=18,width=4,head=simcc,split=1.5"}) {
    CAPTURE(text);
    const auto spec = ModelSpec::parse(text);
    const auto again = ModelSpec::parse(spec.str());
    CHECK(again.str() == spec.str());
    auto a = make_model(spec), b = make_model(again);
    CHECK(b->info().spec == a->info().spec);
    const auto pa = a->named_parameters(), pb = b->named_parameters();
    REQUIRE(pa.size() == pb.size());
    for (size_t i = 0; i < pa.size(); ++i) {
      CHECK(pa[i].key() == pb[i].key());
      CHECK(pa[i].value().sizes() == pb[i].value().sizes());
    }
  }
}
