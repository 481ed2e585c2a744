#include <doctest/doctest.h>

#include "posekd/core/error.h"
#include "posekd/nn/model.h"
#include "posekd/nn/state_arrays.h"

using namespace posekd;
using namespace posekd::nn;

namespace {

const char* tiny = "resnet:depth=18,width=4,deconvs=1,deconv_channels=8,joints=3,input=32x32";

std::string load_error(torch::nn::Module& m, const ModuleArrays& arrays) {
  try {
    load_named_arrays(m, arrays, "ckpt.h5");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

NamedArray* find(std::vector<NamedArray>& arrays, const std::string& name) {
  for (auto& a : arrays)
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace

TEST_CASE("named arrays: parameters and buffers by state_dict name, round trip reproduces outputs exactly") {
  auto a = make_model(tiny, 1);
  // Train-mode forwards move the BatchNorm statistics away from their initial values, so the
  // buffers matter for the comparison in eval mode.
  a->forward(torch::randn({4, 3, 32, 32}));
  a->eval();
  auto arrays = named_arrays(*a);
  REQUIRE(find(arrays.params, "layer1.0.conv1.weight"));
  CHECK(find(arrays.params, "layer1.0.conv1.weight")->shape == std::vector<int64_t>{4, 4, 3, 3});
  CHECK_FALSE(find(arrays.buffers, "layer1.0.conv1.weight"));
  REQUIRE(find(arrays.buffers, "bn1.running_mean"));
  CHECK_FALSE(find(arrays.params, "bn1.running_mean"));
  CHECK(find(arrays.buffers, "bn1.num_batches_tracked")->values == std::vector<float>{1});
  CHECK(find(arrays.params, "final_layer.bias")->shape == std::vector<int64_t>{3});

  auto b = make_model(tiny, 2);
  b->eval();
  auto x = torch::randn({2, 3, 32, 32});
  torch::NoGradGuard no_grad;
  CHECK_FALSE(torch::equal(a->forward(x).final_heatmaps(), b->forward(x).final_heatmaps()));
  load_named_arrays(*b, arrays, "ckpt.h5");
  CHECK(torch::equal(a->forward(x).final_heatmaps(), b->forward(x).final_heatmaps()));
}

TEST_CASE("named arrays: missing, extra and mis-shaped names are refused with file, place, expected, found") {
  auto model = make_model(tiny);
  const auto good = named_arrays(*model);

  auto shaped = good;
  auto* w = find(shaped.params, "layer1.0.conv1.weight");
  w->shape = {2, 4, 3, 3};
  w->values.resize(72);
  CHECK(load_error(*model, shaped) == "ckpt.h5:/params/layer1.0.conv1.weight: expected [4,4,3,3], found [2,4,3,3]");

  auto missing_final = good;
  missing_final.params.erase(std::remove_if(missing_final.params.begin(), missing_final.params.end(),
                                            [](const NamedArray& a) { return a.name == "final_layer.weight"; }),
                             missing_final.params.end());
  CHECK(load_error(*model, missing_final) == "ckpt.h5:/params/final_layer.weight: missing (the model has it)");

  auto extra = good;
  extra.params.push_back({"head.weight", {1}, {0.f}});
  CHECK(load_error(*model, extra) == "ckpt.h5:/params/head.weight: not a parameter of the model");

  auto wrong_role = good;
  wrong_role.params.push_back(*find(wrong_role.buffers, "bn1.running_var"));
  CHECK(load_error(*model, wrong_role) == "ckpt.h5:/params/bn1.running_var: not a parameter of the model");

  auto short_data = good;
  find(short_data.params, "final_layer.bias")->values.pop_back();
  CHECK(load_error(*model, short_data) == "ckpt.h5:/params/final_layer.bias: expected 3 values, found 2");
}
