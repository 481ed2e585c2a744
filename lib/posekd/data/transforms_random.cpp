#include "posekd/data/transforms_random.h"

#include <cmath>

namespace posekd {
namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

SampleRng::SampleRng(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

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

uint64_t SampleRng::next_u64() {
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

double SampleRng::uniform() { return double(next_u64() >> 11) * 0x1.0p-53; }

double SampleRng::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

uint64_t SampleRng::below(uint64_t n) {
  // Rejection keeps the draw unbiased for any n.
  const uint64_t limit = ~uint64_t(0) - (~uint64_t(0) % n);
  uint64_t r;
  do r = next_u64();
  while (r >= limit);
  return r % n;
}

}  // namespace posekd
