#pragma once
// Parameter count and GFLOPs of a model at its input size, for pose-train --dry-run and
// pose-info.
//
// Convention: GFLOPs = multiply-accumulates × 1e-9 for one image, the figure mmcv's get_flops
// and ptflops print as "GFLOPs" and papers quote (HRNet-W32 at 256×192: 7.1, SimpleBaseline
// ResNet-50: 8.9). Counted: convolutions, transposed convolutions (per input position, as
// mmcv), linear layers, matrix products (mm, addmm, bmm, matmul — so attention's QKᵀ and AV
// count) and fused attention. Not counted: biases, BatchNorm, activations, pooling and
// upsampling, which mmcv adds as one operation per element (a few percent more).
#include <cstdint>

#include "posekd/nn/model.h"

namespace posekd::nn {

struct ModelComplexity {
  int64_t params = 0;  // trainable and frozen parameters, not buffers
  int64_t macs = 0;    // per image at the model's input size
  double gflops() const { return double(macs) * 1e-9; }
};

int64_t count_parameters(const torch::nn::Module& module);

// Runs one image of zeros through `model` in eval mode without gradients, observing every
// operator LibTorch dispatches (at::RecordFunction, LibTorch's forward hook). The model's
// training flag and state are left as they were.
ModelComplexity measure_complexity(PoseModelImpl& model);

}  // namespace posekd::nn
