// pose-train: train a pose model on ground-truth keypoints (the `gt` objective).
#include <iostream>

#include "posekd/cli/tool.h"
#include "posekd/train/pose_train.h"

int main(int argc, char** argv) {
  posekd::cli::Tool tool("pose-train",
                         "Train a pose model on ground truth: heatmap MSE, SimCC KL or regression smooth-L1, with "
                         "validation, best/last checkpoints and exact --resume");
  posekd::train::PoseTrainOptions opts;
  posekd::train::bind_training_tool(tool, opts.train);
  return posekd::train::run_training_tool(tool, argc, argv, opts.train, opts.config,
                                          [&] { posekd::train::run_pose_train(opts, std::cout); });
}
