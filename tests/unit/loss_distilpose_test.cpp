#include <doctest/doctest.h>

#include <torch/torch.h>

#include <cmath>

#include "posekd/loss/distilpose_losses.h"
#include "test_support.h"

using namespace posekd;

TEST_CASE("distilpose: token MSE is the mean squared difference over every element") {
  torch::manual_seed(1);
  const auto s = torch::randn({2, 3, 4});
  const auto t = torch::randn({2, 3, 4});
  double sum = 0;
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t k = 0; k < 3; ++k)
      for (int64_t d = 0; d < 4; ++d) sum += std::pow(s[n][k][d].item<double>() - t[n][k][d].item<double>(), 2);
  CHECK(loss::token_mse(s, t).item<double>() == doctest::Approx(sum / 24).epsilon(1e-6));
  CHECK(test::error_of([&] { loss::token_mse(s, t.narrow(2, 0, 3)); }) ==
        "token_mse: student tokens [2, 3, 4] and teacher tokens [2, 3, 3] differ");
}

TEST_CASE("distilpose: simulated heatmaps and L_SH against the formula") {
  // Two joints on a 6x5 map with scale (6, 5) (the standard geometry): joint 0 inside, joint 1
  // so far left that its 3-sigma window misses the map (mask 0, as the reference).
  const auto coords = torch::tensor({0.45f, 0.5f, -1.2f, 0.3f}).view({1, 2, 2});
  const auto sigma = torch::tensor({0.2f, 0.3f, 0.1f, 0.1f}).view({1, 2, 2});
  const loss::MapScale scale{6, 5};
  const int64_t H = 5, W = 6;
  const auto sim = loss::simulated_heatmaps(coords, sigma, H, W, scale);
  REQUIRE(sim.maps.sizes() == at::IntArrayRef{1, 2, H, W});
  CHECK(sim.in_bounds[0][0].item<float>() == 1.0f);
  CHECK(sim.in_bounds[0][1].item<float>() == 0.0f);
  const double mx = 0.45 * 6, my = 0.5 * 5, sx = 0.2 * 6, sy = 0.3 * 5;
  for (int64_t v = 0; v < H; ++v)
    for (int64_t u = 0; u < W; ++u) {
      const double g = std::exp(-0.5 * ((u - mx) * (u - mx) / (sx * sx + 1e-9) + (v - my) * (v - my) / (sy * sy + 1e-9)));
      CHECK(sim.maps[0][0][v][u].item<double>() == doctest::Approx(g).epsilon(1e-5));
      CHECK(sim.maps[0][1][v][u].item<float>() == 0.0f);
    }

  torch::manual_seed(2);
  const auto teacher = torch::rand({1, 2, H, W});
  const auto weights = torch::tensor({1.f, 1.f}).view({1, 2});
  // HRNet's JointsMSELoss: 0.5 · mean over N·K·H·W of (w·(sim − teacher))², w = weight × mask.
  double sum = 0;
  for (int64_t k = 0; k < 2; ++k) {
    const double w = weights[0][k].item<double>() * sim.in_bounds[0][k].item<double>();
    for (int64_t v = 0; v < H; ++v)
      for (int64_t u = 0; u < W; ++u)
        sum += std::pow(w * (sim.maps[0][k][v][u].item<double>() - teacher[0][k][v][u].item<double>()), 2);
  }
  CHECK(loss::simulated_heatmap_mse(coords, sigma, teacher, weights, scale).item<double>() ==
        doctest::Approx(0.5 * sum / (2 * H * W)).epsilon(1e-6));
}

TEST_CASE("distilpose: L_CS reads the teacher map at the student's rounded position") {
  const int64_t H = 4, W = 5;
  auto teacher = torch::zeros({2, 2, H, W});
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t k = 0; k < 2; ++k)
      for (int64_t v = 0; v < H; ++v)
        for (int64_t u = 0; u < W; ++u) teacher[n][k][v][u] = float(0.01 * (n * 40 + k * 20 + v * W + u));
  // x·(W−1), y·(H−1): (0.5·4, 0.5·3) = (2, 1.5 -> 2, half to even); (0.3·4, 1·3) = (1.2 -> 1, 3);
  // the third is outside [0, 1] (target 0); the fourth clamps nothing: (0.875·4, 0.2·3) = (3.5 -> 4, 0.6 -> 1).
  const auto coords = torch::tensor({0.5f, 0.5f, 0.3f, 1.0f, 1.1f, 0.5f, 0.875f, 0.2f}).view({2, 2, 2});
  const auto confidence = torch::tensor({0.9f, 0.2f, 0.5f, 0.7f}).view({2, 2});
  const auto weights = torch::tensor({1.f, 1.f, 1.f, 0.f}).view({2, 2});
  const double target[4] = {teacher[0][0][2][2].item<double>(), teacher[0][1][3][1].item<double>(), 0.0,
                            teacher[1][1][1][4].item<double>()};
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    const double w = weights.view({-1})[i].item<double>();
    sum += std::abs(confidence.view({-1})[i].item<double>() * w - target[i] * w);
  }
  CHECK(loss::confidence_l1(coords, confidence, teacher, weights).item<double>() ==
        doctest::Approx(sum / 4).epsilon(1e-6));
  CHECK(test::error_of([&] { loss::confidence_l1(coords, confidence.narrow(1, 0, 1), teacher, weights); }) ==
        "confidence_l1: expected confidences [N,K] like the weights [2, 2], found [2, 1]");
  CHECK(test::error_of([&] { loss::confidence_l1(coords, confidence, teacher.narrow(1, 0, 1), weights); }) ==
        "confidence_l1: expected coordinates [N,K,2], teacher maps [N,K,H,W] and weights [N,K], found [2, 2, 2], "
        "[2, 1, 4, 5] and [2, 2]");
}

TEST_CASE("distilpose: gradients reach the student's coordinates, sigmas, confidences and tokens only") {
  torch::manual_seed(4);
  auto coords = torch::rand({2, 3, 2}, torch::requires_grad());
  auto sigma = (torch::rand({2, 3, 2}) * 0.2 + 0.05).requires_grad_();
  auto confidence = torch::rand({2, 3}, torch::requires_grad());
  auto tokens = torch::randn({2, 3, 8}, torch::requires_grad());
  auto teacher_maps = torch::rand({2, 3, 8, 6}, torch::requires_grad());
  auto teacher_tokens = torch::randn({2, 3, 8}, torch::requires_grad());
  const auto weights = torch::ones({2, 3});
  const auto total = loss::simulated_heatmap_mse(coords, sigma, teacher_maps, weights, {6, 8}) +
                     loss::confidence_l1(coords, confidence, teacher_maps, weights) +
                     loss::token_mse(tokens, teacher_tokens);
  total.backward();
  for (const auto* t : {&coords, &sigma, &confidence, &tokens}) {
    REQUIRE(t->grad().defined());
    CHECK(t->grad().abs().sum().item<double>() > 0);
  }
  CHECK_FALSE(teacher_maps.grad().defined());
  CHECK_FALSE(teacher_tokens.grad().defined());

  // L_CS alone moves only the confidence: the rounded read-out position carries no gradient.
  auto c2 = torch::rand({2, 3, 2}, torch::requires_grad());
  loss::confidence_l1(c2, confidence, teacher_maps, weights).backward();
  CHECK_FALSE(c2.grad().defined());
}
