#include "posekd/eval/numpy_compat.h"

#include <cmath>
#include <utility>

namespace posekd::numpy {

double pairwise_sum(const double* a, std::size_t n, std::size_t stride) {
  if (n < 8) {
    double sum = 0.;
    for (std::size_t i = 0; i < n; ++i) sum += a[i * stride];
    return sum;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j * stride];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[(i + j) * stride];
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += a[i * stride];
    return sum;
  }
  std::size_t half = n / 2;
  half -= half % 8;
  return pairwise_sum(a, half, stride) + pairwise_sum(a + half * stride, n - half, stride);
}

std::vector<double> linspace(double start, double stop, int num) {
  std::vector<double> out(static_cast<std::size_t>(num));
  if (num == 1) {
    out[0] = start;
    return out;
  }
  const double step = (stop - start) / static_cast<double>(num - 1);
  for (int i = 0; i < num; ++i) out[static_cast<std::size_t>(i)] = static_cast<double>(i) * step + start;
  out.back() = stop;
  return out;
}

double round_decimals(double x, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::nearbyint(x * scale) / scale;
}

namespace {

// NumPy's float ordering: NaN after everything.
inline bool less(double a, double b) { return a < b || (b != b && a == a); }

void heapsort_indices(const double* v, int64_t* tosort, int64_t n) {
  int64_t* a = tosort - 1;  // 1-based heap indexing, as NumPy's aheapsort
  int64_t i, j, l, tmp;
  for (l = n >> 1; l > 0; --l) {
    tmp = a[l];
    for (i = l, j = l << 1; j <= n;) {
      if (j < n && less(v[a[j]], v[a[j + 1]])) j += 1;
      if (less(v[tmp], v[a[j]])) {
        a[i] = a[j];
        i = j;
        j += j;
      } else {
        break;
      }
    }
    a[i] = tmp;
  }
  for (; n > 1;) {
    tmp = a[n];
    a[n] = a[1];
    n -= 1;
    for (i = 1, j = 2; j <= n;) {
      if (j < n && less(v[a[j]], v[a[j + 1]])) j++;
      if (less(v[tmp], v[a[j]])) {
        a[i] = a[j];
        i = j;
        j += j;
      } else {
        break;
      }
    }
    a[i] = tmp;
  }
}

int most_significant_bit(uint64_t n) {
  int depth = 0;
  while (n >>= 1) ++depth;
  return depth;
}

}  // namespace

std::vector<int64_t> argsort_quicksort(const std::vector<double>& values) {
  constexpr int64_t small_quicksort = 15;
  const int64_t num = static_cast<int64_t>(values.size());
  std::vector<int64_t> order(values.size());
  for (int64_t i = 0; i < num; ++i) order[static_cast<std::size_t>(i)] = i;
  if (num < 2) return order;
  const double* v = values.data();
  int64_t* pl = order.data();
  int64_t* pr = pl + num - 1;
  std::vector<int64_t*> stack;
  std::vector<int> depth_stack;
  int depth = most_significant_bit(static_cast<uint64_t>(num)) * 2;
  for (;;) {
    if (depth < 0) {
      heapsort_indices(v, pl, pr - pl + 1);
    } else {
      while ((pr - pl) > small_quicksort) {
        int64_t* pm = pl + ((pr - pl) >> 1);
        if (less(v[*pm], v[*pl])) std::swap(*pm, *pl);
        if (less(v[*pr], v[*pm])) std::swap(*pr, *pm);
        if (less(v[*pm], v[*pl])) std::swap(*pm, *pl);
        const double pivot = v[*pm];
        int64_t* pi = pl;
        int64_t* pj = pr - 1;
        std::swap(*pm, *pj);
        for (;;) {
          do ++pi;
          while (less(v[*pi], pivot));
          do --pj;
          while (less(pivot, v[*pj]));
          if (pi >= pj) break;
          std::swap(*pi, *pj);
        }
        std::swap(*pi, *(pr - 1));
        // The larger partition waits on the stack.
        if (pi - pl < pr - pi) {
          stack.push_back(pi + 1);
          stack.push_back(pr);
          pr = pi - 1;
        } else {
          stack.push_back(pl);
          stack.push_back(pi - 1);
          pl = pi + 1;
        }
        depth_stack.push_back(--depth);
      }
      for (int64_t* pi = pl + 1; pi <= pr; ++pi) {
        const int64_t vi = *pi;
        const double vp = v[vi];
        int64_t* pj = pi;
        int64_t* pk = pi - 1;
        while (pj > pl && less(vp, v[*pk])) *pj-- = *pk--;
        *pj = vi;
      }
    }
    if (stack.empty()) break;
    pr = stack.back();
    stack.pop_back();
    pl = stack.back();
    stack.pop_back();
    depth = depth_stack.back();
    depth_stack.pop_back();
  }
  return order;
}

}  // namespace posekd::numpy
