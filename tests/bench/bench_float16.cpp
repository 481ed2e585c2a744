// float32 -> float16 and back: posekd's converter against HDF5 1.10's own conversion
// (H5Tconvert between H5T_NATIVE_FLOAT and the binary16 type h5py uses), in one run.
// Prints MB/s of float32 input, the ratio, and how many HDF5 results differ from the
// correctly rounded ones.
#include <hdf5.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "posekd/io/float16.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

hid_t make_half_type() {
  hid_t t = H5Tcopy(H5T_IEEE_F32LE);
  H5Tset_fields(t, 15, 10, 5, 0, 10);
  H5Tset_size(t, 2);
  H5Tset_ebias(t, 15);
  return t;
}

template <typename F>
double best_of(int runs, F&& f) {
  double best = 1e30;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

}  // namespace

int main() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const size_t n = size_t{1} << 23;  // 8 Mi values, 32 MiB of float32
  const double mb = n * sizeof(float) / 1e6;
  std::mt19937 rng(7);
  // Heatmap-like values: mostly small, a Gaussian peak near 1, some negatives.
  std::uniform_real_distribution<float> uniform(-0.05f, 1.05f);
  std::vector<float> input(n);
  for (auto& v : input) v = uniform(rng);
  // Every bit pattern of one binade's last bits, so rounding carries occur.
  for (size_t i = 0; i < n / 8; ++i) {
    uint32_t u = 0x3f7fe000u + static_cast<uint32_t>(i % 0x2000u);
    std::memcpy(&input[i * 8], &u, 4);
  }

  std::vector<posekd::Half> ours(n);
  std::vector<float> back(n);
  const double t_ours = best_of(5, [&] { posekd::floats_to_halves(input.data(), ours.data(), n); });
  const double t_ours_back = best_of(5, [&] { posekd::halves_to_floats(ours.data(), back.data(), n); });
  const double t_scalar = best_of(3, [&] {
    for (size_t i = 0; i < n; ++i) ours[i].bits = posekd::float_to_half_bits(input[i]);
  });

  const hid_t half = make_half_type();
  std::vector<unsigned char> buf(n * sizeof(float));
  const double t_hdf5 = best_of(3, [&] {
    std::memcpy(buf.data(), input.data(), buf.size());
    H5Tconvert(H5T_NATIVE_FLOAT, half, n, buf.data(), nullptr, H5P_DEFAULT);
  });
  size_t differ = 0;
  uint32_t example_in = 0;
  uint16_t example_hdf5 = 0, example_ours = 0;
  for (size_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, buf.data() + 2 * i, 2);
    if (h != ours[i].bits) {
      if (!differ) {
        std::memcpy(&example_in, &input[i], 4);
        example_hdf5 = h;
        example_ours = ours[i].bits;
      }
      ++differ;
    }
  }
  std::vector<unsigned char> buf_back(n * sizeof(float));
  const double t_hdf5_back = best_of(3, [&] {
    for (size_t i = 0; i < n; ++i) std::memcpy(buf_back.data() + 2 * i, &ours[i].bits, 2);
    H5Tconvert(half, H5T_NATIVE_FLOAT, n, buf_back.data(), nullptr, H5P_DEFAULT);
  });

  std::printf("float16 conversion of %zu values (%.1f MB of float32), best of runs; F16C %s\n", n, mb,
              posekd::float16_uses_f16c() ? "used" : "not available");
  std::printf("  float32 -> float16  posekd bulk   %9.1f MB/s\n", mb / t_ours);
  std::printf("  float32 -> float16  posekd scalar %9.1f MB/s\n", mb / t_scalar);
  std::printf("  float32 -> float16  HDF5 1.10     %9.1f MB/s   posekd/HDF5 = %.1fx\n", mb / t_hdf5, t_hdf5 / t_ours);
  std::printf("  float16 -> float32  posekd bulk   %9.1f MB/s\n", mb / t_ours_back);
  std::printf("  float16 -> float32  HDF5 1.10     %9.1f MB/s   posekd/HDF5 = %.1fx\n", mb / t_hdf5_back,
              t_hdf5_back / t_ours_back);
  std::printf("  HDF5 results differing from the correctly rounded ones: %zu of %zu", differ, n);
  if (differ) std::printf(" (e.g. 0x%08x -> HDF5 0x%04x, correct 0x%04x)", example_in, example_hdf5, example_ours);
  std::printf("\n");
  H5Tclose(half);
  return 0;
}
