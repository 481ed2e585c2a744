#pragma once
// The random numbers of pose-synth. Every image draws from its own stream, derived from the
// seed, the split and the image index, so the output is the same whatever the thread count.
// The generator and its distributions are posekd::Rng (core/rng.h).
#include <cstdint>
#include <string>

#include "posekd/core/rng.h"

namespace posekd::synth {

class Rng : public posekd::Rng {
 public:
  using posekd::Rng::Rng;

  // The stream of one (seed, purpose, index): purposes ("train/image", "train/noise", ...)
  // keep the label noise from shifting the images' random numbers.
  static Rng stream(uint64_t seed, const std::string& purpose, uint64_t index) {
    uint64_t mix = seed;
    const uint64_t a = splitmix64(mix) ^ fnv1a64(purpose);
    mix = a;
    return Rng(splitmix64(mix) ^ (index * 0xD1B54A32D192ED03ull));
  }

  // A normal variate clamped to [-limit, limit] standard deviations, scaled to `half_range`:
  // joint angles cluster around rest but still reach the ends of their range.
  double bounded(double half_range, double limit = 2.0) {
    double z = normal();
    z = z < -limit ? -limit : (z > limit ? limit : z);
    return z / limit * half_range;
  }
};

}  // namespace posekd::synth
