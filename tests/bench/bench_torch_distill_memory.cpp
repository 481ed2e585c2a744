// Peak RSS of fpd distillation from a heatmaps file of several GB: the stored teacher streams
// records (one reader thread, a bounded read-ahead cache) and never reads the file whole.
//   build/bench/bench_torch_distill_memory [samples=16000] [steps=150]
// Generates in /tmp a COCO file of `samples` annotations (copies of 30 pose-synth people with
// new ids) and a float32 heatmaps file of 17x64x48 maps for them (~3.3 GB at 16000), then runs
// `steps` steps of batch 32 in a child process, once on that file and once on a file of a
// tenth of the samples; prints both peaks (goal < 1.5 GB, and flat). Deletes the files.
#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "distill_bench_support.h"
#include "posekd/data/dataset.h"
#include "posekd/io/heatmaps.h"
#include "posekd/train/runtime.h"

using namespace posekd;

namespace {

constexpr int kMapW = 48, kMapH = 64;
const char* kStudent = "resnet:depth=18,width=4,deconvs=2,deconv_channels=8,input=128x96";

// A COCO file of `count` annotations cycling over the people of `base`, ids 1..count.
std::string replicate(const Dataset& base, int64_t count, const std::string& path) {
  std::ofstream out(path);
  out << "{\"images\":[";
  for (size_t i = 0; i < base.images.size(); ++i)
    out << (i ? "," : "") << fmt::format("{{\"id\":{},\"file_name\":\"{}\",\"width\":{},\"height\":{}}}",
                                        base.images[i].id, base.images[i].path, base.images[i].width,
                                        base.images[i].height);
  out << "],\"annotations\":[";
  for (int64_t n = 0; n < count; ++n) {
    const Instance& inst = base.instances[size_t(n) % base.instances.size()];
    std::string kps;
    int labelled = 0;
    for (const auto& k : inst.keypoints) {
      kps += fmt::format("{}{},{},{}", kps.empty() ? "" : ",", k.x, k.y, int(k.v));
      labelled += k.v > 0;
    }
    out << (n ? "," : "")
        << fmt::format("{{\"id\":{},\"image_id\":{},\"category_id\":1,\"iscrowd\":0,\"area\":{},\"num_keypoints\":{},"
                       "\"bbox\":[{},{},{},{}],\"keypoints\":[{}]}}",
                       n + 1, inst.image_id, inst.area, labelled, inst.box.x, inst.box.y, inst.box.w, inst.box.h, kps);
  }
  std::string names;
  for (const auto& n : base.skeleton.joints) names += (names.empty() ? "\"" : ",\"") + n + "\"";
  out << "],\"categories\":[{\"id\":1,\"name\":\"person\",\"keypoints\":[" << names << "]}]}";
  return path;
}

// Gaussians at each person's joints in a 1.5-padded 256x192 crop, as a dump would store them.
void write_heatmaps(const Dataset& base, int64_t count, const std::string& path) {
  io::HeatmapsLayout layout;
  layout.samples = count;
  layout.joints = 17;
  layout.height = kMapH;
  layout.width = kMapW;
  layout.dtype = h5::DType::float32;
  layout.skeleton = base.skeleton;
  layout.model_spec = "synthetic";
  layout.input_size = {192, 256};
  layout.attributes["decoding"] = "unbiased";
  layout.attributes["boxes"] = "ground-truth";
  io::HeatmapsWriter writer(path, layout);
  const size_t people = base.instances.size();
  std::vector<io::HeatmapSample> samples(people);
  for (size_t p = 0; p < people; ++p) {
    const Instance& inst = base.instances[p];
    const Affine2D crop = crop_affine(crop_from_instance(inst, 192, 256, 1.5), 192, 256, CropGeometry::standard);
    const Affine2D to_map = CropFrame{crop, 192, 256, kMapW, kMapH, CropGeometry::standard}.image_to_heatmap();
    auto& s = samples[p];
    s.crop = crop.to_float();
    s.heatmaps.assign(size_t(17 * kMapH * kMapW), 0.f);
    s.coords.assign(17 * 3, 0.f);
    for (int k = 0; k < 17; ++k) {
      const Point2 c = to_map.apply({inst.keypoints[size_t(k)].x, inst.keypoints[size_t(k)].y});
      s.coords[size_t(3 * k)] = float(inst.keypoints[size_t(k)].x);
      s.coords[size_t(3 * k + 1)] = float(inst.keypoints[size_t(k)].y);
      s.coords[size_t(3 * k + 2)] = 0.8f;
      for (int y = 0; y < kMapH; ++y)
        for (int x = 0; x < kMapW; ++x)
          s.heatmaps[size_t((k * kMapH + y) * kMapW + x)] =
              float(std::exp(-((x - c.x) * (x - c.x) + (y - c.y) * (y - c.y)) / 8.0));
    }
  }
  for (int64_t n = 0; n < count; ++n) {
    auto& s = samples[size_t(n) % people];
    s.sample_id = n + 1;
    s.image_id = base.instances[size_t(n) % people].image_id;
    writer.write(n, s);
    if ((n + 1) % 1024 == 0 || n + 1 == count) writer.mark_done(n - (n % 1024), n % 1024 + 1);
  }
  writer.commit();
}

int child(const std::string& annotations, const std::string& heatmaps, int steps, const std::string& out) {
  train::DistillOptions o;
  o.train = bench::train_options(annotations, kStudent, 1, out);
  o.train.batch_size = 32;
  o.train.stop_after = steps;
  o.method = "fpd";
  o.teacher.heatmaps = heatmaps;
  auto objective = train::distill_method("fpd").make(o, torch::kCPU);
  try {
    train::run_train(o.train, *objective);
  } catch (const Interrupted&) {
    // --stop-after: the expected end of the measured steps.
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  train::set_threads(0);
  if (argc == 6 && std::string(argv[1]) == "--child") return child(argv[2], argv[3], std::atoi(argv[4]), argv[5]);
  const int64_t samples = argc > 1 ? std::atoll(argv[1]) : 16000;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 150;
  bench::Scratch s("bench_torch_distill_memory");
  SynthOptions so;
  so.output_dir = s.file("base");
  so.images = 20;
  so.width = 256;
  so.height = 192;
  so.threads = 2;
  const std::string base_json = run_synth(so).annotation_path;
  ReadOptions ro;
  ro.purpose = Purpose::training;
  const Dataset base = read_dataset(base_json, ro);
  std::vector<std::pair<int64_t, double>> peaks;
  for (const int64_t count : {samples / 10, samples}) {
    const std::string json = replicate(base, count, s.file(fmt::format("train{}.json", count)));
    const std::string hm = s.file(fmt::format("teacher{}.hm.h5", count));
    const auto t0 = bench::Clock::now();
    write_heatmaps(base, count, hm);
    const double gb = double(std::filesystem::file_size(hm)) / 1e9;
    std::printf("%lld samples: heatmaps file %.2f GB written in %.0f s\n", static_cast<long long>(count), gb,
                bench::seconds_since(t0));
    const auto t1 = bench::Clock::now();
    const double mib = bench::child_peak_rss_mib(
        {"bench_torch_distill_memory", "--child", json, hm, std::to_string(steps), s.file("student.ckpt.h5")});
    std::printf("  %d steps of 32 in %.0f s: peak RSS %.0f MiB\n", steps, bench::seconds_since(t1), mib);
    peaks.emplace_back(count, mib);
    std::filesystem::remove(hm);
  }
  std::printf("peak RSS %.0f MiB at %lld samples vs %.0f MiB at %lld (x%.2f for 10x the file); goal < 1536 MiB\n",
              peaks[1].second, static_cast<long long>(peaks[1].first), peaks[0].second,
              static_cast<long long>(peaks[0].first), peaks[1].second / peaks[0].second);
  return 0;
}
