#pragma once
// IEEE 754 binary16 <-> binary32, done by posekd rather than by HDF5 (DESIGN 3.4): HDF5
// 1.10's own float32 -> float16 conversion drops the rounding carry and is slow
// (tests/bench/bench_float16.cpp measures both).
// Rounding is to nearest, ties to even; subnormals, infinities and NaN payloads are kept
// (NaNs come back quiet), values at or above 65520 in magnitude become infinity.
#include <cstddef>
#include <cstdint>

namespace posekd {

// The raw bits of one binary16 value, a distinct type so that a buffer of halves is never
// mistaken for uint16 data.
struct Half {
  uint16_t bits = 0;
};

uint16_t float_to_half_bits(float value);
float half_bits_to_float(uint16_t bits);

// Bulk conversions; they use the CPU's F16C instructions when present (same results as the
// scalar functions, bit for bit).
void floats_to_halves(const float* in, Half* out, size_t count);
void halves_to_floats(const Half* in, float* out, size_t count);

// Whether the bulk conversions run on F16C on this machine (reported by the benchmark).
bool float16_uses_f16c();

}  // namespace posekd
