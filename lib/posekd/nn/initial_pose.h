#pragma once
// The base model's pose as refiners read it (P_init): decoded on the model's device, batched,
// without autograd (an argmax has no useful gradient).
#include <torch/types.h>

#include "posekd/codec/heatmap_geometry.h"
#include "posekd/nn/model.h"

namespace posekd::nn {

struct InitialPose {
  torch::Tensor coords;  // [N,K,2] x, y in input pixels (pixel centres at integers)
  torch::Tensor score;   // [N,K]
};

// Heatmaps: the final map's argmax with HRNet's quarter offset towards the higher neighbour
// (only where 1 < x < w-1 and 1 < y < h-1, HRNet's bounds), mapped to the input by the crop
// geometry; score = the maximum. SimCC: argmax / split ratio per axis; score = the smaller
// of the two maximal logits (mmpose's get_simcc_maximum). Regression: the coordinates and
// confidence as predicted. Throws Error when the outputs hold none of them.
//
// With `dark` (a heatmap base whose codec decodes with DARK: `unbiased`), the heatmap location
// is the one its decoder gives instead: the argmax refined by DARK's Taylor step on the log of
// the map blurred as mmpose 0.x blurs it (kernel `blur_kernel`, 0: default_blur_kernel of the
// map width; OpenCV's fixed kernels up to size 7), as codec/heatmap_decode.cpp does on one map.
InitialPose initial_pose(const ModelOutputs& outputs, const ModelInfo& info, CropGeometry geometry,
                         bool dark = false, int blur_kernel = 0);

}  // namespace posekd::nn
