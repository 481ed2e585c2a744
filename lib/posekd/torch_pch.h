// Precompiled header of the LibTorch side (DESIGN 2): parsing <torch/torch.h> costs ~27 s per
// translation unit, so it is parsed once here. Headers outside nn/, loss/, train/ and the
// *_tensor files never include LibTorch.
#pragma once
#include <torch/torch.h>
