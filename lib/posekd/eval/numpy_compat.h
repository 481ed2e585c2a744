#pragma once
// NumPy's arithmetic where the reference evaluators' results depend on it bit for bit:
// np.sum's pairwise summation, np.linspace, np.round and the unstable argsort (introsort) that
// HRNet's oks_nms orders scores with. Modelled on NumPy 1.24 (Debian 12), read from its C
// sources; the unit tests check each against values NumPy printed.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace posekd::numpy {

// np.spacing(1.0): the epsilon the references add to areas and denominators.
constexpr double spacing1 = 2.220446049250313e-16;

// np.sum / np.add.reduce over a float64 vector: starts from 0.0 and sums pairwise, blocks of
// at most 128 summed with 8 interleaved accumulators.
double pairwise_sum(const double* values, std::size_t n, std::size_t stride = 1);
inline double pairwise_sum(const std::vector<double>& v) { return pairwise_sum(v.data(), v.size()); }
// np.mean: the pairwise sum divided by the count.
inline double mean(const std::vector<double>& v) { return pairwise_sum(v) / static_cast<double>(v.size()); }

// np.linspace(start, stop, num, endpoint=True): i * step + start, the last value set to stop.
std::vector<double> linspace(double start, double stop, int num);

// np.round(x, decimals) for decimals >= 0: rint(x * 10**d) / 10**d (ties to even).
double round_decimals(double x, int decimals);

// np.argsort(values) with the default kind: NumPy's introsort (median-of-3 quicksort, insertion
// sort below 17 elements, heapsort past 2*log2(n) levels). Not stable; the order of equal
// values is NumPy's.
std::vector<int64_t> argsort_quicksort(const std::vector<double>& values);

}  // namespace posekd::numpy
