#include "posekd/loss/gt_losses.h"

#include <torch/nn/functional/loss.h>

#include "posekd/core/error.h"

namespace posekd::loss {

namespace F = torch::nn::functional;

torch::Tensor joints_mse(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& weights) {
  if (pred.sizes() != target.sizes())
    throw Error("joints_mse: prediction " + c10::str(pred.sizes()) + " and target " + c10::str(target.sizes()) +
                " differ");
  // HRNet sums 0.5·MSE per joint and divides by K: the same as 0.5 · the mean over all elements.
  const auto w = weights.reshape({weights.size(0), weights.size(1), 1, 1});
  return 0.5 * (pred * w - target * w).pow(2).mean();
}

torch::Tensor stacked_joints_mse(const std::vector<torch::Tensor>& stacks, const torch::Tensor& target,
                                 const torch::Tensor& weights) {
  if (stacks.empty()) throw Error("stacked_joints_mse: the model gave no heatmaps");
  torch::Tensor total = joints_mse(stacks[0], target, weights);
  for (size_t i = 1; i < stacks.size(); ++i) total = total + joints_mse(stacks[i], target, weights);
  return total;
}

namespace {
// [N,K,bins] -> [N·K] mean over bins of KL(label ‖ softmax(β·logits)); 0·log 0 = 0, as
// KLDivLoss(reduction='none').
torch::Tensor kl_per_joint(const torch::Tensor& logits, const torch::Tensor& labels, const SimccLossOptions& o) {
  const auto log_pt = torch::log_softmax(logits.reshape({-1, logits.size(-1)}) * o.beta, 1);
  auto target = labels.reshape({-1, labels.size(-1)});
  if (o.label_softmax) target = torch::softmax(target * o.label_beta, 1);
  const auto kl = torch::xlogy(target, target) - target * log_pt;
  return kl.mean(1);
}
}  // namespace

torch::Tensor simcc_kl(const torch::Tensor& logits_x, const torch::Tensor& logits_y, const torch::Tensor& labels_x,
                       const torch::Tensor& labels_y, const torch::Tensor& weights, const SimccLossOptions& options) {
  if (logits_x.sizes() != labels_x.sizes() || logits_y.sizes() != labels_y.sizes())
    throw Error("simcc_kl: logits " + c10::str(logits_x.sizes()) + "/" + c10::str(logits_y.sizes()) + " and labels " +
                c10::str(labels_x.sizes()) + "/" + c10::str(labels_y.sizes()) + " differ");
  const auto w = weights.reshape({-1});
  const auto joints = double(logits_x.size(1));
  return ((kl_per_joint(logits_x, labels_x, options) * w).sum() +
          (kl_per_joint(logits_y, labels_y, options) * w).sum()) /
         joints;
}

torch::Tensor regression_smooth_l1(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& weights) {
  if (pred.sizes() != target.sizes())
    throw Error("regression_smooth_l1: prediction " + c10::str(pred.sizes()) + " and target " +
                c10::str(target.sizes()) + " differ");
  const auto w = weights.unsqueeze(-1);
  return F::smooth_l1_loss(pred * w, target * w);
}

}  // namespace posekd::loss
