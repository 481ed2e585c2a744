#include <doctest/doctest.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "posekd/loss/two_stage_losses.h"
#include "test_support.h"

using namespace posekd;

namespace {

// PyTorch's bilinear sampling with align_corners = false, written out: source = (dst + 0.5) ·
// in/out − 0.5, clamped at 0, the upper neighbour clamped to the last pixel.
double bilinear(const at::Tensor& map, int64_t out_h, int64_t out_w, int64_t r, int64_t c) {
  const int64_t in_h = map.size(0), in_w = map.size(1);
  const double sy = std::max(0.0, (r + 0.5) * double(in_h) / double(out_h) - 0.5);
  const double sx = std::max(0.0, (c + 0.5) * double(in_w) / double(out_w) - 0.5);
  const int64_t y0 = int64_t(sy), x0 = int64_t(sx);
  const int64_t y1 = std::min(y0 + 1, in_h - 1), x1 = std::min(x0 + 1, in_w - 1);
  const double fy = sy - double(y0), fx = sx - double(x0);
  const auto at = [&](int64_t y, int64_t x) { return map[y][x].item<double>(); };
  return (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
}

}  // namespace

TEST_CASE("two-stage: gamma(t) = 1 - (t-1)/T over 1-based epochs") {
  CHECK(loss::two_stage_decay(0, 10) == doctest::Approx(1.0));
  CHECK(loss::two_stage_decay(4, 10) == doctest::Approx(0.6));
  CHECK(loss::two_stage_decay(9, 10) == doctest::Approx(0.1));
  CHECK(loss::two_stage_decay(0, 1) == doctest::Approx(1.0));
  CHECK(test::error_of([] { loss::two_stage_decay(10, 10); }) == "two_stage_decay: epoch 10 outside a run of 10");
}

TEST_CASE("two-stage: SimCC positions are the softmax expectation of the bin, in input pixels") {
  const auto lx = torch::tensor({0.1f, 2.0f, -1.0f, 0.5f, 3.0f, 0.0f, 1.0f, -2.0f, 0.7f, 0.2f}).view({1, 2, 5});
  const auto ly = torch::tensor({1.0f, 0.0f, 2.5f, 0.3f, -0.4f, 0.9f, 1.1f, 0.2f}).view({1, 2, 4});
  const double beta = 2.0, k = 2.0;
  const auto p = loss::simcc_expected_positions(lx, ly, k, beta);
  REQUIRE(p.sizes() == at::IntArrayRef{1, 2, 2});
  const auto expect = [&](const at::Tensor& logits, int64_t joint) {
    const int64_t bins = logits.size(2);
    double z = 0, m = 0;
    for (int64_t b = 0; b < bins; ++b) z += std::exp(beta * logits[0][joint][b].item<double>());
    for (int64_t b = 0; b < bins; ++b) m += double(b) * std::exp(beta * logits[0][joint][b].item<double>()) / z;
    return m / k;
  };
  for (int64_t j = 0; j < 2; ++j) {
    CHECK(p[0][j][0].item<double>() == doctest::Approx(expect(lx, j)).epsilon(1e-6));
    CHECK(p[0][j][1].item<double>() == doctest::Approx(expect(ly, j)).epsilon(1e-6));
  }
  // A sharp distribution lands on its bin: bin 7 of split 2 is input pixel 3.5.
  auto sharp = torch::full({1, 1, 10}, -50.0f);
  sharp[0][0][7] = 50.0f;
  CHECK(loss::simcc_expected_positions(sharp, sharp, 2.0, 1.0)[0][0][0].item<double>() == doctest::Approx(3.5));
}

TEST_CASE("two-stage: a soft-argmax window keeps the bins within the radius of the maximum") {
  // Peak at bin 6 of 10; a heavy far bin 0 pulls the plain mean towards it.
  const auto lx = torch::tensor({2.0f, 0.0f, 0.0f, 0.0f, 0.0f, 2.5f, 3.0f, 2.0f, 0.0f, 0.0f}).view({1, 1, 10});
  const double beta = 1.0, k = 2.0;
  const auto expect = [&](int64_t lo, int64_t hi) {
    double z = 0, m = 0;
    for (int64_t b = lo; b <= hi; ++b) z += std::exp(beta * lx[0][0][b].item<double>());
    for (int64_t b = lo; b <= hi; ++b) m += double(b) * std::exp(beta * lx[0][0][b].item<double>()) / z;
    return m / k;
  };
  const auto windowed = loss::simcc_expected_positions(lx, lx, k, beta, 1.0);
  CHECK(windowed[0][0][0].item<double>() == doctest::Approx(expect(5, 7)).epsilon(1e-6));
  CHECK(loss::simcc_expected_positions(lx, lx, k, beta, 2.5)[0][0][1].item<double>() ==
        doctest::Approx(expect(4, 8)).epsilon(1e-6));
  CHECK(loss::simcc_expected_positions(lx, lx, k, beta, 0.0)[0][0][0].item<double>() ==
        doctest::Approx(expect(0, 9)).epsilon(1e-6));
  CHECK(loss::simcc_expected_positions(lx, lx, k, beta, -1.0)[0][0][0].item<double>() ==
        doctest::Approx(expect(0, 9)).epsilon(1e-6));
  // Gradients reach only the bins of the window.
  auto g = lx.clone().requires_grad_();
  loss::simcc_expected_positions(g, g, k, beta, 1.0).sum().backward();
  CHECK(g.grad()[0][0][0].item<double>() == 0.0);
  CHECK(g.grad()[0][0][9].item<double>() == 0.0);
  CHECK(g.grad()[0][0][5].item<double>() != 0.0);
}

TEST_CASE("two-stage: L_fea is the squared difference summed over C, H, W and averaged over the batch") {
  torch::manual_seed(3);
  const auto s = torch::randn({2, 3, 4, 5});
  const auto t = torch::randn({2, 3, 4, 5});
  double sum = 0;
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < 4; ++y)
        for (int64_t x = 0; x < 5; ++x) sum += std::pow(s[n][c][y][x].item<double>() - t[n][c][y][x].item<double>(), 2);
  CHECK(loss::feature_distill_mse(s, t).item<double>() == doctest::Approx(sum / 2).epsilon(1e-6));

  SUBCASE("a student map of another size is resized bilinearly to the teacher's") {
    const auto small = torch::randn({2, 3, 2, 3});
    const auto big = torch::randn({2, 3, 4, 5});
    double resized = 0;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t y = 0; y < 4; ++y)
          for (int64_t x = 0; x < 5; ++x)
            resized += std::pow(bilinear(small[n][c], 4, 5, y, x) - big[n][c][y][x].item<double>(), 2);
    CHECK(loss::feature_distill_mse(small, big).item<double>() == doctest::Approx(resized / 2).epsilon(1e-5));
  }
  CHECK(test::error_of([&] { loss::feature_distill_mse(torch::zeros({2, 4, 4, 5}), t); }) ==
        "feature_distill_mse: aligned student feature [2, 4, 4, 5] and teacher feature [2, 3, 4, 5] differ in batch "
        "or channels");
}

TEST_CASE("two-stage: L_pos = masked position L1 + weighted bone-length differences, summed over the batch") {
  // Two samples, three joints, edges 0-1 and 1-2; sample 1 has joint 2 unlabelled.
  const auto s = torch::tensor({10.f, 20.f, 13.f, 24.f, 20.f, 20.f, 5.f, 5.f, 8.f, 9.f, 1.f, 2.f}).view({2, 3, 2});
  const auto t = torch::tensor({11.f, 18.f, 13.f, 25.f, 16.f, 21.f, 5.f, 6.f, 9.f, 9.f, 7.f, 7.f}).view({2, 3, 2});
  const auto mask = torch::tensor({1.f, 1.f, 1.f, 1.f, 1.f, 0.f}).view({2, 3});
  const std::vector<std::pair<int, int>> edges{{0, 1}, {1, 2}};

  double position = 0;
  for (int n = 0; n < 2; ++n)
    for (int k = 0; k < 3; ++k)
      for (int d = 0; d < 2; ++d)
        position += mask[n][k].item<double>() * std::abs(s[n][k][d].item<double>() - t[n][k][d].item<double>());
  position /= 3 * 2;  // the mean over a sample's joints and axes, summed over samples
  const auto bone = [](const at::Tensor& p, int n, int i, int j) {
    return std::hypot(p[n][j][0].item<double>() - p[n][i][0].item<double>(),
                      p[n][j][1].item<double>() - p[n][i][1].item<double>());
  };
  const auto bones_with = [&](const std::vector<double>& w) {
    double sum = 0;
    for (int n = 0; n < 2; ++n)
      for (size_t e = 0; e < edges.size(); ++e) {
        const auto [i, j] = edges[e];
        sum += w[e] * mask[n][i].item<double>() * mask[n][j].item<double>() *
               std::abs(bone(t, n, i, j) - bone(s, n, i, j));
      }
    return sum;
  };

  const auto terms = loss::pose_structure_l1(s, t, mask, edges);
  CHECK(terms.position.item<double>() == doctest::Approx(position).epsilon(1e-6));
  CHECK(terms.bones.item<double>() == doctest::Approx(bones_with({0.5, 0.5})).epsilon(1e-6));
  CHECK(terms.total().item<double>() == doctest::Approx(position + bones_with({0.5, 0.5})).epsilon(1e-6));
  const auto weighted = loss::pose_structure_l1(s, t, mask, edges, {2.0, 0.25});
  CHECK(weighted.bones.item<double>() == doctest::Approx(bones_with({2.0, 0.25})).epsilon(1e-6));
  CHECK(loss::pose_structure_l1(s, t, mask, {}).bones.item<double>() == 0.0);

  CHECK(test::error_of([&] { loss::pose_structure_l1(s, t, mask, edges, {1.0}); }) ==
        "pose_structure_l1: 1 edge weights for 2 edges");
  CHECK(test::error_of([&] { loss::pose_structure_l1(s, t, mask, {{0, 3}}); }) ==
        "pose_structure_l1: edge (0, 3) outside 3 joints");
  CHECK(test::error_of([&] { loss::pose_structure_l1(s, t.narrow(1, 0, 2), mask, edges); }) ==
        "pose_structure_l1: expected student and teacher positions [N,K,2], found [2, 3, 2] and [2, 2, 2]");
}

TEST_CASE("two-stage: positions in pixels of the paper's 192x256 input") {
  const auto pixels = torch::tensor({48.f, 32.f, 0.f, 128.f, 96.f, 64.f}).view({1, 3, 2});
  const auto p = loss::paper_input_pixels(pixels, 96, 128);  // the quick student's input: a factor of 2
  CHECK(p[0][0][0].item<double>() == doctest::Approx(96.0));
  CHECK(p[0][0][1].item<double>() == doctest::Approx(64.0));
  CHECK(p[0][1][1].item<double>() == doctest::Approx(256.0));
  CHECK(p[0][2][0].item<double>() == doctest::Approx(192.0));
  const auto wide = loss::paper_input_pixels(pixels, 288, 384);  // 384x288: 2/3
  CHECK(wide[0][0][0].item<double>() == doctest::Approx(32.0));
  CHECK(wide[0][0][1].item<double>() == doctest::Approx(64.0 / 3.0));
  CHECK(test::error_of([&] { loss::paper_input_pixels(pixels.view({3, 2}), 96, 128); }) ==
        "paper_input_pixels: expected positions [N,K,2], found [3, 2]");
  CHECK(test::error_of([&] { loss::paper_input_pixels(pixels, 0, 128); }) ==
        "paper_input_pixels: input 0x128 is empty");
}

TEST_CASE("two-stage: gradients reach the student only, and coinciding joints keep them finite") {
  torch::manual_seed(5);
  auto lx = torch::randn({2, 3, 8}, torch::requires_grad());
  auto ly = torch::randn({2, 3, 6}, torch::requires_grad());
  auto teacher_pos = (torch::rand({2, 3, 2}) * 3).requires_grad_();
  auto feature = torch::randn({2, 4, 3, 3}, torch::requires_grad());
  auto teacher_feature = torch::randn({2, 4, 6, 6}, torch::requires_grad());
  const auto pos = loss::simcc_expected_positions(lx, ly, 2.0, 1.0);
  const auto total = loss::pose_structure_l1(pos, teacher_pos, torch::ones({2, 3}), {{0, 1}, {1, 2}}).total() +
                     loss::feature_distill_mse(feature, teacher_feature);
  total.backward();
  REQUIRE(lx.grad().defined());
  CHECK(lx.grad().abs().sum().item<double>() > 0);
  CHECK(ly.grad().abs().sum().item<double>() > 0);
  CHECK(feature.grad().abs().sum().item<double>() > 0);
  CHECK_FALSE(teacher_pos.grad().defined());
  CHECK_FALSE(teacher_feature.grad().defined());

  auto same = torch::zeros({1, 2, 2}, torch::requires_grad());
  loss::pose_structure_l1(same, torch::tensor({0.f, 0.f, 3.f, 4.f}).view({1, 2, 2}), torch::ones({1, 2}), {{0, 1}})
      .total()
      .backward();
  CHECK(torch::isfinite(same.grad()).all().item<bool>());
}
