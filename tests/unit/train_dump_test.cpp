#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "posekd/core/error.h"
#include "posekd/data/synth.h"
#include "posekd/data/transforms.h"
#include "posekd/eval/predictions.h"
#include "posekd/io/float16.h"
#include "posekd/io/heatmaps.h"
#include "posekd/train/dump.h"
#include "posekd/train/model_checkpoint.h"
#include "test_support.h"

using namespace posekd;

namespace {

struct Fixture {
  test::ScratchDir dir{"dump"};
  std::string annotations;
  Fixture() {
    SynthOptions o;
    o.output_dir = dir.file("synth");
    o.images = 4;
    o.split = "val";
    o.width = 128;
    o.height = 96;
    o.threads = 1;
    annotations = run_synth(o).annotation_path;
  }
  // An untrained model with BatchNorm statistics moved off their start values.
  std::string checkpoint(const std::string& name, const std::string& spec) {
    auto model = nn::make_model(spec, 11);
    {
      torch::NoGradGuard no_grad;
      model->forward(torch::randn({2, 3, 64, 64}));
    }
    model->eval();
    const std::string path = dir.file(name);
    io::write_checkpoint(train::model_checkpoint(*model, *Skeleton::find_builtin("coco17"), HeatmapCodec::unbiased), path);
    return path;
  }
  train::DumpOptions options(const std::string& ckpt, const std::string& output) const {
    train::DumpOptions o;
    o.checkpoint = ckpt;
    o.dataset = annotations;
    o.output = output;
    o.batch_size = 2;
    o.workers = 1;
    return o;
  }
};

const char* heatmap_spec = "resnet:depth=18,width=4,deconvs=3,deconv_channels=8,joints=17,input=64x64";

// predict() as run_dump runs it, collecting the raw outputs.
struct Reference {
  std::vector<train::InstancePrediction> predictions;
  std::vector<float> heatmaps, simcc_x, layer3;
};
Reference reference(const train::DumpOptions& o, const std::vector<std::string>& features = {}) {
  Skeleton skeleton;
  const auto instances = train::dump_instances(o, &skeleton);
  const train::LoadedModel m = train::load_model(o.checkpoint, torch::kCPU, &skeleton);
  train::PredictOptions po;
  po.batch_size = o.batch_size;
  po.padding = 1.25;
  po.flip_shift = FlipShift::exact;  // a dump that writes heatmaps: unbiased flip merge
  po.keep_outputs = true;
  po.features = features;
  Reference r;
  const auto append = [](std::vector<float>& to, const at::Tensor& t) {
    to.insert(to.end(), t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  };
  r.predictions = train::predict(*m.model, skeleton, m.codec, instances, po, [&](const train::PredictedBatch& b) {
    if (b.heatmaps.defined()) append(r.heatmaps, b.heatmaps);
    if (b.simcc_x.defined()) append(r.simcc_x, b.simcc_x);
    if (!features.empty()) append(r.layer3, b.features.at("layer3"));
  });
  return r;
}

}  // namespace

TEST_CASE("dump: read back equals the model's outputs, float32 bit for bit, float16 as rounded") {
  Fixture fx;
  const std::string ckpt = fx.checkpoint("m.ckpt.h5", heatmap_spec);
  train::DumpOptions o = fx.options(ckpt, fx.dir.file("f32.hm.h5"));
  o.float32 = true;
  o.features = {"layer3"};
  train::run_dump(o);
  const Reference ref = reference(o, o.features);

  io::HeatmapsReader f32(o.output);
  REQUIRE(f32.size() == int64_t(ref.predictions.size()));
  CHECK(f32.layout().attributes.at("padding") == "1.25");
  CHECK(f32.layout().attributes.at("flip_shift") == "exact");
  const size_t per = 17 * 16 * 16;
  for (int64_t i = 0; i < f32.size(); ++i) {
    const io::HeatmapSample s = f32.sample(i);
    const auto& p = ref.predictions[size_t(i)];
    CHECK(s.sample_id == p.sample_id);
    CHECK(s.crop == p.crop.to_float());
    CHECK(std::equal(s.heatmaps.begin(), s.heatmaps.end(), ref.heatmaps.begin() + long(i * per)));
    for (size_t j = 0; j < s.coords.size(); ++j) CHECK(s.coords[j] == float(p.keypoints[j]));
    const auto layer3 = f32.extra("features/layer3", i);
    CHECK(std::equal(layer3.begin(), layer3.end(), ref.layer3.begin() + long(i * layer3.size())));
  }

  o.float32 = false;
  o.features.clear();
  o.output = fx.dir.file("f16.hm.h5");
  train::run_dump(o);
  io::HeatmapsReader f16(o.output);
  std::vector<float> maps(per);
  for (int64_t i = 0; i < f16.size(); ++i) {
    f16.read_heatmaps(i, maps.data());
    for (size_t j = 0; j < per; ++j)
      CHECK(maps[j] == half_bits_to_float(float_to_half_bits(ref.heatmaps[size_t(i) * per + j])));
  }
}

TEST_CASE("dump: SimCC vectors stored; predictions file equals predict() through predictions_to_results") {
  Fixture fx;
  const std::string ckpt = fx.checkpoint("s.ckpt.h5", std::string(heatmap_spec) + ",head=simcc");
  train::DumpOptions o = fx.options(ckpt, fx.dir.file("s.hm.h5"));
  o.float32 = true;
  o.predictions = fx.dir.file("preds.json");
  o.results.rescore = true;
  o.results.oks_nms = 0.5;
  train::run_dump(o);
  const Reference ref = reference(o);
  io::HeatmapsReader f(o.output);
  REQUIRE(f.layout().extras.size() == 2);
  CHECK(f.layout().extras[0].path == "simcc/x");
  const auto x = f.extra("simcc/x", 1);
  CHECK(std::equal(x.begin(), x.end(), ref.simcc_x.begin() + long(x.size())));

  Skeleton skeleton;
  train::dump_instances(o, &skeleton);
  const PosePredictions direct = train::predictions_to_results(ref.predictions, skeleton, o.results);
  const Dataset gt = read_dataset(o.dataset);
  const PosePredictions read = read_predictions(o.predictions, PredictionFormat::coco_results, gt);
  REQUIRE(read.detections.size() == direct.detections.size());
  for (size_t i = 0; i < read.detections.size(); ++i) {
    CHECK(read.detections[i].image_id == direct.detections[i].image_id);
    CHECK(read.detections[i].keypoints == direct.detections[i].keypoints);
    CHECK(read.detections[i].score == direct.detections[i].score);
  }
}

TEST_CASE("dump: a padded dump pads MPII crops too (the reader's scale holds 1.25 already)") {
  Instance mpii;
  mpii.center_x = 100;
  mpii.center_y = 80;
  mpii.scale = 1.0;
  const CropParams standard = crop_from_instance(mpii, 64, 64), padded = crop_from_instance(mpii, 64, 64, 1.5);
  CHECK(standard.width == 200);
  CHECK(padded.width == doctest::Approx(240));
}

TEST_CASE("dump: shards are whole batches; bad shards and resumes are refused") {
  CHECK(train::parse_shard("1/3") == std::pair<int, int>{1, 3});
  CHECK_THROWS_WITH_AS(train::parse_shard("3/3"), "--shard: expected i/n with 0 <= i < n, found \"3/3\"", UsageError);
  CHECK_THROWS_WITH_AS(train::parse_shard("x/3"), "--shard: expected an integer, found \"x\"", UsageError);
  setenv("SLURM_ARRAY_TASK_ID", "3", 1);
  setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
  setenv("SLURM_ARRAY_TASK_MIN", "1", 1);
  CHECK(train::shard_from_slurm() == std::pair<int, int>{2, 4});
  unsetenv("SLURM_ARRAY_TASK_ID");
  CHECK_FALSE(train::shard_from_slurm());

  Fixture fx;
  const std::string ckpt = fx.checkpoint("m.ckpt.h5", heatmap_spec);
  train::DumpOptions o = fx.options(ckpt, fx.dir.file("d.hm.h5"));
  CHECK_THROWS_WITH_AS(train::run_dump(fx.options(ckpt, "")), "nothing to write: give -o FILE (heatmaps) and/or --predictions FILE",
                       UsageError);
  // A .partial of another run with other arguments is not continued.
  o.batch_size = 3;
  train::run_dump(o);
  std::filesystem::rename(o.output, o.output + ".partial");
  o.batch_size = 2;
  o.resume = true;
  CHECK_THROWS_WITH_AS(train::run_dump(o),
                       (o.output + ".partial:/@dump_config: cannot resume with different arguments: expected \" batch_size=2\", "
                                   "found \" batch_size=3\"").c_str(),
                       Error);
  o.batch_size = 3;
  train::run_dump(o);  // complete: committed without running anything again
  CHECK(std::filesystem::exists(o.output));
  CHECK_FALSE(std::filesystem::exists(o.output + ".partial"));
}
