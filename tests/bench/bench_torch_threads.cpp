// Chooses --threads' default and documents OMP_WAIT_POLICY (DESIGN 3.7): times a small
// convolution training step and a quick-student training step with 1 and 2 OpenMP threads,
// with OMP_WAIT_POLICY unset and PASSIVE. libgomp reads the variable when it loads, so each
// setting runs in a child process (this binary again, with --child).
//
//   build/bench/bench_torch_threads [repeats]
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "posekd/nn/model.h"
#include "posekd/train/runtime.h"

extern char** environ;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class Step>
double time_ms(int repeats, Step&& step) {
  step();  // warm-up: allocations, OpenMP pool start
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return median(ms);
}

int child(int threads, int repeats) {
  posekd::train::set_threads(threads);
  torch::manual_seed(0);
  // A small convolution step: two 3×3 convs of 32 channels on 8 maps of 32×24.
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 32, 3).padding(1)), torch::nn::ReLU(),
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 32, 3).padding(1)));
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.01));
  auto x = torch::randn({8, 32, 32, 24});
  const double conv_ms = time_ms(repeats, [&] {
    sgd.zero_grad();
    net->forward(x).square().mean().backward();
    sgd.step();
  });
  auto model = posekd::nn::make_model("resnet:depth=18,width=16,deconvs=3,deconv_channels=32,input=128x96");
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  auto images = torch::randn({32, 3, 128, 96});
  const double model_ms = time_ms(std::max(3, repeats / 10), [&] {
    adam.zero_grad();
    model->forward(images).final_heatmaps().square().mean().backward();
    adam.step();
  });
  std::printf("%.3f %.3f\n", conv_ms, model_ms);
  return 0;
}

bool run_child(const char* self, int threads, int repeats, bool passive, double& conv_ms, double& model_ms) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "OMP_WAIT_POLICY=", 16) != 0) env.emplace_back(*e);
  if (passive) env.emplace_back("OMP_WAIT_POLICY=PASSIVE");
  std::vector<char*> envp;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string t = std::to_string(threads), r = std::to_string(repeats);
  std::vector<char*> argv = {const_cast<char*>(self), const_cast<char*>("--child"), t.data(), r.data(), nullptr};
  int fds[2];
  if (pipe(fds) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) return false;
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 && std::sscanf(out.c_str(), "%lf %lf", &conv_ms, &model_ms) == 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "--child") == 0) return child(std::atoi(argv[2]), std::atoi(argv[3]));
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 50;
  fmt::print("physical cores: {}; BLAS: {}\n", posekd::train::physical_cores(), posekd::train::blas_description());
  fmt::print("median ms per step; conv: 2×conv3x3(32) on [8,32,32,24] fwd+bwd+SGD; model: "
             "resnet:depth=18,width=16,deconv_channels=32 at 128x96, batch 32, fwd+bwd+Adam\n");
  fmt::print("{:<18} {:>8} {:>10} {:>10}\n", "OMP_WAIT_POLICY", "threads", "conv ms", "model ms");
  double base_conv = 0, base_model = 0;
  for (bool passive : {false, true}) {
    for (int threads : {1, 2}) {
      double conv = 0, model = 0;
      if (!run_child(argv[0], threads, repeats, passive, conv, model)) {
        fmt::print(stderr, "bench_torch_threads: child with {} threads failed\n", threads);
        return 1;
      }
      if (base_conv == 0) base_conv = conv, base_model = model;
      fmt::print("{:<18} {:>8} {:>10.2f} {:>10.1f}   ({:.2f}x, {:.2f}x of unset/1 thread)\n",
                 passive ? "PASSIVE" : "unset", threads, conv, model, base_conv / conv, base_model / model);
    }
  }
  return 0;
}
