#pragma once
// posekd's random numbers: xoshiro256** seeded through splitmix64, with the distributions
// written out rather than taken from <random>, whose distributions differ between standard
// libraries — a seed gives the same dataset and the same augmentation on every platform.
// Callers derive one stream per unit of work (an image, a sample in an epoch), so results do
// not depend on thread counts.
#include <cstdint>
#include <string_view>

namespace posekd {

uint64_t splitmix64(uint64_t& state);
uint64_t fnv1a64(std::string_view text);

class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t next();
  double uniform();  // [0, 1), 53 bits
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int integer(int lo, int hi) { return lo + static_cast<int>(uniform() * (hi - lo + 1)); }  // [lo, hi]
  bool chance(double p) { return uniform() < p; }
  double normal();  // N(0, 1), Box–Muller, one value per call
  double normal(double mean, double sd) { return mean + sd * normal(); }
  uint64_t below(uint64_t n);  // uniform in [0, n), unbiased; n > 0

 private:
  uint64_t s_[4];
};

}  // namespace posekd
