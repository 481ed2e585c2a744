// What an IGP-GCN refiner adds to its base model (pose-refine-gcn): parameters, GFLOPs
// (multiply-accumulates × 1e-9 per person, nn/complexity.h) and inference time per person,
// base alone against base + refiner, measured in one run on the same batches (eval mode, no
// gradients; median of the repeats).
//
//   build/bench/bench_torch_refine [threads] [batch] [repeats]
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "posekd/core/skeleton.h"
#include "posekd/nn/complexity.h"
#include "posekd/nn/refiner.h"
#include "posekd/train/runtime.h"

namespace {

double forward_ms(posekd::nn::PoseModelImpl& model, const torch::Tensor& images, int repeats) {
  torch::NoGradGuard no_grad;
  model.eval();
  std::vector<double> ms;
  for (int i = 0; i <= repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    model.forward(images);
    if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 32;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 5;
  posekd::train::set_threads(threads);
  fmt::print("{}\n\n", posekd::train::version_details());
  const posekd::Skeleton& coco = *posekd::Skeleton::find_builtin("coco17");

  struct Case {
    const char* base;
    const char* refiner;
  };
  const Case cases[] = {
      {"resnet:depth=18,width=16,deconv_channels=32,input=128x96", "igp"},
      {"resnet:depth=18,width=16,deconv_channels=32,input=128x96", "igp:hidden=64"},
      {"resnet:depth=18,width=16,deconv_channels=32,input=128x96,head=simcc", "igp"},
      {"hourglass:stacks=2,channels=64,depth=3,input=128x96", "igp"},
      {"resnet:depth=50,input=256x192", "igp"},
      {"hrnet:width=32,input=256x192", "igp"},
  };
  fmt::print("batch {}, {} threads, forward in eval mode, median of {}\n", batch, threads, repeats);
  fmt::print("{:<70} {:<34} {:>10} {:>9} {:>9} {:>11} {:>11} {:>7}\n", "base", "refiner", "ref params", "base GF",
             "ref GF", "base ms/p", "+ref ms/p", "ratio");
  for (const Case& c : cases) {
    auto model = posekd::nn::make_model(c.base, 1);
    const auto base = posekd::nn::measure_complexity(*model);
    const auto& in = model->info().input;
    const torch::Tensor images = torch::randn({batch, 3, in.height, in.width});
    const double base_ms = forward_ms(*model, images, repeats);
    posekd::nn::attach_refiner(*model, posekd::nn::ModelSpec::parse_refiner(c.refiner), coco,
                               posekd::HeatmapCodec::unbiased);
    const auto total = posekd::nn::measure_complexity(*model);
    const double refined_ms = forward_ms(*model, images, repeats);
    fmt::print("{:<70} {:<34} {:>9.3f}M {:>9.3f} {:>9.4f} {:>11.3f} {:>11.3f} {:>7.3f}\n", model->info().spec.str(),
               model->refiner_spec(), double(posekd::nn::count_parameters(*model->refiner())) * 1e-6,
               base.gflops(), total.gflops() - base.gflops(), base_ms / batch, (refined_ms - base_ms) / batch,
               refined_ms / base_ms);
  }
  return 0;
}
