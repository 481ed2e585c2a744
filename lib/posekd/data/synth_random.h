#pragma once
// The random numbers of pose-synth. Every image draws from its own stream, derived from the
// seed, the split and the image index, so the output is the same whatever the thread count.
// The generator (xoshiro256**, seeded through splitmix64) and the distributions are written
// out here rather than taken from <random>, whose distributions differ between standard
// libraries: a seed must give the same dataset on every platform.
#include <cmath>
#include <cstdint>
#include <string>

namespace posekd::synth {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline uint64_t fnv1a64(const std::string& text) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& word : s_) word = splitmix64(seed);
  }
  // The stream of one (seed, purpose, index): purposes ("train/image", "train/noise", ...)
  // keep the label noise from shifting the images' random numbers.
  static Rng stream(uint64_t seed, const std::string& purpose, uint64_t index) {
    uint64_t mix = seed;
    const uint64_t a = splitmix64(mix) ^ fnv1a64(purpose);
    mix = a;
    return Rng(splitmix64(mix) ^ (index * 0xD1B54A32D192ED03ull));
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int integer(int lo, int hi) {  // [lo, hi], inclusive
    return lo + static_cast<int>(uniform() * (hi - lo + 1));
  }
  bool chance(double p) { return uniform() < p; }
  double normal() {  // Box-Muller; one value per call keeps the stream simple to reason about
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // A normal variate clamped to [-limit, limit] standard deviations, scaled to `half_range`:
  // joint angles cluster around rest but still reach the ends of their range.
  double bounded(double half_range, double limit = 2.0) {
    double z = normal();
    z = z < -limit ? -limit : (z > limit ? limit : z);
    return z / limit * half_range;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace posekd::synth
