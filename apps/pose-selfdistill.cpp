// pose-selfdistill: SDP self-distillation from a previous batch, with the stepping strategy
// (the `sdp` objective); no teacher.
#include <iostream>

#include "posekd/cli/tool.h"
#include "posekd/train/pose_selfdistill.h"
#include "posekd/train/pose_train.h"

int main(int argc, char** argv) {
  posekd::cli::Tool tool("pose-selfdistill",
                         "Train a heatmap pose model with SDP self-distillation: each step also re-renders the batch "
                         "of s steps earlier and distils the model's predictions on it then; s grows by the stepping "
                         "strategy when the learning rate drops");
  posekd::train::PoseSelfdistillOptions opts;
  posekd::train::bind_training_tool(tool, opts.train);
  posekd::train::bind_sdp_options(tool.app(), opts.sdp);
  return posekd::train::run_training_tool(tool, argc, argv, opts.train, opts.config,
                                          [&] { posekd::train::run_pose_selfdistill(opts, std::cout); });
}
