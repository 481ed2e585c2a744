#include <doctest/doctest.h>
#include <torch/torch.h>

#include <cmath>

#include "posekd/loss/distill_losses.h"

using namespace posekd;

namespace {

// HRNet's JointsMSELoss written out: 0.5 · (1/K) Σ_k mean over (b, pixels) of (w·(p − t))².
double joints_mse_loops(const torch::Tensor& p, const torch::Tensor& t, const torch::Tensor& w) {
  const int64_t B = p.size(0), K = p.size(1), H = p.size(2), W = p.size(3);
  auto pa = p.accessor<float, 4>();
  auto ta = t.accessor<float, 4>();
  auto wa = w.accessor<float, 2>();
  double total = 0;
  for (int64_t k = 0; k < K; ++k) {
    double s = 0;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x) {
          const double d = double(wa[b][k]) * (double(pa[b][k][y][x]) - double(ta[b][k][y][x]));
          s += d * d;
        }
    total += 0.5 * s / double(B * H * W);
  }
  return total / double(K);
}

torch::Tensor gaussian_maps(const std::vector<std::pair<double, double>>& centres, int h, int w, double sigma) {
  auto maps = torch::zeros({1, int64_t(centres.size()), h, w});
  auto a = maps.accessor<float, 4>();
  for (size_t k = 0; k < centres.size(); ++k)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const double dx = x - centres[k].first, dy = y - centres[k].second;
        a[0][int64_t(k)][y][x] = float(std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)));
      }
  return maps;
}

}  // namespace

TEST_CASE("fpd loss is alpha*MSE(S,T) + (1-alpha)*MSE(S,GT) summed over stacks, with target weights") {
  torch::manual_seed(3);
  const auto s1 = torch::rand({2, 3, 4, 5}), s2 = torch::rand({2, 3, 4, 5});
  const auto teacher = torch::rand({2, 3, 4, 5}), gt = torch::rand({2, 3, 4, 5});
  const auto w = torch::tensor({1.f, 0.f, 1.f, 1.f, 1.f, 0.f}).reshape({2, 3});
  const double alpha = 0.3;
  const auto l = loss::fpd_loss({s1, s2}, teacher, gt, w, alpha);
  const double expected_t = alpha * (joints_mse_loops(s1, teacher, w) + joints_mse_loops(s2, teacher, w));
  const double expected_g = (1 - alpha) * (joints_mse_loops(s1, gt, w) + joints_mse_loops(s2, gt, w));
  CHECK(l.teacher.item<double>() == doctest::Approx(expected_t).epsilon(1e-6));
  CHECK(l.ground_truth.item<double>() == doctest::Approx(expected_g).epsilon(1e-6));
  CHECK(l.total().item<double>() == doctest::Approx(expected_t + expected_g).epsilon(1e-6));
}

TEST_CASE("fpd loss: gradients reach the student only") {
  auto student = torch::rand({2, 3, 4, 5}).requires_grad_(true);
  auto teacher = torch::rand({2, 3, 4, 5}).requires_grad_(true);
  const auto gt = torch::rand({2, 3, 4, 5});
  loss::fpd_loss({student}, teacher, gt, torch::ones({2, 3}), 0.5).total().backward();
  CHECK(student.grad().defined());
  CHECK(student.grad().abs().sum().item<double>() > 0);
  CHECK_FALSE(teacher.grad().defined());
}

TEST_CASE("soft-argmax is the expectation of the pixel coordinates under softmax(beta*map)") {
  torch::manual_seed(7);
  const auto maps = torch::rand({2, 3, 5, 4}).requires_grad_(true);
  const double beta = 3;
  const auto p = loss::soft_argmax(maps, beta);
  REQUIRE(p.sizes() == torch::IntArrayRef({2, 3, 2}));
  const auto values = maps.detach();
  auto m = values.accessor<float, 4>();
  for (int b = 0; b < 2; ++b)
    for (int k = 0; k < 3; ++k) {
      double z = 0, ex = 0, ey = 0;
      for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 4; ++x) {
          const double e = std::exp(beta * double(m[b][k][y][x]));
          z += e;
          ex += e * x;
          ey += e * y;
        }
      CHECK(p[b][k][0].item<double>() == doctest::Approx(ex / z).epsilon(1e-5));
      CHECK(p[b][k][1].item<double>() == doctest::Approx(ey / z).epsilon(1e-5));
    }
  p.sum().backward();
  CHECK(maps.grad().abs().sum().item<double>() > 0);
}

TEST_CASE("soft-argmax at beta 20 finds Gaussian centres within a tenth of a pixel") {
  const auto maps = gaussian_maps({{10.0, 7.0}, {3.25, 12.5}}, 16, 20, 2.0);
  const auto p = loss::soft_argmax(maps, 20);
  CHECK(p[0][0][0].item<double>() == doctest::Approx(10.0).epsilon(1e-4));
  CHECK(p[0][0][1].item<double>() == doctest::Approx(7.0).epsilon(1e-4));
  // Off the grid the peaky softmax leans towards the nearest pixel (3.21 for 3.25); the
  // student's positions lean the same way, so the edge maps compare like with like.
  CHECK(std::abs(p[0][1][0].item<double>() - 3.25) < 0.1);
  CHECK(std::abs(p[0][1][1].item<double>() - 12.5) < 0.1);
}

TEST_CASE("edge maps: a Gaussian at the relative offset over a [2w, 2h] grid") {
  const auto pos = torch::tensor({2.0f, 3.0f, 7.0f, 1.0f}).reshape({1, 2, 2});
  const int w = 10, h = 6;
  const auto m = loss::edge_maps(pos, w, h, 2.0);
  REQUIRE(m.sizes() == torch::IntArrayRef({1, 2, 2, 2 * h, 2 * w}));
  // e_01: offset (7-2, 1-3) = (5, -2) -> cell (w+5, h-2), value 1 there.
  CHECK(m[0][0][1][h - 2][w + 5].item<double>() == doctest::Approx(1.0));
  CHECK(m[0][0][1].argmax().item<int64_t>() == (h - 2) * 2 * w + (w + 5));
  // e_ii: offset 0 -> the grid's centre.
  CHECK(m[0][1][1][h][w].item<double>() == doctest::Approx(1.0));
  // One cell off: exp(-1/(2σ²)).
  CHECK(m[0][0][1][h - 2][w + 6].item<double>() == doctest::Approx(std::exp(-1.0 / 8)).epsilon(1e-6));
}

TEST_CASE("skd loss equals (1/N^2) sum ||mS_eij - mT_eij||^2 and (1/N) sum ||mS_vi - mT_vi||^2") {
  torch::manual_seed(5);
  const int64_t B = 2, K = 3, h = 6, w = 5;
  const auto smaps = torch::rand({B, K, h, w}), tmaps = torch::rand({B, K, h, w});
  const auto spos = torch::rand({B, K, 2}) * 5, tpos = torch::rand({B, K, 2}) * 5;
  const double sigma = 2.0;
  const auto l = loss::skd_loss(smaps, tmaps, spos, tpos, sigma);
  // The full maps, summed directly.
  const auto es = loss::edge_maps(spos, int(w), int(h), sigma), et = loss::edge_maps(tpos, int(w), int(h), sigma);
  double edge = 0, joint = 0;
  auto ea = es.accessor<float, 5>();
  auto ta = et.accessor<float, 5>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < K; ++i)
      for (int64_t j = 0; j < K; ++j)
        for (int64_t v = 0; v < 2 * h; ++v)
          for (int64_t u = 0; u < 2 * w; ++u) {
            const double d = double(ea[b][i][j][v][u]) - double(ta[b][i][j][v][u]);
            edge += d * d;
          }
  auto sa = smaps.accessor<float, 4>();
  auto qa = tmaps.accessor<float, 4>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < K; ++i)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const double d = double(sa[b][i][y][x]) - double(qa[b][i][y][x]);
          joint += d * d;
        }
  CHECK(l.edge.item<double>() == doctest::Approx(edge / double(B * K * K)).epsilon(1e-5));
  CHECK(l.joint.item<double>() == doctest::Approx(joint / double(B * K)).epsilon(1e-6));
  // Same positions: no edge loss.
  CHECK(loss::skd_loss(smaps, tmaps, spos, spos, sigma).edge.item<double>() == doctest::Approx(0.0).epsilon(1e-6));
}

TEST_CASE("skd loss: gradients reach the student's maps and positions only") {
  auto smaps = torch::rand({1, 2, 6, 5}).requires_grad_(true);
  auto tmaps = torch::rand({1, 2, 6, 5}).requires_grad_(true);
  auto spos = (torch::rand({1, 2, 2}) * 4).requires_grad_(true);
  auto tpos = (torch::rand({1, 2, 2}) * 4).requires_grad_(true);
  const auto l = loss::skd_loss(smaps, tmaps, spos, tpos, 2.0);
  (l.edge + l.joint).backward();
  CHECK(smaps.grad().abs().sum().item<double>() > 0);
  CHECK(spos.grad().abs().sum().item<double>() > 0);
  CHECK_FALSE(tmaps.grad().defined());
  CHECK_FALSE(tpos.grad().defined());
}
