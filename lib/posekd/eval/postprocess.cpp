#include "posekd/eval/postprocess.h"

#include <cmath>

#include "posekd/eval/numpy_compat.h"
#include "posekd/eval/oks.h"

namespace posekd {

double rescore_instance(const double* kp, int k, double box_score, double threshold) {
  double sum = 0;
  int valid = 0;
  for (int j = 0; j < k; ++j) {
    const double s = kp[3 * j + 2];
    if (s > threshold) {
      sum = sum + s;
      ++valid;
    }
  }
  if (valid != 0) sum = sum / valid;
  return sum * box_score;
}

double nms_oks(const double* g, const double* d, double area_g, double area_d, const std::vector<double>& vars,
               double* terms) {
  const std::size_t k = vars.size();
  const double scale = (area_g + area_d) / 2 + numpy::spacing1;
  for (std::size_t j = 0; j < k; ++j) {
    const double dx = d[3 * j] - g[3 * j], dy = d[3 * j + 1] - g[3 * j + 1];
    const double e = (dx * dx + dy * dy) / vars[j] / scale / 2;
    terms[j] = e > 746.0 ? 0.0 : std::exp(-e);  // 0 either way; skips glibc's slow underflow path
  }
  return k == 0 ? 0.0 : numpy::pairwise_sum(terms, k) / static_cast<double>(k);
}

std::vector<std::size_t> oks_nms(const std::vector<const double*>& keypoints, const std::vector<double>& scores,
                                 const std::vector<double>& areas, const std::vector<double>& sigmas, double threshold) {
  const std::vector<double> vars = oks_variances(sigmas);
  std::vector<double> terms(vars.size());
  const std::vector<int64_t> ascending = numpy::argsort_quicksort(scores);
  std::vector<std::size_t> order(ascending.rbegin(), ascending.rend());
  std::vector<std::size_t> keep, rest;
  while (!order.empty()) {
    const std::size_t i = order[0];
    keep.push_back(i);
    rest.clear();
    for (std::size_t n = 1; n < order.size(); ++n) {
      const std::size_t j = order[n];
      if (nms_oks(keypoints[i], keypoints[j], areas[i], areas[j], vars, terms.data()) <= threshold) rest.push_back(j);
    }
    order.swap(rest);
  }
  return keep;
}

}  // namespace posekd
