// pose-dump-heatmaps throughput, file size and memory, on a generated dataset (pose-synth)
// and the checkpoint of an untrained model.
//   build/bench/bench_torch_dump [images=120] [spec] [batch=16]
// Prints: the model's pure forward rate (forward + flipped forward on batches loaded
// beforehand) against the whole dump's rate (loading, inference, decoding, float16
// conversion, HDF5 writes) and their ratio (goal >= 0.9: writing never the bottleneck), and
// the same pipeline without HDF5, so the writer's own share shows;
// bytes per sample for float16, float32 and float16 + deflate; and the peak RSS of a dump
// of N and of 4N images, each in a fresh process (it must stay flat).
// Scaled to run in a few minutes on a shared 2-core CPU: 128×96 crops, ~1.5 people per image.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "posekd/data/dataset.h"
#include "posekd/data/loader.h"
#include "posekd/data/synth.h"
#include "posekd/io/checkpoint.h"
#include "posekd/train/dump.h"
#include "posekd/train/model_checkpoint.h"
#include "posekd/train/runtime.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace posekd;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string make_dataset(const fs::path& dir, int images) {
  SynthOptions o;
  o.output_dir = (dir / ("synth" + std::to_string(images))).string();
  o.images = images;
  o.split = "val";
  o.width = 320;
  o.height = 240;
  o.threads = 2;
  return run_synth(o).annotation_path;
}

train::DumpOptions dump_options(const std::string& ckpt, const std::string& data, const std::string& out, int batch) {
  train::DumpOptions o;
  o.checkpoint = ckpt;
  o.dataset = data;
  o.output = out;
  o.batch_size = batch;
  o.workers = 2;
  o.force = true;
  return o;
}

// Runs a float16 dump in a child process (fresh heap) and returns its peak RSS in MiB.
double child_peak_rss(const std::string& ckpt, const std::string& data, const std::string& out, int batch) {
  const pid_t pid = fork();
  if (pid == 0) {
    // exec, not just fork: a forked OpenMP/LibTorch runtime is not safe to use.
    execl("/proc/self/exe", "bench_torch_dump", "--child", ckpt.c_str(), data.c_str(), out.c_str(),
          std::to_string(batch).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "child dump failed (status %d)\n", status);
    std::exit(1);
  }
  return usage.ru_maxrss / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  train::set_threads(0);
  if (argc == 6 && std::string(argv[1]) == "--child") {
    train::run_dump(dump_options(argv[2], argv[3], argv[4], std::atoi(argv[5])));
    return 0;
  }
  const int images = argc > 1 ? std::atoi(argv[1]) : 120;
  const std::string spec = argc > 2 ? argv[2] : "resnet:depth=18,width=16,deconv_channels=32,input=128x96";
  const int batch = argc > 3 ? std::atoi(argv[3]) : 16;
  const fs::path dir = fs::temp_directory_path() / ("bench_torch_dump_" + std::to_string(getpid()));
  fs::create_directories(dir);

  const std::string data = make_dataset(dir, images), data4 = make_dataset(dir, 4 * images);
  auto model = nn::make_model(spec, 1);
  model->eval();
  const Skeleton& coco = *Skeleton::find_builtin("coco17");
  const std::string ckpt = (dir / "m.ckpt.h5").string();
  io::write_checkpoint(train::model_checkpoint(*model, coco, HeatmapCodec::unbiased), ckpt);
  std::printf("model %s, %d threads, batch %d\n", model->info().spec.str().c_str(), at::get_num_threads(), batch);

  // Pure forward on the same batches, loaded beforehand.
  train::DumpOptions base = dump_options(ckpt, data, (dir / "x.hm.h5").string(), batch);
  const std::vector<Instance> instances = train::dump_instances(base);
  LoaderOptions lo;
  lo.batch_size = batch;
  lo.shuffle = false;
  lo.augment = false;
  lo.padding = 1.5;
  lo.targets.input_w = model->info().input.width;
  lo.targets.input_h = model->info().input.height;
  lo.targets.heatmap_w = model->info().heatmap.width;
  lo.targets.heatmap_h = model->info().heatmap.height;
  lo.targets.heatmaps = false;
  std::vector<at::Tensor> batches;
  {
    BatchLoader loader(instances, coco, lo);
    while (auto b = loader.next()) batches.push_back(b->images);
  }
  double forward_s = 0;
  {
    torch::NoGradGuard no_grad;
    model->forward(batches.front());  // warm-up
    const auto t0 = Clock::now();
    for (const auto& images_batch : batches) {
      model->forward(images_batch);
      model->forward(images_batch.flip({3}));
    }
    forward_s = seconds_since(t0);
  }
  const double n = double(instances.size());
  std::printf("samples: %zu (%d images)\n", instances.size(), images);
  std::printf("pure forward (with flip):  %.3f s  %.1f samples/s\n", forward_s, n / forward_s);

  {
    train::DumpOptions warm = base;  // page cache, allocator and LibTorch's first calls
    train::run_dump(warm);
  }
  // The same pipeline without HDF5 (predictions only): what loading and decoding cost on
  // their own, so that the writer's share shows.
  double no_write_s = 0;
  {
    train::DumpOptions o = base;
    o.output.clear();
    o.padding = 1.5;
    o.predictions = (dir / "preds.json").string();
    const auto t0 = Clock::now();
    train::run_dump(o);
    no_write_s = seconds_since(t0);
    std::printf("no HDF5 (load+forward+decode) %.3f s  %.1f samples/s  ratio to forward %.2f\n", no_write_s,
                n / no_write_s, forward_s / no_write_s);
  }
  struct Variant {
    const char* name;
    bool float32;
    int deflate;
  };
  for (const Variant& v : {Variant{"float16", false, 0}, Variant{"float32", true, 0}, Variant{"float16+deflate4", false, 4}}) {
    train::DumpOptions o = base;
    o.float32 = v.float32;
    o.deflate = v.deflate;
    o.output = (dir / (std::string(v.name) + ".hm.h5")).string();
    const auto t0 = Clock::now();
    train::run_dump(o);
    const double s = seconds_since(t0);
    const double bytes = double(fs::file_size(o.output));
    std::printf("dump %-17s %.3f s  %.1f samples/s  ratio to forward %.2f, to no-HDF5 %.2f  %.0f bytes/sample\n", v.name,
                s, n / s, forward_s / s, no_write_s / s, bytes / n);
  }

  const double rss1 = child_peak_rss(ckpt, data, (dir / "rss1.hm.h5").string(), batch);
  const double rss4 = child_peak_rss(ckpt, data4, (dir / "rss4.hm.h5").string(), batch);
  std::printf("peak RSS: N=%d images %.1f MiB, 4N=%d images %.1f MiB (ratio %.2f)\n", images, rss1, 4 * images, rss4,
              rss4 / rss1);
  fs::remove_all(dir);
  return 0;
}
