// pose-dump-heatmaps (train::run_dump) on a refined checkpoint (pose-refine-gcn's output): the
// stored /coords are the refined model's predictions, not the base's, and /heatmaps are
// rendered at the refined joints.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "posekd/data/synth.h"
#include "posekd/io/heatmaps.h"
#include "posekd/nn/igp_gcn.h"
#include "posekd/nn/refiner.h"
#include "posekd/train/dump.h"
#include "posekd/train/model_checkpoint.h"
#include "test_support.h"

using namespace posekd;

TEST_CASE("dump of a refined checkpoint: refined /coords, maps rendered at them, flip test through the refiner") {
  test::ScratchDir dir("refined-dump");
  SynthOptions so;
  so.output_dir = dir.file("synth");
  so.images = 3;
  so.split = "val";
  so.width = 128;
  so.height = 96;
  so.threads = 1;
  const std::string annotations = run_synth(so).annotation_path;
  const Skeleton& coco = *Skeleton::find_builtin("coco17");

  const char* spec = "resnet:depth=18,width=4,deconvs=3,deconv_channels=8,joints=17,input=64x64";
  auto model = nn::make_model(spec, 4);
  model->eval();
  const std::string base_path = dir.file("base.ckpt.h5");
  io::write_checkpoint(train::model_checkpoint(*model, coco, HeatmapCodec::unbiased), base_path);
  nn::attach_refiner(*model, nn::ModelSpec::parse_refiner("igp:hidden=8"), coco, HeatmapCodec::unbiased);
  {
    // Offsets away from zero, so the refined joints differ from the base's.
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters())
      if (p.key().rfind("refiner.gconv_output.", 0) == 0) p.value().normal_(0, 0.05);
  }
  const std::string refined_path = dir.file("refined.ckpt.h5");
  io::write_checkpoint(train::model_checkpoint(*model, coco, HeatmapCodec::unbiased), refined_path);

  const auto dump = [&](const std::string& ckpt, const std::string& out) {
    train::DumpOptions o;
    o.checkpoint = ckpt;
    o.dataset = annotations;
    o.output = out;
    o.batch_size = 2;
    o.workers = 1;
    o.float32 = true;
    train::run_dump(o);
    return io::HeatmapsReader(out);
  };
  const io::HeatmapsReader base = dump(base_path, dir.file("base.hm.h5"));
  const io::HeatmapsReader refined = dump(refined_path, dir.file("refined.hm.h5"));
  CHECK(refined.layout().model_spec == base.layout().model_spec);

  // The refined model as load_model builds it, through predict() with the dump's settings.
  Skeleton skeleton;
  train::DumpOptions o;
  o.dataset = annotations;
  const auto instances = train::dump_instances(o, &skeleton);
  const train::LoadedModel loaded = train::load_model(refined_path, torch::kCPU, &coco);
  train::PredictOptions po;
  po.batch_size = 2;
  po.padding = 1.25;
  po.flip_shift = FlipShift::exact;  // what a dump that writes heatmaps uses
  const auto predictions = train::predict(*loaded.model, skeleton, loaded.codec, instances, po);
  REQUIRE(refined.size() == int64_t(predictions.size()));
  double moved = 0;
  const int K = 17, h = 16, w = 16;
  std::vector<float> maps(size_t(K) * h * w);
  for (int64_t i = 0; i < refined.size(); ++i) {
    const io::HeatmapSample r = refined.sample(i), b = base.sample(i);
    for (size_t j = 0; j < r.coords.size(); ++j) CHECK(r.coords[j] == float(predictions[size_t(i)].keypoints[j]));
    for (int k = 0; k < K; ++k)
      moved += std::abs(r.coords[3 * k] - b.coords[3 * k]) + std::abs(r.coords[3 * k + 1] - b.coords[3 * k + 1]);
    // Each rendered map peaks at the refined joint taken into the map, at most the score.
    refined.read_heatmaps(i, maps.data());
    const Affine2D to_map = CropFrame{Affine2D::from(r.crop.data()), 64, 64, w, h, CropGeometry::standard}.image_to_heatmap();
    for (int k = 0; k < K; ++k) {
      const float* m = maps.data() + size_t(k) * h * w;
      const int peak = int(std::max_element(m, m + h * w) - m);
      const Point2 at = to_map.apply({r.coords[3 * k], r.coords[3 * k + 1]});
      if (at.x < 0 || at.y < 0 || at.x > w - 1 || at.y > h - 1) continue;
      CHECK(std::abs(peak % w - at.x) <= 0.5 + 1e-3);
      CHECK(std::abs(peak / w - at.y) <= 0.5 + 1e-3);
      CHECK(m[peak] <= std::max(r.coords[3 * k + 2], 0.0f) + 1e-5);
    }
  }
  CHECK(moved > 1.0);
}
