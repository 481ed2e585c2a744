#pragma once
// Percentage of correct keypoints against a per-person normaliser: the engine behind MPII's
// PCKh (head size), LSP's PCK (torso) and the generic bbox PCK. Values are percentages.
#include <cstdint>
#include <string>
#include <vector>

namespace posekd {

// One person: ground truth and prediction in image pixels, and the length that a threshold
// of 1 means for this person.
struct PckSample {
  std::vector<double> gt;        // K × (x, y)
  std::vector<uint8_t> visible;  // K; invisible joints count nowhere
  std::vector<double> pred;      // K × (x, y)
  double normalizer = 1;
};

struct PckOptions {
  std::vector<double> thresholds;  // in units of the normaliser
  bool strict = false;             // error < thr instead of HRNet's error <= thr
  // Mean over `mean_joints`: pooled (HRNet: each joint weighted by its visible count, i.e. all
  // correct joints over all visible ones) or the plain mean of the per-joint values (mmpose).
  bool pooled_mean = true;
  std::vector<int> mean_joints;  // empty: all
};

struct PckTable {
  std::vector<double> thresholds;
  int num_joints = 0;
  std::vector<double> per_joint;      // [threshold][joint], percent; NaN where no joint is visible
  std::vector<int64_t> joint_counts;  // visible joints per joint
  std::vector<double> mean;           // [threshold]
  double at(std::size_t threshold, int joint) const { return per_joint[threshold * num_joints + joint]; }
  // The mean over thresholds of `mean` (the area under the PCK curve, rectangle rule, as
  // mmpose's keypoint_auc), percent.
  double auc() const;
  std::size_t threshold_index(double threshold) const;  // exact match; throws when absent
};

// HRNet's arithmetic: error = sqrt(dx² + dy²) / normaliser, PCK = 100 · correct / visible.
PckTable compute_pck(const std::vector<PckSample>& samples, int num_joints, const PckOptions& options);

// np.arange(0, stop + step/2, step) for step 0.01 as HRNet's `np.arange(0, 0.5 + 0.01, 0.01)`:
// i * 0.01.
std::vector<double> hundredths_up_to(double stop);

}  // namespace posekd
