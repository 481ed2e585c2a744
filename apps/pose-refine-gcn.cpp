// pose-refine-gcn: train a graph refiner (IGP-GCN) on top of a frozen stage-1 model.
#include <iostream>

#include "posekd/cli/tool.h"
#include "posekd/core/provenance.h"
#include "posekd/train/pose_refine_gcn.h"
#include "posekd/train/runtime.h"

int main(int argc, char** argv) {
  posekd::cli::Tool tool("pose-refine-gcn",
                         "Train a refiner on top of a frozen pose model (IGP-GCN stage 2 of the two-stage "
                         "distillation); the output checkpoint runs the refined model");
  tool.set_runtime_hooks(posekd::torch_runtime_hooks());
  posekd::train::RefineGcnOptions opts;
  posekd::train::bind_refine_gcn_options(tool.app(), opts);
  return tool.run(argc, argv, [&] {
    posekd::train::apply_common_options(tool.common(), opts.train);
    opts.config = posekd::Provenance::current().config;
    posekd::train::run_refine_gcn(opts, std::cout);
  });
}
