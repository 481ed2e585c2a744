#pragma once
// The random source of augmentation, seeded per sample from (seed, epoch, sample index), so
// a sample's augmentation never depends on worker count or order (core/rng.h).
#include <cstdint>

#include "posekd/core/rng.h"

namespace posekd {

class SampleRng : public Rng {
 public:
  using Rng::Rng;
  static SampleRng for_sample(uint64_t seed, uint64_t epoch, uint64_t sample_index);
};

}  // namespace posekd
