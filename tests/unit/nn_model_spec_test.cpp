#include <doctest/doctest.h>

#include "posekd/core/error.h"
#include "posekd/nn/model_spec.h"

using namespace posekd;
using posekd::nn::ModelSpec;

TEST_CASE("model spec: canonical form lists every key and round-trips, errors name the key") {
  const auto spec = ModelSpec::parse("hourglass:stacks=4,channels=128");
  CHECK(spec.str() == "hourglass:stacks=4,channels=128,depth=4,joints=17,input=256x256,head=heatmap");
  CHECK(ModelSpec::parse(spec.str()) == spec);
  CHECK(ModelSpec::parse("resnet").str() ==
        "resnet:depth=50,width=64,deconvs=3,deconv_channels=256,joints=17,input=256x192,head=heatmap");
  CHECK(ModelSpec::parse("hrnet:width=48,input=384x288").str() ==
        "hrnet:width=48,stages=4,blocks=4,joints=17,input=384x288,head=heatmap");
  const auto simcc = ModelSpec::parse("resnet:head=simcc,split=2.0,depth=18");
  CHECK(simcc.str() ==
        "resnet:depth=18,width=64,deconvs=3,deconv_channels=256,joints=17,input=256x192,head=simcc,split=2");
  CHECK(simcc.get_real("split") == 2.0);
  const auto reg = ModelSpec::parse("resnet:head=regression");
  CHECK(reg.str() ==
        "resnet:depth=50,width=64,deconvs=3,deconv_channels=256,joints=17,input=256x192,head=regression,dim=192,"
        "layers=4,heads=8,mlp=3,patch=4x3,pos=sine-full,norm=pre");
  CHECK(ModelSpec::parse(reg.str()) == reg);
  CHECK(ModelSpec::parse("tokenpose").str() ==
        "tokenpose:stem_width=64,dim=192,layers=12,heads=8,mlp=3,patch=4x3,joints=17,input=256x192,head=heatmap");
  // Key order and spelling of values do not matter; the canonical form is the same.
  CHECK(ModelSpec::parse("hourglass:channels=0128,stacks=4") == ModelSpec::parse("hourglass:stacks=4,channels=128"));
  CHECK(ModelSpec::parse("resnet:input=128x96").input().height == 128);
  CHECK(ModelSpec::parse("resnet:input=128x96").input().width == 96);

  // Unknown keys and bad values name the key and what is accepted.
  auto message = [](const std::string& text) {
    try {
      ModelSpec::parse(text);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("resnet:depth=18,colour=red") ==
        "model spec \"resnet:depth=18,colour=red\": unknown key \"colour\" for resnet (accepted: depth, width, "
        "deconvs, deconv_channels, joints, input, head)");
  CHECK(message("resnet:depth=19") == "model spec \"resnet:depth=19\": depth=19: expected one of 18, 34, 50");
  CHECK(message("hourglass:stacks=0") ==
        "model spec \"hourglass:stacks=0\": stacks=0: expected an integer in [1, 16]");
  CHECK(message("hrnet:input=256") == "model spec \"hrnet:input=256\": input=256: expected HEIGHTxWIDTH, e.g. 256x192");
  CHECK(message("resnet:head=pose") ==
        "model spec \"resnet:head=pose\": head=pose: expected one of heatmap, simcc, regression");
  CHECK(message("tokenpose:head=simcc") == "model spec \"tokenpose:head=simcc\": head=simcc: expected one of heatmap");
  CHECK(message("resnet:split=2") ==
        "model spec \"resnet:split=2\": unknown key \"split\" for resnet (accepted: depth, width, deconvs, "
        "deconv_channels, joints, input, head)");
  CHECK(message("resnet:head=simcc,split=abc") ==
        "model spec \"resnet:head=simcc,split=abc\": split=abc: expected a number in [0.25, 16]");
  CHECK(message("vgg:depth=16") ==
        "model spec \"vgg:depth=16\": unknown model \"vgg\" (accepted: hourglass, resnet, hrnet, tokenpose)");
  CHECK(message("resnet:depth") == "model spec \"resnet:depth\": \"depth\" is not key=value");
  CHECK(message("resnet:depth=18,depth=34") == "model spec \"resnet:depth=18,depth=34\": key \"depth\" given twice");
}
