#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "posekd/io/float16.h"

using namespace posekd;

namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// The reference: exact double arithmetic. A finite float is scaled by the half ulp of its
// binade (exact: a power of two), rounded to an integer with ties to even by nearbyint in
// the default rounding mode, and the exact result re-encoded.
uint16_t reference_half(float f) {
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  if (std::isnan(f)) return sign | 0x7e00 | ((bits_of(f) >> 13) & 0x3ff);
  const double a = std::fabs(static_cast<double>(f));
  if (a >= 65520.0) return sign | 0x7c00;  // 65520 is halfway between 65504 and 2^16
  if (a == 0) return sign;
  const int e = std::max(static_cast<int>(std::floor(std::log2(a))), -14);
  const double ulp = std::ldexp(1.0, e - 10);
  const double rounded = std::nearbyint(a / ulp) * ulp;
  if (rounded == 0) return sign;
  const int re = std::max(static_cast<int>(std::floor(std::log2(rounded))), -14);
  if (rounded < std::ldexp(1.0, -14)) return sign | static_cast<uint16_t>(rounded / std::ldexp(1.0, -24));
  const auto mantissa = static_cast<uint16_t>(rounded / std::ldexp(1.0, re - 10) - 1024);
  return sign | static_cast<uint16_t>((re + 15) << 10) | mantissa;
}

bool is_half_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

void check_bulk_equals_scalar(const std::vector<float>& values) {
  std::vector<Half> bulk(values.size());
  floats_to_halves(values.data(), bulk.data(), values.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < values.size(); ++i) mismatches += bulk[i].bits != float_to_half_bits(values[i]);
  CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("float16: known values, ties to even, subnormals, overflow, inf and nan") {
  CHECK(float_to_half_bits(0.0f) == 0x0000);
  CHECK(float_to_half_bits(-0.0f) == 0x8000);
  CHECK(float_to_half_bits(1.0f) == 0x3c00);
  CHECK(float_to_half_bits(-2.0f) == 0xc000);
  CHECK(float_to_half_bits(65504.0f) == 0x7bff);  // largest finite half
  CHECK(float_to_half_bits(65519.996f) == 0x7bff);
  CHECK(float_to_half_bits(65520.0f) == 0x7c00);  // the tie rounds to even: infinity
  CHECK(float_to_half_bits(1e9f) == 0x7c00);
  CHECK(float_to_half_bits(std::numeric_limits<float>::infinity()) == 0x7c00);
  CHECK(float_to_half_bits(-std::numeric_limits<float>::infinity()) == 0xfc00);
  CHECK(is_half_nan(float_to_half_bits(std::numeric_limits<float>::quiet_NaN())));
  // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: even mantissa (1) wins.
  CHECK(float_to_half_bits(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
  // 1 + 3*2^-11 is halfway between mantissas 1 and 2: rounds up to even 2.
  CHECK(float_to_half_bits(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
  // The carry out of the mantissa steps into the exponent: 2 - 2^-12 rounds to 2.
  CHECK(float_to_half_bits(2.0f - std::ldexp(1.0f, -12)) == 0x4000);
  CHECK(float_to_half_bits(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
  CHECK(float_to_half_bits(std::ldexp(1.0f, -25)) == 0x0000);  // tie with zero: even
  CHECK(float_to_half_bits(std::ldexp(1.5f, -25)) == 0x0001);
  CHECK(float_to_half_bits(std::ldexp(3.0f, -25)) == 0x0002);  // 1.5 subnormal steps: tie to even 2
  CHECK(float_to_half_bits(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -25)) == 0x0400);  // rounds up to min normal
  CHECK(half_bits_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(half_bits_to_float(0x7bff) == 65504.0f);
  CHECK(std::isinf(half_bits_to_float(0xfc00)));
  CHECK(std::isnan(half_bits_to_float(0x7e00)));
}

TEST_CASE("float16: all 2^16 halves go to float and back unchanged") {
  std::vector<Half> halves(65536), back(65536);
  std::vector<float> floats(65536);
  for (uint32_t h = 0; h < 65536; ++h) halves[h].bits = static_cast<uint16_t>(h);
  halves_to_floats(halves.data(), floats.data(), floats.size());
  floats_to_halves(floats.data(), back.data(), back.size());
  size_t wrong = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const auto hb = static_cast<uint16_t>(h);
    wrong += bits_of(floats[h]) != bits_of(half_bits_to_float(hb));
    if (is_half_nan(hb)) {
      // NaNs come back quiet with their sign and payload.
      wrong += back[h].bits != (hb | 0x0200) || float_to_half_bits(floats[h]) != (hb | 0x0200);
    } else {
      wrong += back[h].bits != hb || float_to_half_bits(floats[h]) != hb;
      wrong += reference_half(floats[h]) != hb;
    }
  }
  CHECK(wrong == 0);
}

TEST_CASE("float16: every midpoint between adjacent halves and its neighbours match the exact reference") {
  std::vector<float> values;
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    const float lo = half_bits_to_float(static_cast<uint16_t>(h));
    const float hi = h + 1 == 0x7c00 ? 65536.0f : half_bits_to_float(static_cast<uint16_t>(h + 1));
    const float mid = static_cast<float>((static_cast<double>(lo) + hi) / 2);  // exact: 12 significant bits
    for (float v : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e30f)}) {
      values.push_back(v);
      values.push_back(-v);
    }
  }
  size_t wrong = 0;
  for (float v : values) wrong += float_to_half_bits(v) != reference_half(v);
  CHECK(wrong == 0);
  check_bulk_equals_scalar(values);
}

TEST_CASE("float16: a sweep over float32 bit patterns matches the exact reference") {
  std::vector<float> values;
  // Every 251st pattern of the whole space (prime stride: all mantissa residues are hit).
  for (uint64_t u = 0; u < (1ull << 32); u += 251) values.push_back(float_of(static_cast<uint32_t>(u)));
  size_t wrong = 0;
  uint32_t first_wrong = 0;
  for (float v : values) {
    const uint16_t got = float_to_half_bits(v), want = reference_half(v);
    if (got != want && !(is_half_nan(got) && is_half_nan(want) && got == want)) {
      if (!wrong) first_wrong = bits_of(v);
      ++wrong;
    }
  }
  CAPTURE(first_wrong);
  CHECK(wrong == 0);
  check_bulk_equals_scalar(values);
}
