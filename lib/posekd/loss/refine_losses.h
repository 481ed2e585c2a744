#pragma once
// Losses of the refiners (pose-refine-gcn).
#include <torch/types.h>

#include <vector>

namespace posekd::loss {

// Stage 2 of the coarse-to-fine two-stage distillation: Σ_i w_i · L1((P^T − P̂_i) ⊙ M) over the
// IGP-GCN stages P̂_i, with M the joints labelled in ground truth. As OPEC-Net's training, in
// its normalised crop coordinates ([-1, 1] across the input, so twice `coords`' x/W units)
// and averaged over the labelled joints' coordinates (its L1Loss on the masked selection); a
// batch without labelled joints gives 0 (with the graph kept).
// stages and target [N,K,2] in x/W, y/H units; mask [N,K] (> 0: labelled); weights per stage.
torch::Tensor igp_l1(const std::vector<torch::Tensor>& stages, const torch::Tensor& target, const torch::Tensor& mask,
                     const std::vector<double>& weights);

// One stage's term of igp_l1, unweighted (for the logs).
torch::Tensor masked_coord_l1(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask);

}  // namespace posekd::loss
