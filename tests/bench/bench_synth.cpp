// How fast pose-synth makes data: rendering and labelling alone per difficulty, and the whole
// tool (JPEG encoding and file writes included) on 1 and 2 threads, with the speed-up.
//
//   bench_synth [IMAGES]     (default 1000, at 256x192)
#include <fmt/format.h>

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "posekd/core/log.h"
#include "posekd/core/skeleton.h"
#include "posekd/data/synth.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// CPU seconds of the whole process, all threads: on a shared machine the wall clock says more
// about the neighbours than about pose-synth.
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

}  // namespace

int main(int argc, char** argv) {
  using namespace posekd;
  const int64_t images = argc > 1 ? std::atoll(argv[1]) : 1000;
  log::set_level(log::Level::quiet);
  const std::string dir = (std::filesystem::temp_directory_path() / fmt::format("bench_synth-{}", ::getpid())).string();

  SynthOptions o;
  o.images = images;
  o.seed = 1;
  const auto points = synth::body_points_for(Skeleton::load("coco17"));
  fmt::print("{} images of {}x{}, {} hardware threads\n", images, o.width, o.height, std::thread::hardware_concurrency());
  for (SynthDifficulty d : {SynthDifficulty::easy, SynthDifficulty::medium, SynthDifficulty::hard}) {
    o.difficulty = d;
    const SceneKnobs knobs = resolve_knobs(o);
    int64_t people = 0;
    const auto t = std::chrono::steady_clock::now();
    const double c = cpu_seconds();
    for (int64_t i = 0; i < images; ++i) people += static_cast<int64_t>(synth::make_sample(o, knobs, points, i).people.size());
    fmt::print("render+label, 1 thread, {:<6}  {:7.0f} img/s wall  {:7.0f} img per CPU-second  ({:.2f} people per image)\n",
               to_string(d), images / seconds_since(t), images / (cpu_seconds() - c), static_cast<double>(people) / images);
  }

  o.difficulty = SynthDifficulty::easy;
  o.output_dir = dir;
  o.force = true;
  double rate[2] = {0, 0};
  for (int threads : {1, 2}) {
    o.threads = threads;
    const auto t = std::chrono::steady_clock::now();
    const double c = cpu_seconds();
    run_synth(o);
    rate[threads - 1] = images / seconds_since(t);
    fmt::print("pose-synth (jpg, files), {} thread{}  {:7.0f} img/s wall  {:7.0f} img per CPU-second\n", threads,
               threads > 1 ? "s" : " ", rate[threads - 1], images / (cpu_seconds() - c));
  }
  fmt::print("speed-up 2 threads / 1 thread: {:.2f}x\n", rate[1] / rate[0]);
  std::filesystem::remove_all(dir);
  return 0;
}
