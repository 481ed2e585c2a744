#pragma once
// Supervised losses of the `gt` objective, each as its reference computes it, so loss curves
// compare with HRNet's and mmpose's logs.
#include <torch/types.h>

#include <vector>

namespace posekd::loss {

// HRNet's JointsMSELoss (use_target_weight=True): 0.5 · mean over joints of
// MSE(pred·w, target·w), MSE averaged over batch and pixels. pred, target [N,K,h,w]; weights [N,K].
torch::Tensor joints_mse(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& weights);

// Intermediate supervision: the sum of joints_mse over every stack's output (Newell et al.;
// mmpose's multi-stage heads add the stages' losses).
torch::Tensor stacked_joints_mse(const std::vector<torch::Tensor>& stacks, const torch::Tensor& target,
                                 const torch::Tensor& weights);

struct SimccLossOptions {
  double beta = 1.0;           // softmax temperature on the logits (mmpose default; RTMPose: 10)
  bool label_softmax = false;  // softmax(label · label_beta) on the labels (RTMPose: true)
  double label_beta = 10.0;
};

// mmpose's KLDiscretLoss (use_target_weight=True): per joint and axis, the mean over bins of
// KL(label ‖ softmax(β·logits)) times the joint's weight; summed over joints, samples and both
// axes, divided by K (not by N: mmpose's quirk, the loss grows with the batch size).
// logits and labels [N,K,bins] per axis; weights [N,K].
torch::Tensor simcc_kl(const torch::Tensor& logits_x, const torch::Tensor& logits_y, const torch::Tensor& labels_x,
                       const torch::Tensor& labels_y, const torch::Tensor& weights, const SimccLossOptions& options);

// mmpose's SmoothL1Loss (use_target_weight=True, β = 1): smooth-L1 of (pred·w, target·w),
// averaged over N·K·2. Coordinates normalised to the input (x/w, y/h). pred, target [N,K,2].
torch::Tensor regression_smooth_l1(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& weights);

}  // namespace posekd::loss
