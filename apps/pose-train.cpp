// pose-train: train a pose model on ground-truth keypoints (the `gt` objective).
#include <iostream>

#include "posekd/cli/tool.h"
#include "posekd/core/provenance.h"
#include "posekd/train/pose_train.h"
#include "posekd/train/runtime.h"

int main(int argc, char** argv) {
  posekd::cli::Tool tool("pose-train",
                         "Train a pose model on ground truth: heatmap MSE, SimCC KL or regression smooth-L1, with "
                         "validation, best/last checkpoints and exact --resume");
  tool.set_runtime_hooks(posekd::torch_runtime_hooks());
  posekd::train::PoseTrainOptions opts;
  posekd::train::bind_train_options(tool.app(), opts.train);
  posekd::train::add_preset_option(tool.app());
  return tool.run(argc, argv, [&] {
    posekd::train::apply_common_options(tool.common(), opts.train);
    opts.config = posekd::Provenance::current().config;
    posekd::train::run_pose_train(opts, std::cout);
  });
}
