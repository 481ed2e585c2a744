#include "posekd/loss/two_stage_losses.h"

#include <torch/nn/functional/upsampling.h>

#include <limits>

#include "posekd/core/error.h"

namespace posekd::loss {

namespace F = torch::nn::functional;

double two_stage_decay(int64_t epoch, int64_t epochs) {
  if (epochs <= 0 || epoch < 0 || epoch >= epochs)
    throw Error("two_stage_decay: epoch " + std::to_string(epoch) + " outside a run of " + std::to_string(epochs));
  return 1.0 - double(epoch) / double(epochs);
}

namespace {
torch::Tensor expected_bin(const torch::Tensor& logits, double beta, double radius) {
  const auto bins = torch::arange(logits.size(-1), logits.options());
  auto scaled = logits * beta;
  if (radius > 0) {
    const auto peak = logits.detach().argmax(-1, true).to(logits.scalar_type());
    scaled = scaled.masked_fill((bins - peak).abs() > radius, -std::numeric_limits<double>::infinity());
  }
  return (torch::softmax(scaled, -1) * bins).sum(-1);
}
}  // namespace

torch::Tensor simcc_expected_positions(const torch::Tensor& logits_x, const torch::Tensor& logits_y,
                                       double split_ratio, double beta, double radius) {
  if (logits_x.dim() != 3 || logits_y.dim() != 3 || logits_x.size(0) != logits_y.size(0) ||
      logits_x.size(1) != logits_y.size(1))
    throw Error("simcc_expected_positions: expected logits [N,K,Wx] and [N,K,Wy], found " +
                c10::str(logits_x.sizes()) + " and " + c10::str(logits_y.sizes()));
  return torch::stack({expected_bin(logits_x, beta, radius), expected_bin(logits_y, beta, radius)}, -1) /
         split_ratio;
}

torch::Tensor feature_distill_mse(const torch::Tensor& aligned_student, const torch::Tensor& teacher) {
  if (aligned_student.dim() != 4 || teacher.dim() != 4 || aligned_student.size(0) != teacher.size(0) ||
      aligned_student.size(1) != teacher.size(1))
    throw Error("feature_distill_mse: aligned student feature " + c10::str(aligned_student.sizes()) +
                " and teacher feature " + c10::str(teacher.sizes()) + " differ in batch or channels");
  torch::Tensor student = aligned_student;
  if (student.size(2) != teacher.size(2) || student.size(3) != teacher.size(3))
    student = F::interpolate(student, F::InterpolateFuncOptions()
                                          .size(std::vector<int64_t>{teacher.size(2), teacher.size(3)})
                                          .mode(torch::kBilinear)
                                          .align_corners(false));
  return (student - teacher.detach()).pow(2).sum() / double(teacher.size(0));
}

torch::Tensor paper_input_pixels(const torch::Tensor& pixels, int64_t width, int64_t height) {
  if (pixels.dim() != 3 || pixels.size(2) != 2)
    throw Error("paper_input_pixels: expected positions [N,K,2], found " + c10::str(pixels.sizes()));
  if (width <= 0 || height <= 0)
    throw Error("paper_input_pixels: input " + std::to_string(width) + "x" + std::to_string(height) + " is empty");
  const double sx = double(kPaperInputWidth) / double(width), sy = double(kPaperInputHeight) / double(height);
  return pixels * torch::tensor({sx, sy}, pixels.options());
}

PoseStructureTerms pose_structure_l1(const torch::Tensor& student, const torch::Tensor& teacher,
                                     const torch::Tensor& mask, const std::vector<std::pair<int, int>>& edges,
                                     const std::vector<double>& edge_weights) {
  if (student.sizes() != teacher.sizes() || student.dim() != 3 || student.size(2) != 2)
    throw Error("pose_structure_l1: expected student and teacher positions [N,K,2], found " +
                c10::str(student.sizes()) + " and " + c10::str(teacher.sizes()));
  if (mask.dim() != 2 || mask.size(0) != student.size(0) || mask.size(1) != student.size(1))
    throw Error("pose_structure_l1: expected the mask [N,K] of positions " + c10::str(student.sizes()) + ", found " +
                c10::str(mask.sizes()));
  if (!edge_weights.empty() && edge_weights.size() != edges.size())
    throw Error("pose_structure_l1: " + std::to_string(edge_weights.size()) + " edge weights for " +
                std::to_string(edges.size()) + " edges");
  const auto t = teacher.detach();
  const auto m = mask.detach().to(student.dtype());
  PoseStructureTerms terms;
  terms.position = ((student - t).abs() * m.unsqueeze(-1)).sum() / double(student.size(1) * 2);
  terms.bones = torch::zeros({}, student.options());
  if (edges.empty()) return terms;

  const int64_t joints = student.size(1);
  std::vector<int64_t> from, to;
  for (const auto& [i, j] : edges) {
    if (i < 0 || j < 0 || i >= joints || j >= joints)
      throw Error("pose_structure_l1: edge (" + std::to_string(i) + ", " + std::to_string(j) + ") outside " +
                  std::to_string(joints) + " joints");
    from.push_back(i);
    to.push_back(j);
  }
  const auto index_options = torch::TensorOptions().dtype(torch::kLong).device(student.device());
  const auto a = torch::tensor(from, index_options), b = torch::tensor(to, index_options);
  // The 1e-12 under the root keeps its gradient finite when two joints coincide (a freshly
  // initialised SimCC head puts every joint near the crop centre).
  const auto length = [&](const torch::Tensor& p) {
    return (p.index_select(1, b) - p.index_select(1, a)).pow(2).sum(-1).add(1e-12).sqrt();
  };
  std::vector<double> w = edge_weights;
  if (w.empty()) w.assign(edges.size(), 1.0 / double(edges.size()));
  const auto weights = torch::tensor(w, student.options()).unsqueeze(0);
  const auto both = m.index_select(1, a) * m.index_select(1, b);
  terms.bones = ((length(t) - length(student)).abs() * both * weights).sum();
  return terms;
}

}  // namespace posekd::loss
