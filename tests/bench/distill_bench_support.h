#pragma once
// What the pose-distill benchmarks share: a generated dataset, a briefly trained teacher, its
// dump, and a distillation run (in-process or in a child process for its peak RSS).
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "posekd/core/error.h"
#include "posekd/data/synth.h"
#include "posekd/train/dump.h"
#include "posekd/train/gt_objective.h"
#include "posekd/train/pose_distill.h"

namespace posekd::bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A scratch folder under /tmp, removed at exit.
struct Scratch {
  fs::path dir;
  explicit Scratch(const std::string& name) : dir(fs::temp_directory_path() / (name + "_" + std::to_string(getpid()))) {
    fs::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

inline std::string make_dataset(const Scratch& s, const std::string& name, int images, const std::string& split,
                                uint64_t seed) {
  SynthOptions o;
  o.output_dir = s.file(name);
  o.images = images;
  o.split = split;
  o.width = 256;
  o.height = 192;
  o.seed = seed;
  o.threads = 2;
  return run_synth(o).annotation_path;
}

inline train::TrainOptions train_options(const std::string& annotations, const std::string& model, int epochs,
                                         const std::string& output) {
  train::TrainOptions o;
  o.train_annotations = annotations;
  o.model = model;
  o.epochs = epochs;
  o.batch_size = 16;
  o.sigma = 2.5;
  o.optimizer.lr = 3e-3;
  o.output = output;
  o.force = true;
  o.workers = 2;
  o.log_every = 1000000;
  return o;
}

// The quick teacher preset's model, trained for `epochs` on `annotations` (gt objective).
inline std::string train_teacher(const Scratch& s, const std::string& annotations, const std::string& model, int epochs) {
  const std::string out = s.file("teacher.ckpt.h5");
  train::GtObjective gt(nn::HeadType::heatmap);
  train::run_train(train_options(annotations, model, epochs, out), gt);
  return out;
}

// padding 0: the dump's default (1.5).
inline std::string dump(const std::string& ckpt, const std::string& annotations, const std::string& out, bool flip_test,
                        double padding = 0) {
  train::DumpOptions o;
  o.padding = padding;
  o.checkpoint = ckpt;
  o.dataset = annotations;
  o.output = out;
  o.force = true;
  o.flip_test = flip_test;
  o.batch_size = 16;
  o.workers = 2;
  train::run_dump(o);
  return out;
}

// Runs this benchmark again with `args` (a child mode, so the figure is that process's own,
// from a fresh heap) and returns the child's peak RSS in MiB. posix_spawn starts a new image:
// a forked OpenMP/LibTorch runtime is not safe to use.
inline double child_peak_rss_mib(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t child = 0;
  if (posix_spawn(&child, "/proc/self/exe", nullptr, nullptr, argv.data(), environ) != 0) {
    std::perror("posix_spawn");
    std::exit(1);
  }
  int status = 0;
  struct rusage child_usage {};
  if (wait4(child, &status, 0, &child_usage) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s --child failed (status %d)\n", args.front().c_str(), status);
    std::exit(1);
  }
  return double(child_usage.ru_maxrss) / 1024.0;
}

}  // namespace posekd::bench
