#pragma once
// A pose model and its checkpoint file (DESIGN 3.4): what pose-train writes and every tool that
// runs a model (pose-dump-heatmaps, pose-distill --teacher, pose-refine-gcn) reads.
#include <torch/types.h>

#include <string>

#include "posekd/codec/heatmap_geometry.h"
#include "posekd/core/skeleton.h"
#include "posekd/io/checkpoint.h"
#include "posekd/nn/model.h"

namespace posekd::train {

// The checkpoint of `model` as it is now: spec, sizes, skeleton, head, decoding convention,
// parameter count and GFLOPs, parameters and buffers. No training state.
io::Checkpoint model_checkpoint(nn::PoseModelImpl& model, const Skeleton& skeleton, HeatmapCodec codec);

struct LoadedModel {
  nn::PoseModel model;
  io::Checkpoint checkpoint;  // everything the file holds, arrays included
  HeatmapCodec codec = HeatmapCodec::unbiased;
};

// Rebuilds the model from the file's spec, with its refiner when the file has one (a
// pose-refine-gcn output: the model then gives the refined outputs), and loads its weights
// onto `device`, in eval mode.
// Refuses a checkpoint whose spec does not parse, whose arrays do not fit the spec, or whose
// skeleton is not `expected_skeleton` (when given), naming the file and the place.
LoadedModel load_model(const std::string& path, const torch::Device& device,
                       const Skeleton* expected_skeleton = nullptr);

// The same check for a dataset or another file's skeleton, for tools that combine them.
void check_skeleton(const Skeleton& found, const Skeleton& expected, const std::string& file, const std::string& place);

}  // namespace posekd::train
