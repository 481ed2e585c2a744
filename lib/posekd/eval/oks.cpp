#include "posekd/eval/oks.h"

#include <algorithm>
#include <cmath>

#include "posekd/eval/numpy_compat.h"

namespace posekd {

std::vector<double> oks_variances(const std::vector<double>& sigmas) {
  std::vector<double> vars(sigmas.size());
  for (std::size_t i = 0; i < sigmas.size(); ++i) vars[i] = (sigmas[i] * 2) * (sigmas[i] * 2);
  return vars;
}

namespace {

// exp(-e) for e past -ln(2^-1075) rounds to 0 in every libm and in NumPy's SIMD exp; glibc
// reaches that 0 through its slow underflow path, which far-off detections hit constantly.
inline double exp_neg(double e) { return e > 746.0 ? 0.0 : std::exp(-e); }

}  // namespace

double coco_oks(const OksGroundTruth& gt, const double* dt, const double* vars, int k, double* terms) {
  const double* g = gt.keypoints;
  int labelled = 0;
  for (int j = 0; j < k; ++j) labelled += g[3 * j + 2] > 0;
  // Operation order as the reference: (dx² + dy²) / var / (area + eps) / 2.
  const double scale = gt.area + numpy::spacing1;
  std::size_t n = 0;
  if (labelled > 0) {
    for (int j = 0; j < k; ++j) {
      if (!(g[3 * j + 2] > 0)) continue;
      const double dx = dt[3 * j] - g[3 * j];
      const double dy = dt[3 * j + 1] - g[3 * j + 1];
      terms[n++] = exp_neg((dx * dx + dy * dy) / vars[j] / scale / 2);
    }
  } else {
    const double x0 = gt.bbox[0] - gt.bbox[2], x1 = gt.bbox[0] + gt.bbox[2] * 2;
    const double y0 = gt.bbox[1] - gt.bbox[3], y1 = gt.bbox[1] + gt.bbox[3] * 2;
    for (int j = 0; j < k; ++j) {
      const double xd = dt[3 * j], yd = dt[3 * j + 1];
      const double dx = std::max(0.0, x0 - xd) + std::max(0.0, xd - x1);
      const double dy = std::max(0.0, y0 - yd) + std::max(0.0, yd - y1);
      terms[n++] = exp_neg((dx * dx + dy * dy) / vars[j] / scale / 2);
    }
  }
  return numpy::pairwise_sum(terms, n) / static_cast<double>(n);
}

}  // namespace posekd
