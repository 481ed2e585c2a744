#include <doctest/doctest.h>

#include "posekd/core/error.h"
#include "posekd/train/model_checkpoint.h"
#include "test_support.h"

using namespace posekd;

namespace {
const char* tiny = "resnet:depth=18,width=4,deconvs=1,deconv_channels=8,joints=17,input=32x32";
}

TEST_CASE("model checkpoint: written, read back, same outputs; describes itself") {
  test::ScratchDir dir("ckpt");
  auto model = nn::make_model(tiny, 3);
  model->forward(torch::randn({2, 3, 32, 32}));  // moves BatchNorm statistics off their start
  model->eval();
  const Skeleton& coco = *Skeleton::find_builtin("coco17");
  io::Checkpoint c = train::model_checkpoint(*model, coco, HeatmapCodec::hrnet);
  CHECK(c.model_spec == nn::ModelSpec::parse(tiny).str());
  CHECK(c.input_size == std::array<int64_t, 2>{32, 32});
  CHECK(c.head_type == "heatmap");
  CHECK(c.decoding == "hrnet");
  CHECK(*c.param_count > 0);
  const std::string path = dir.file("m.ckpt.h5");
  io::write_checkpoint(c, path);

  const train::LoadedModel loaded = train::load_model(path, torch::kCPU, &coco);
  CHECK(loaded.codec == HeatmapCodec::hrnet);
  CHECK_FALSE(loaded.model->is_training());
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({1, 3, 32, 32});
  CHECK(torch::equal(model->forward(x).final_heatmaps(), loaded.model->forward(x).final_heatmaps()));

  CHECK_THROWS_WITH(train::load_model(path, torch::kCPU, Skeleton::find_builtin("mpii16")),
                    (path + ":/skeleton: expected skeleton mpii16 (16 joints), found coco17 (17 joints)").c_str());
}

TEST_CASE("model checkpoint: a model for another joint count is refused") {
  auto model = nn::make_model("resnet:depth=18,width=4,deconvs=1,deconv_channels=8,joints=16,input=32x32");
  CHECK_THROWS_AS(train::model_checkpoint(*model, *Skeleton::find_builtin("coco17"), HeatmapCodec::unbiased), UsageError);
}
