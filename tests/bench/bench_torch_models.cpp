// Parameters, GFLOPs (multiply-accumulates × 1e-9 per image, see nn/complexity.h) and
// training speed of the model zoo: forward + backward + Adam step per batch, median of a few,
// at the threads given (default 2). The first rows are the paper configurations (figures only),
// the rest the quick CPU configurations at 128x96.
//
//   build/bench/bench_torch_models [threads] [batch] [repeats]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "posekd/nn/complexity.h"
#include "posekd/nn/model.h"
#include "posekd/train/runtime.h"

namespace {

torch::Tensor training_loss(const posekd::nn::ModelOutputs& out) {
  torch::Tensor loss = torch::zeros({});
  for (const auto& h : out.heatmaps) loss = loss + h.square().mean();
  if (out.simcc_x.defined()) loss = loss + out.simcc_x.square().mean() + out.simcc_y.square().mean();
  if (out.coords.defined()) loss = loss + out.coords.sum() + out.sigma.sum() + out.score.sum();
  return loss;
}

double step_ms(posekd::nn::PoseModelImpl& model, int batch, int repeats) {
  torch::optim::Adam adam(model.parameters(), torch::optim::AdamOptions(1e-3));
  const auto& in = model.info().input;
  auto images = torch::randn({batch, 3, in.height, in.width});
  std::vector<double> ms;
  for (int i = 0; i <= repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    adam.zero_grad();
    training_loss(model.forward(images)).backward();
    adam.step();
    if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 32;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  posekd::train::set_threads(threads);
  fmt::print("{}\n\n", posekd::train::version_details());

  const char* papers[] = {
      "hourglass:stacks=8,channels=256,input=256x256",  // FPD teacher
      "hourglass:stacks=4,channels=128,input=256x256",  // FPD student
      "resnet:depth=50,input=256x192",                  // SimpleBaseline-R50: 34.0M, 8.9
      "resnet:depth=18,input=256x192",
      "hrnet:width=32,input=256x192",  // HRNet-W32: 28.5M, 7.1
      "hrnet:width=48,input=256x192",  // HRNet-W48: 63.6M, 14.6
      "resnet:depth=50,deconvs=0,input=256x192,head=simcc",
      "tokenpose:input=256x192",
  };
  fmt::print("Paper configurations (params, GFLOPs only)\n{:<60} {:>10} {:>8}\n", "spec", "params", "GFLOPs");
  for (const char* s : papers) {
    auto model = posekd::nn::make_model(s);
    const auto c = posekd::nn::measure_complexity(*model);
    fmt::print("{:<60} {:>9.2f}M {:>8.2f}\n", s, c.params * 1e-6, c.gflops());
  }

  const char* quick[] = {
      "hourglass:stacks=2,channels=64,depth=3,input=128x96",  // quick teacher
      "hourglass:stacks=1,channels=32,depth=3,input=128x96",  // quick student
      "resnet:depth=18,width=16,deconv_channels=32,input=128x96",
      "resnet:depth=18,width=16,deconv_channels=32,input=128x96,head=simcc",
      "resnet:depth=18,width=16,deconvs=0,input=128x96,head=regression,dim=64,layers=2,heads=4,patch=1x1",
      "hrnet:width=8,input=128x96",
      "hrnet:width=16,input=128x96",
      "tokenpose:stem_width=32,dim=96,layers=4,heads=4,input=128x96",
  };
  fmt::print("\nQuick CPU configurations: batch {}, {} threads, forward+backward+Adam, median of {}\n", batch, threads,
             repeats);
  fmt::print("{:<100} {:>9} {:>7} {:>9}\n", "spec", "params", "GFLOPs", "ms/batch");
  for (const char* s : quick) {
    auto model = posekd::nn::make_model(s);
    const auto c = posekd::nn::measure_complexity(*model);
    const double ms = step_ms(*model, batch, repeats);
    fmt::print("{:<100} {:>8.3f}M {:>7.3f} {:>9.0f}\n", model->info().spec.str(), c.params * 1e-6, c.gflops(), ms);
  }
  return 0;
}
