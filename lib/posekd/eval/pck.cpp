#include "posekd/eval/pck.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "posekd/core/error.h"
#include "posekd/eval/numpy_compat.h"

namespace posekd {

std::vector<double> hundredths_up_to(double stop) {
  std::vector<double> out;
  for (int i = 0;; ++i) {
    const double v = i * 0.01;
    if (v > stop + 0.005) break;
    out.push_back(v);
  }
  return out;
}

double PckTable::auc() const { return numpy::mean(mean); }

std::size_t PckTable::threshold_index(double threshold) const {
  for (std::size_t i = 0; i < thresholds.size(); ++i)
    if (thresholds[i] == threshold) return i;
  throw Error(fmt::format("PCK: threshold {} is not among the evaluated ones", threshold));
}

PckTable compute_pck(const std::vector<PckSample>& samples, int K, const PckOptions& options) {
  PckTable table;
  table.thresholds = options.thresholds;
  table.num_joints = K;
  const std::size_t nt = options.thresholds.size();
  table.joint_counts.assign(static_cast<std::size_t>(K), 0);
  std::vector<int64_t> correct(nt * K, 0);
  for (const auto& s : samples) {
    for (int j = 0; j < K; ++j) {
      if (!s.visible[j]) continue;
      ++table.joint_counts[j];
      const double dx = s.pred[2 * j] - s.gt[2 * j], dy = s.pred[2 * j + 1] - s.gt[2 * j + 1];
      const double scaled = std::sqrt(dx * dx + dy * dy) / s.normalizer;
      for (std::size_t t = 0; t < nt; ++t) {
        const double thr = options.thresholds[t];
        correct[t * K + j] += options.strict ? scaled < thr : scaled <= thr;
      }
    }
  }
  table.per_joint.resize(nt * K);
  for (std::size_t t = 0; t < nt; ++t)
    for (int j = 0; j < K; ++j)
      table.per_joint[t * K + j] = table.joint_counts[j] == 0 ? std::numeric_limits<double>::quiet_NaN()
                                                              : 100. * static_cast<double>(correct[t * K + j]) /
                                                                    static_cast<double>(table.joint_counts[j]);

  std::vector<uint8_t> in_mean(static_cast<std::size_t>(K), options.mean_joints.empty());
  for (int j : options.mean_joints) in_mean.at(static_cast<std::size_t>(j)) = 1;
  // Joints never visible have no PCK; they leave the mean instead of making it NaN.
  for (int j = 0; j < K; ++j)
    if (table.joint_counts[j] == 0) in_mean[j] = 0;
  int64_t total = 0;
  for (int j = 0; j < K; ++j)
    if (in_mean[j]) total += table.joint_counts[j];
  table.mean.resize(nt);
  std::vector<double> terms;
  for (std::size_t t = 0; t < nt; ++t) {
    terms.clear();
    if (options.pooled_mean) {
      // HRNet: np.sum(PCKh * jnt_ratio) over all joints, the masked ones as 0.
      for (int j = 0; j < K; ++j)
        terms.push_back(in_mean[j] ? table.per_joint[t * K + j] *
                                         (static_cast<double>(table.joint_counts[j]) / static_cast<double>(total))
                                   : 0.0);
      table.mean[t] = total == 0 ? std::numeric_limits<double>::quiet_NaN() : numpy::pairwise_sum(terms);
    } else {
      for (int j = 0; j < K; ++j)
        if (in_mean[j]) terms.push_back(table.per_joint[t * K + j]);
      table.mean[t] = terms.empty() ? std::numeric_limits<double>::quiet_NaN() : numpy::mean(terms);
    }
  }
  return table;
}

}  // namespace posekd
