// Epoch time of fpd distillation from stored teacher maps against a live teacher of >= 3x the
// student's FLOPs, on the same data, options and seed.
//   build/bench/bench_torch_distill_cost [images=150]
// Teacher: the quick teacher (hourglass 2x64 at 128x96, 0.152 GFLOPs), student: the quick
// student (ResNet-18 of width 16, 0.038 GFLOPs), both untrained (cost does not depend on the
// weights). Each variant runs one epoch twice, alternating; prints the faster of each, their
// ratio (goal: stored <= 0.6x live) and what the one-off dump cost.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>

#include "distill_bench_support.h"
#include "posekd/io/checkpoint.h"
#include "posekd/nn/complexity.h"
#include "posekd/train/model_checkpoint.h"
#include "posekd/train/runtime.h"

using namespace posekd;

namespace {

const char* kTeacher = "hourglass:stacks=2,channels=64,depth=3,input=128x96";
const char* kStudent = "resnet:depth=18,width=16,deconv_channels=32,input=128x96";

double epoch_seconds(const bench::Scratch& s, const std::string& annotations, train::TeacherOptions teacher) {
  train::DistillOptions o;
  o.train = bench::train_options(annotations, kStudent, 1, s.file("student.ckpt.h5"));
  o.train.workers = 2;
  o.method = "fpd";
  o.teacher = teacher;
  auto objective = train::distill_method("fpd").make(o, torch::kCPU);
  const auto t0 = bench::Clock::now();
  train::run_train(o.train, *objective);
  return bench::seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  train::set_threads(0);
  const int images = argc > 1 ? std::atoi(argv[1]) : 150;
  bench::Scratch s("bench_torch_distill_cost");
  const std::string annotations = bench::make_dataset(s, "train", images, "train", 2);
  auto teacher = nn::make_model(kTeacher, 1);
  auto student = nn::make_model(kStudent, 1);
  const double tf = nn::measure_complexity(*teacher).gflops(), sf = nn::measure_complexity(*student).gflops();
  std::printf("teacher %s: %.3f GFLOPs; student %s: %.3f GFLOPs (x%.1f); %d compute threads, 2 loader workers\n",
              kTeacher, tf, kStudent, sf, tf / sf, at::get_num_threads());
  teacher->eval();
  const std::string ckpt = s.file("teacher.ckpt.h5");
  io::write_checkpoint(train::model_checkpoint(*teacher, *Skeleton::find_builtin("coco17"), HeatmapCodec::unbiased), ckpt);
  const auto t0 = bench::Clock::now();
  const std::string stored = bench::dump(ckpt, annotations, s.file("teacher.hm.h5"), true);
  std::printf("dump once (flip test): %.1f s\n", bench::seconds_since(t0));

  train::TeacherOptions offline, online;
  offline.heatmaps = stored;
  online.checkpoint = ckpt;
  double stored_s = 1e30, live_s = 1e30;
  for (int round = 0; round < 2; ++round) {
    stored_s = std::min(stored_s, epoch_seconds(s, annotations, offline));
    live_s = std::min(live_s, epoch_seconds(s, annotations, online));
    std::printf("round %d: stored %.1f s, live %.1f s\n", round + 1, stored_s, live_s);
  }
  std::printf("epoch time stored / live: %.2f (goal <= 0.6)\n", stored_s / live_s);
  return 0;
}
