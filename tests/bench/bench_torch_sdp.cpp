// SDP's cost against pose-train's, for one model in one run: the wall time of a training epoch
// (the second of two, each objective in a fresh process) with the `gt` objective and with `sdp`
// (each step also re-renders and runs the backup batch of s steps earlier: goal ≈ two
// forward/backward passes, a ratio near 2, the re-rendering on a worker thread behind the
// step), their peak resident memory, and the memory the backup queue takes at s = 1, 10, 100:
// its own bytes, the peak resident memory it adds to a fresh process, and the checkpoint state
// it adds (B samples of K maps at h×w per queued batch).
//   build/bench/bench_torch_sdp [threads=2] [spec=quick-student's] [batch=16] [images=96]
// Scaled for a shared 2-core CPU.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "posekd/core/log.h"
#include "posekd/data/synth.h"
#include "posekd/train/gt_objective.h"
#include "posekd/train/runtime.h"
#include "posekd/train/sdp_objective.h"
#include "posekd/train/trainer.h"

namespace fs = std::filesystem;
using namespace posekd;

namespace {

const char* kQuick = "resnet:depth=18,width=16,deconv_channels=32,input=128x96";

// The last epoch's wall and CPU seconds (epoch_time_s, cpu_time_s) from a run's metrics file.
std::pair<double, double> last_epoch_seconds(const std::string& output) {
  std::ifstream metrics(train::run_files(output).metrics_jsonl);
  std::string line, last;
  while (std::getline(metrics, line)) last = line;
  auto value = [&](const std::string& name) {
    const std::string key = "\"" + name + "\": ";
    const auto at = last.find(key);
    return at == std::string::npos ? 0.0 : std::atof(last.c_str() + at + key.size());
  };
  return {value("epoch_time_s"), value("cpu_time_s")};
}

// Runs this program again with `args` (exec, not just fork: a forked OpenMP/LibTorch runtime is
// not safe to use) and returns the child's peak resident memory in MB.
double child_peak_mb(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fmt::print(stderr, "bench_torch_sdp: child {} failed\n", args.at(1));
    std::exit(1);
  }
  return double(usage.ru_maxrss) / 1024.0;
}

// A queue of S batches of B float16 maps K×H×W (random, so every page is touched).
train::SdpQueue filled_queue(int s, int batch, int joints, int h, int w) {
  train::SdpQueue queue;
  for (int64_t t = 0; t < s; ++t) {
    train::QueuedBatch b;
    b.step = t;
    b.indices.assign(size_t(batch), 0);
    b.params.assign(size_t(batch), AugParams{});
    b.predictions = torch::rand({batch, joints, h, w}).to(torch::kHalf);
    queue.push(std::move(b), s);
  }
  return queue;
}

// --child-queue S B K H W: holds such a queue, for its peak RSS.
int fill_queue(int s, int batch, int joints, int h, int w) {
  return filled_queue(s, batch, joints, h, w).size() == size_t(s) ? 0 : 1;
}

// --child-train OBJECTIVE ANNOTATIONS SPEC BATCH THREADS OUTPUT: two epochs.
int train_two_epochs(const std::string& objective, const std::string& annotations, const std::string& spec, int batch,
                     int threads, const std::string& output) {
  train::set_threads(threads);
  log::set_level(log::Level::warn);
  train::TrainOptions o;
  o.train_annotations = annotations;
  o.model = spec;
  o.epochs = 2;
  o.batch_size = batch;
  o.workers = 2;
  o.threads = threads;
  o.seed = 1;
  o.optimizer.name = "adam";
  o.optimizer.lr = 1e-3;
  o.log_every = 1000000;
  o.force = true;
  o.output = output;
  if (objective == "sdp") {
    train::SdpObjective sdp({});
    train::run_train(o, sdp);
  } else {
    train::GtObjective gt(nn::HeadType::heatmap);
    train::run_train(o, gt);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string self = argv[0];
  if (argc == 7 && std::string(argv[1]) == "--child-queue")
    return fill_queue(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]));
  if (argc == 8 && std::string(argv[1]) == "--child-train")
    return train_two_epochs(argv[2], argv[3], argv[4], std::atoi(argv[5]), std::atoi(argv[6]), argv[7]);
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const std::string spec = argc > 2 ? argv[2] : kQuick;
  const int batch = argc > 3 ? std::atoi(argv[3]) : 16;
  const int images = argc > 4 ? std::atoi(argv[4]) : 96;
  train::set_threads(threads);
  log::set_level(log::Level::warn);
  fmt::print("{}\n\n", train::version_details());

  const fs::path dir = fs::temp_directory_path() / fmt::format("bench_sdp_{}", getpid());
  fs::create_directories(dir);
  SynthOptions synth;
  synth.output_dir = (dir / "train").string();
  synth.images = images;
  synth.width = 192;
  synth.height = 144;
  synth.threads = threads;
  const auto annotations = run_synth(synth).annotation_path;

  struct Run {
    const char* label;
    std::string objective;
    int batch;
    double seconds = 0, cpu_seconds = 0, peak_mb = 0;
  };
  std::vector<Run> runs = {{"pose-train (gt), batch B", "gt", batch},
                           {"pose-selfdistill (sdp, s = 1), batch B + B", "sdp", batch},
                           {"pose-train (gt), batch 2B", "gt", 2 * batch}};
  for (auto& r : runs) {
    const std::string output = (dir / (r.objective + std::to_string(r.batch) + ".ckpt.h5")).string();
    r.peak_mb = child_peak_mb({self, "--child-train", r.objective, annotations, spec, std::to_string(r.batch),
                               std::to_string(threads), output});
    std::tie(r.seconds, r.cpu_seconds) = last_epoch_seconds(output);
  }
  fmt::print("{}: {} synthetic images, batch {}, {} threads, 2 loader workers, the second of two epochs\n", spec,
             images, batch, threads);
  fmt::print("{:<44} {:>9} {:>9} {:>14}\n", "run", "epoch s", "CPU s", "peak RSS MB");
  for (const auto& r : runs)
    fmt::print("{:<44} {:>9.2f} {:>9.2f} {:>14.0f}\n", r.label, r.seconds, r.cpu_seconds, r.peak_mb);
  // CPU seconds (loader workers included) are the figure to trust on a shared machine.
  fmt::print("ratio sdp / gt: wall {:.2f}, CPU {:.2f} (goal ~2: two forward/backward passes per step)\n",
             runs[1].seconds / runs[0].seconds, runs[1].cpu_seconds / runs[0].cpu_seconds);
  fmt::print("ratio sdp / (2 x gt at 2B, the same forward size): wall {:.2f}, CPU {:.2f} (goal ~1: no cost beyond the "
             "doubled batch)\n\n",
             runs[1].seconds / runs[2].seconds * 0.5, runs[1].cpu_seconds / runs[2].cpu_seconds * 0.5);

  const auto parsed = nn::ModelSpec::parse(spec);
  const auto hm = nn::make_model(parsed, 1)->info().heatmap;
  const int joints = parsed.joints();
  fmt::print("backup queue, batch {} of {} maps at {}x{} (float16), each s in a fresh process:\n", batch, joints,
             hm.height, hm.width);
  fmt::print("{:>5} {:>10} {:>14} {:>18} {:>18}\n", "s", "queue MB", "MB per batch", "peak RSS added MB",
             "state in ckpt MB");
  auto queue_peak = [&](int s) {
    return child_peak_mb({self, "--child-queue", std::to_string(s), std::to_string(batch), std::to_string(joints),
                          std::to_string(hm.height), std::to_string(hm.width)});
  };
  const double baseline = queue_peak(0);
  for (const int s : {1, 10, 100}) {
    const train::SdpQueue queue = filled_queue(s, batch, joints, hm.height, hm.width);
    double state_mb = 0;
    for (const auto& a : queue.to_arrays()) state_mb += double(a.values.size() * sizeof(float)) / 1e6;
    const double bytes_mb = double(queue.bytes()) / 1e6;
    fmt::print("{:>5} {:>10.2f} {:>14.3f} {:>18.1f} {:>18.2f}\n", s, bytes_mb, bytes_mb / s, queue_peak(s) - baseline,
               state_mb);
  }
  fmt::print("(the paper setting, 32 samples of 17 maps at 64x48: {:.2f} MB per queued batch, {:.0f} MB at s = 100)\n",
             32.0 * 17 * 64 * 48 * 2 / 1e6, 100 * 32.0 * 17 * 64 * 48 * 2 / 1e6);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
