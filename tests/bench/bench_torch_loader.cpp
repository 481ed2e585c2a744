// Batch loader throughput from real JPEGs, and whether it keeps a small model fed.
//   build/bench/bench_torch_loader [images=300] [batch=32] [jpeg-dir]
// With a directory, its *.jpg files (e.g. ../shared/realdata/coco) are used round-robin in
// place of generated ones, so decoding costs what real photos cost.
// Prints crops/s (and per worker core) at 256×192 and 128×96 with 1 and 2 workers, the
// forward+backward time of a tiny conv net on the same batch, and the loader/model ratio;
// then trains that net from the 2-worker loader and reports the time spent waiting for data.
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "posekd/core/skeleton.h"
#include "posekd/data/loader.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<posekd::Instance> make_images(const fs::path& dir, int count, const std::string& real_dir) {
  cv::RNG rng(2024);
  std::vector<posekd::Instance> out;
  if (!real_dir.empty()) {
    std::vector<std::pair<std::string, cv::Size>> files;
    for (const auto& e : fs::directory_iterator(real_dir))
      if (e.path().extension() == ".jpg") files.push_back({e.path().string(), cv::imread(e.path().string()).size()});
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (int i = 0; i < count && !files.empty(); ++i) {
      const auto& [path, size] = files[size_t(i) % files.size()];
      posekd::Instance inst;
      inst.image_path = path;
      inst.sample_id = i;
      const double w = rng.uniform(0.15, 0.5) * size.width, h = rng.uniform(0.3, 0.9) * size.height;
      inst.box = {rng.uniform(0.0, size.width - w), rng.uniform(0.0, size.height - h), w, h};
      for (int j = 0; j < 17; ++j)
        inst.keypoints.push_back({float(inst.box.x + rng.uniform(0.0, w)), float(inst.box.y + rng.uniform(0.0, h)), 2});
      out.push_back(inst);
    }
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cv::Mat img(480, 640, CV_8UC3);
    // Blurred noise: JPEGs of ~100 KB, the size of a typical COCO photo (pure noise would make
    // Huffman decoding, not the loader, the figure).
    rng.fill(img, cv::RNG::NORMAL, 128, 40);
    cv::GaussianBlur(img, img, cv::Size(5, 5), 1.2);
    for (int s = 0; s < 8; ++s) {
      const cv::Scalar colour(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255));
      if (s % 2)
        cv::circle(img, {rng.uniform(0, 640), rng.uniform(0, 480)}, rng.uniform(10, 80), colour, -1);
      else
        cv::rectangle(img, cv::Rect(rng.uniform(0, 560), rng.uniform(0, 400), rng.uniform(20, 200), rng.uniform(20, 200)),
                      colour, -1);
    }
    const std::string path = (dir / ("img" + std::to_string(i) + ".jpg")).string();
    cv::imwrite(path, img);
    posekd::Instance inst;
    inst.image_path = path;
    inst.image_id = i;
    inst.sample_id = i;
    const double w = rng.uniform(80, 260), h = rng.uniform(160, 420);
    inst.box = {rng.uniform(0.0, 640 - w), rng.uniform(0.0, 480 - h), w, h};
    for (int j = 0; j < 17; ++j)
      inst.keypoints.push_back({float(inst.box.x + rng.uniform(0.0, w)), float(inst.box.y + rng.uniform(0.0, h)), 2});
    out.push_back(inst);
  }
  return out;
}

struct TinyNetImpl : torch::nn::Module {
  torch::nn::Conv2d c1{nullptr}, c2{nullptr}, c3{nullptr}, head{nullptr};
  TinyNetImpl() {
    c1 = register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 32, 3).stride(2).padding(1)));
    c2 = register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).stride(2).padding(1)));
    c3 = register_module("c3", torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 64, 3).padding(1)));
    head = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 17, 1)));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(c1->forward(x));
    x = torch::relu(c2->forward(x));
    x = torch::relu(c3->forward(x));
    return head->forward(x);
  }
};
TORCH_MODULE(TinyNet);

posekd::LoaderOptions options(int input_w, int input_h, int workers, int batch) {
  posekd::LoaderOptions o;
  o.batch_size = batch;
  o.workers = workers;
  o.prefetch = 4;
  o.seed = 1;
  o.drop_last = true;
  o.targets.input_w = input_w;
  o.targets.input_h = input_h;
  o.targets.heatmap_w = input_w / 4;
  o.targets.heatmap_h = input_h / 4;
  return o;
}

double loader_crops_per_second(const std::vector<posekd::Instance>& instances, const posekd::LoaderOptions& o) {
  posekd::BatchLoader loader(instances, posekd::Skeleton::load("coco17"), o);
  loader.start_epoch(0);
  int64_t crops = 0;
  const auto t0 = Clock::now();
  while (auto b = loader.next()) crops += b->size();
  return double(crops) / seconds_since(t0);
}

double model_step_seconds(TinyNet& net, torch::optim::SGD& opt, const posekd::Batch& b) {
  const auto t0 = Clock::now();
  opt.zero_grad();
  auto loss = torch::mse_loss(net->forward(b.images), b.heatmaps);
  loss.backward();
  opt.step();
  return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  const int images = argc > 1 ? std::atoi(argv[1]) : 300;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 32;
  const std::string real_dir = argc > 3 ? argv[3] : "";
  // One OpenCV thread per loader worker: the figures are per worker core.
  cv::setNumThreads(1);
  const fs::path dir = fs::temp_directory_path() / ("posekd-bench-loader-" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto t0 = Clock::now();
  const auto instances = make_images(dir, images, real_dir);
  if (instances.empty()) {
    std::fprintf(stderr, "bench_torch_loader: error: %s: no *.jpg files\n", real_dir.c_str());
    return 1;
  }
  uintmax_t bytes = 0;
  for (const auto& inst : instances) bytes += fs::file_size(inst.image_path);
  std::printf("%s %d JPEG instances (%.0f KB per image) in %.1f s; batch %d; %u hardware threads; torch threads %d\n",
              real_dir.empty() ? "wrote" : ("using " + real_dir + ":").c_str(), images, double(bytes) / images / 1024,
              seconds_since(t0), batch, std::thread::hardware_concurrency(), torch::get_num_threads());

  torch::manual_seed(0);
  for (auto [w, h] : {std::pair<int, int>{192, 256}, {96, 128}}) {
    const double one = loader_crops_per_second(instances, options(w, h, 1, batch));
    const double two = loader_crops_per_second(instances, options(w, h, 2, batch));
    TinyNet net;
    torch::optim::SGD opt(net->parameters(), 0.01);
    posekd::BatchLoader warm(instances, posekd::Skeleton::load("coco17"), options(w, h, 0, batch));
    const posekd::Batch b = *warm.next();
    model_step_seconds(net, opt, b);
    double step = 0;
    const int steps = 5;
    for (int i = 0; i < steps; ++i) step += model_step_seconds(net, opt, b);
    step /= steps;
    const double model_crops = batch / step;
    std::printf("%dx%d: loader 1 worker %.0f crops/s (%.0f per core), 2 workers %.0f crops/s (%.0f per core, x%.2f)\n",
                h, w, one, one, two, two / 2, two / one);
    std::printf("%dx%d: tiny net forward+backward %.1f ms per batch = %.0f crops/s; loader(2)/model = %.2f\n", h, w,
                step * 1e3, model_crops, two / model_crops);

    // Training from the loader: loader workers and the model share the machine.
    posekd::BatchLoader loader(instances, posekd::Skeleton::load("coco17"), options(w, h, 2, batch));
    loader.start_epoch(1);
    // The first batch's wait is the pipeline filling, paid once per epoch; reported apart.
    double first_wait = 0, waited = 0;
    int64_t n = 0;
    const auto start = Clock::now();
    for (;;) {
      const auto tw = Clock::now();
      auto next = loader.next();
      (n == 0 ? first_wait : waited) += seconds_since(tw);
      if (!next) break;
      model_step_seconds(net, opt, *next);
      ++n;
    }
    const double total = seconds_since(start) - first_wait;
    std::printf("%dx%d: training from 2 workers: %lld batches, first batch after %.2f s, then %.0f%% of %.2f s "
                "waiting for data\n",
                h, w, static_cast<long long>(n), first_wait, 100 * waited / total, total);
  }
  fs::remove_all(dir);
  return 0;
}
