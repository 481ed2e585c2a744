#pragma once
// The random source of augmentation. Seeded per sample from (seed, epoch, sample index), so a
// sample's augmentation never depends on worker count or order, and its own uniform/normal
// draws (not <random>'s distributions, which differ between standard libraries) make the
// stream the same on every platform.
#include <cstdint>

namespace posekd {

class SampleRng {
 public:
  explicit SampleRng(uint64_t seed);
  static SampleRng for_sample(uint64_t seed, uint64_t epoch, uint64_t sample_index);

  uint64_t next_u64();   // xoshiro256**
  double uniform();      // [0, 1), 53 bits
  double normal();       // N(0, 1), Box–Muller (one value per call)
  uint64_t below(uint64_t n);  // uniform in [0, n), n > 0

 private:
  uint64_t s_[4];
};

}  // namespace posekd
