#include "posekd/data/transforms_random.h"

namespace posekd {

SampleRng SampleRng::for_sample(uint64_t seed, uint64_t epoch, uint64_t sample_index) {
  // Each coordinate goes through the mixer separately, so (seed, epoch, i) and
  // (seed, epoch + 1, i - 1) do not collide.
  uint64_t x = seed;
  uint64_t h = splitmix64(x);
  x = h ^ epoch;
  h = splitmix64(x);
  x = h ^ sample_index;
  return SampleRng(splitmix64(x));
}

}  // namespace posekd
