// pose-distill: train a student from a teacher (fpd, skd, two-stage, distilpose), stored or live.
#include <iostream>

#include "posekd/cli/tool.h"
#include "posekd/core/provenance.h"
#include "posekd/train/pose_distill.h"
#include "posekd/train/pose_train.h"
#include "posekd/train/runtime.h"

int main(int argc, char** argv) {
  posekd::cli::Tool tool("pose-distill",
                         "Distil a teacher into a student: FPD, DDSR spatial distillation, two-stage stage 1, "
                         "DistilPose, from stored teacher heatmaps or a live teacher checkpoint");
  tool.set_runtime_hooks(posekd::torch_runtime_hooks());
  posekd::train::DistillOptions opts;
  posekd::train::bind_train_options(tool.app(), opts.train);
  posekd::train::bind_distill_options(tool.app(), opts);
  posekd::train::add_preset_option(tool.app());
  return tool.run(argc, argv, [&] {
    posekd::train::apply_common_options(tool.common(), opts.train);
    opts.config = posekd::Provenance::current().config;
    posekd::train::run_distill(opts, std::cout);
  });
}
