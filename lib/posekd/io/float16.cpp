#include "posekd/io/float16.h"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define POSEKD_HAVE_X86 1
#endif

namespace posekd {
namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

#ifdef POSEKD_HAVE_X86
__attribute__((target("avx,f16c"))) void floats_to_halves_f16c(const float* in, Half* out, size_t count) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  for (; i < count; ++i) out[i].bits = float_to_half_bits(in[i]);
}

__attribute__((target("avx,f16c"))) void halves_to_floats_f16c(const Half* in, float* out, size_t count) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  for (; i < count; ++i) out[i] = half_bits_to_float(in[i].bits);
}

const bool has_f16c = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
#else
const bool has_f16c = false;
#endif

}  // namespace

// After F. Giesen's round-to-nearest-even construction: the exponent is rebiased in the
// integer domain and the carry out of the mantissa rounding may step into the exponent
// (that carry is what HDF5 1.10 loses); subnormal results are rounded by the FPU itself by
// adding a magic number whose ulp is exactly the half subnormal step.
uint16_t float_to_half_bits(float value) {
  constexpr uint32_t f32_inf = 255u << 23;
  constexpr uint32_t f16_overflow = (127u + 16u) << 23;  // 2^16: everything above rounds to inf
  constexpr uint32_t min_normal = 113u << 23;            // 2^-14, the smallest normal half
  constexpr uint32_t subnormal_magic = ((127u - 15u) + (23u - 10u) + 1u) << 23;  // 0.5f, ulp 2^-24

  uint32_t x = bits_of(value);
  const uint32_t sign = x & 0x80000000u;
  x ^= sign;
  uint32_t out;
  if (x >= f16_overflow) {
    out = x > f32_inf ? 0x7e00u | ((x >> 13) & 0x3ffu) : 0x7c00u;
  } else if (x < min_normal) {
    out = bits_of(float_of(x) + float_of(subnormal_magic)) - subnormal_magic;
  } else {
    const uint32_t mantissa_odd = (x >> 13) & 1u;
    x += (static_cast<uint32_t>(15 - 127) << 23) + 0xfffu;
    x += mantissa_odd;
    out = x >> 13;
  }
  return static_cast<uint16_t>(out | (sign >> 16));
}

float half_bits_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  // NaNs come out quiet, as F16C's vcvtph2ps makes them.
  if (exponent == 0x1f) return float_of(sign | 0x7f800000u | (mantissa ? 0x400000u : 0u) | (mantissa << 13));
  if (exponent != 0) return float_of(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  // Zero or subnormal: mantissa * 2^-24 is exact in float.
  const float magnitude = static_cast<float>(mantissa) * float_of(0x33800000u);
  return float_of(sign | bits_of(magnitude));
}

void floats_to_halves(const float* in, Half* out, size_t count) {
#ifdef POSEKD_HAVE_X86
  if (has_f16c) return floats_to_halves_f16c(in, out, count);
#endif
  for (size_t i = 0; i < count; ++i) out[i].bits = float_to_half_bits(in[i]);
}

void halves_to_floats(const Half* in, float* out, size_t count) {
#ifdef POSEKD_HAVE_X86
  if (has_f16c) return halves_to_floats_f16c(in, out, count);
#endif
  for (size_t i = 0; i < count; ++i) out[i] = half_bits_to_float(in[i].bits);
}

bool float16_uses_f16c() { return has_f16c; }

}  // namespace posekd
