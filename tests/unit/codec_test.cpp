#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "posekd/codec/flip_test.h"
#include "posekd/codec/heatmap_decode.h"
#include "posekd/codec/heatmap_encode.h"
#include "posekd/codec/regression.h"
#include "posekd/codec/simcc.h"
#include "posekd/core/error.h"

using namespace posekd;

namespace {

// One joint at input position (x, y), visible.
std::vector<float> one_joint(float x, float y, float v = 2) { return {x, y, v}; }

std::vector<float> hrnet_map(float x, float y, float* weight, HeatmapCodec codec = HeatmapCodec::hrnet) {
  std::vector<float> map(48 * 64);
  HeatmapTargetOptions o;
  o.codec = codec;
  o.sigma = 2;
  const auto kp = one_joint(x, y);
  encode_heatmaps(kp.data(), 1, 192, 256, 48, 64, o, map.data(), weight);
  return map;
}

}  // namespace

TEST_CASE("codec: HRNet integer-centre targets equal hand-computed values") {
  float w = -1;
  // Input (41, 50) -> heatmap (10.25, 12.5) -> int(x + 0.5) = (10, 13).
  const auto map = hrnet_map(41, 50, &w);
  CHECK(w == 1);
  auto at = [&](int y, int x) { return map[size_t(y) * 48 + size_t(x)]; };
  CHECK(at(13, 10) == 1.0f);
  CHECK(at(13, 12) == doctest::Approx(std::exp(-4.0 / 8)));
  CHECK(at(14, 11) == doctest::Approx(std::exp(-2.0 / 8)));
  CHECK(at(19, 10) == doctest::Approx(std::exp(-36.0 / 8)));  // patch edge, 3σ below
  CHECK(at(20, 10) == 0.0f);                                   // outside the 13×13 patch
  CHECK(at(13, 4) == doctest::Approx(std::exp(-36.0 / 8)));
  CHECK(at(13, 3) == 0.0f);
  CHECK(at(19, 16) == doctest::Approx(std::exp(-72.0 / 8)));  // patch corner

  // Off the map: heatmap x = -8 -> int(-7.5) = -7 (truncation), br = 0: still weighted but
  // nothing drawn (HRNet's test uses br < 0); x = -9 -> br = -1: weight 0.
  hrnet_map(-32, 50, &w);
  CHECK(w == 1);
  hrnet_map(-36, 50, &w);
  CHECK(w == 0);
  const auto below = hrnet_map(41, 256 + 4 * 6.5f, &w);  // y = 70.5 -> mu 71, ul 65 >= 64
  CHECK(w == 0);
  for (float v : below) CHECK(v == 0.0f);

  std::vector<float> map2(48 * 64, 7.0f);
  const auto hidden = one_joint(41, 50, 0);
  encode_heatmaps(hidden.data(), 1, 192, 256, 48, 64, {}, map2.data(), &w);
  CHECK(w == 0);
  for (float v : map2) CHECK(v == 0.0f);
}

TEST_CASE("codec: UDP targets centre the patch on the float position") {
  float w = 0;
  // UDP: heatmap = input × 47/191; input 95.5 -> 23.5 exactly.
  const auto map = hrnet_map(95.5f, 127.5f, &w, HeatmapCodec::udp);
  auto at = [&](int y, int x) { return map[size_t(y) * 48 + size_t(x)]; };
  const double hy = 127.5 * 63.0 / 255.0;
  CHECK(at(31, 23) == doctest::Approx(std::exp(-(0.25 + (31 - hy) * (31 - hy)) / 8)));
  CHECK(at(31, 24) == doctest::Approx(at(31, 23)));
}

TEST_CASE("codec: argmax and quarter-offset decoders on hand-made maps") {
  const int h = 8, w = 10;
  std::vector<float> map(size_t(h * w), 0.0f);
  auto set = [&](int y, int x, float v) { map[size_t(y * w + x)] = v; };
  set(5, 4, 1.0f);
  set(5, 5, 0.6f);  // right neighbour higher -> +0.25 in x
  set(5, 3, 0.2f);
  set(4, 4, 0.5f);  // upper neighbour higher -> -0.25 in y
  set(6, 4, 0.1f);
  auto a = decode_heatmaps(map.data(), 1, h, w, {HeatmapDecoder::argmax, 11});
  CHECK(a[0].x == 4);
  CHECK(a[0].y == 5);
  CHECK(a[0].score == doctest::Approx(1.0));
  auto q = decode_heatmaps(map.data(), 1, h, w, {HeatmapDecoder::quarter_offset, 11});
  CHECK(q[0].x == doctest::Approx(4.25));
  CHECK(q[0].y == doctest::Approx(4.75));

  // HRNet's 1 < px: a peak in column 1 gets no offset.
  std::vector<float> edge(size_t(h * w), 0.0f);
  edge[size_t(4 * w + 1)] = 1.0f;
  edge[size_t(4 * w + 2)] = 0.5f;
  q = decode_heatmaps(edge.data(), 1, h, w, {HeatmapDecoder::quarter_offset, 11});
  CHECK(q[0].x == 1.0);
  CHECK(q[0].y == 4.0);

  // A map with no positive value decodes to (0, 0) with its maximum as the score.
  std::vector<float> neg(size_t(h * w), -0.5f);
  neg[size_t(3 * w + 7)] = -0.1f;
  q = decode_heatmaps(neg.data(), 1, h, w, {HeatmapDecoder::quarter_offset, 11});
  CHECK(q[0].x == 0.0);
  CHECK(q[0].y == 0.0);
  CHECK(q[0].score == doctest::Approx(-0.1));
  // Ties: the first maximum in row-major order, as np.argmax.
  std::vector<float> tie(size_t(h * w), 0.0f);
  tie[size_t(2 * w + 6)] = 1.0f;
  tie[size_t(6 * w + 2)] = 1.0f;
  a = decode_heatmaps(tie.data(), 1, h, w, {HeatmapDecoder::argmax, 11});
  CHECK(a[0].x == 6);
  CHECK(a[0].y == 2);
  CHECK_THROWS_WITH_AS(decode_heatmaps(map.data(), 1, h, w, {HeatmapDecoder::dark, 4}),
                       "DARK blur kernel must be a positive odd number, found 4", UsageError);
}

TEST_CASE("codec: unbiased targets + DARK decode round-trip random float keypoints within 0.05 px") {
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> ux(8.0f * 4, 39.0f * 4), uy(8.0f * 4, 55.0f * 4);
  const int k = 17;
  std::vector<float> kps(3 * k), maps(size_t(k) * 64 * 48), weights(k);
  double worst = 0;
  for (int round = 0; round < 20; ++round) {
    for (int j = 0; j < k; ++j) kps[size_t(3 * j)] = ux(gen), kps[size_t(3 * j + 1)] = uy(gen), kps[size_t(3 * j + 2)] = 2;
    encode_heatmaps(kps.data(), k, 192, 256, 48, 64, {HeatmapCodec::unbiased, 2.0}, maps.data(), weights.data());
    const auto dec = decode_heatmaps(maps.data(), k, 64, 48, {HeatmapDecoder::dark, 11});
    for (int j = 0; j < k; ++j) {
      worst = std::max(worst, std::abs(dec[size_t(j)].x - kps[size_t(3 * j)] / 4.0));
      worst = std::max(worst, std::abs(dec[size_t(j)].y - kps[size_t(3 * j + 1)] / 4.0));
      CHECK(dec[size_t(j)].score > 0.75);
    }
  }
  MESSAGE("worst DARK round-trip error: " << worst << " heatmap px");
  CHECK(worst < 0.05);
}

TEST_CASE("codec: UDP targets + DARK-UDP decode round-trip within 0.05 px") {
  std::mt19937 gen(11);
  std::uniform_real_distribution<float> ux(40, 150), uy(40, 215);
  const int k = 5;
  std::vector<float> kps(3 * k), maps(size_t(k) * 64 * 48), weights(k);
  double worst = 0;
  const Affine2D to_map = input_to_heatmap(192, 256, 48, 64, CropGeometry::udp);
  for (int round = 0; round < 20; ++round) {
    for (int j = 0; j < k; ++j) kps[size_t(3 * j)] = ux(gen), kps[size_t(3 * j + 1)] = uy(gen), kps[size_t(3 * j + 2)] = 2;
    encode_heatmaps(kps.data(), k, 192, 256, 48, 64, {HeatmapCodec::udp, 2.0}, maps.data(), weights.data());
    const auto dec = decode_heatmaps(maps.data(), k, 64, 48, {HeatmapDecoder::dark_udp, 11});
    for (int j = 0; j < k; ++j) {
      const Point2 truth = to_map.apply({kps[size_t(3 * j)], kps[size_t(3 * j + 1)]});
      worst = std::max({worst, std::abs(dec[size_t(j)].x - truth.x), std::abs(dec[size_t(j)].y - truth.y)});
    }
  }
  MESSAGE("worst DARK-UDP round-trip error: " << worst << " heatmap px");
  CHECK(worst < 0.05);
}

TEST_CASE("codec: flip twice is the identity, flip-test merge with HRNet's shift") {
  const int k = 3, h = 4, w = 5;
  const std::vector<int> flip = {0, 2, 1};
  std::vector<float> maps(size_t(k * h * w));
  for (size_t i = 0; i < maps.size(); ++i) maps[i] = float(i % 13) * 0.1f;
  auto twice = maps;
  flip_heatmaps(twice.data(), k, h, w, flip);
  CHECK(twice != maps);
  CHECK(twice[size_t(1 * h * w + 0)] == maps[size_t(2 * h * w + w - 1)]);
  flip_heatmaps(twice.data(), k, h, w, flip);
  CHECK(twice == maps);

  // Joint 1's original peak at column 2 of row 0; the flipped run sees it as joint 2 at
  // column w-1-2 = 2 ... moved to column 1 so the flip-back lands on column 3, shifted to 4.
  std::vector<float> original(size_t(k * h * w), 0.0f), flipped(size_t(k * h * w), 0.0f), merged(size_t(k * h * w));
  original[size_t(1 * h * w + 2)] = 1.0f;
  flipped[size_t(2 * h * w + 1)] = 0.8f;
  flipped[size_t(2 * h * w + 4)] = 0.4f;  // flips back to column 0, which the shift keeps
  merge_flip_test(original.data(), flipped.data(), k, h, w, flip, 1.0, merged.data());
  CHECK(merged[size_t(1 * h * w + 2)] == doctest::Approx(0.5));
  CHECK(merged[size_t(1 * h * w + 3)] == doctest::Approx(0.0));
  CHECK(merged[size_t(1 * h * w + 4)] == doctest::Approx(0.4));
  CHECK(merged[size_t(1 * h * w + 0)] == doctest::Approx(0.2));
  CHECK(merged[size_t(1 * h * w + 1)] == doctest::Approx(0.2));  // column 0's value shifted into 1
  merge_flip_test(original.data(), flipped.data(), k, h, w, flip, 0.0, merged.data());
  CHECK(merged[size_t(1 * h * w + 3)] == doctest::Approx(0.4));
  CHECK(merged[size_t(1 * h * w + 0)] == doctest::Approx(0.2));
  CHECK_THROWS_AS(flip_heatmaps(maps.data(), k, h, w, {0, 1}), Error);
}

namespace {

// Centroid (in columns) of row `row` of map `joint` of K×h×w maps.
double centroid_x(const std::vector<float>& maps, int joint, int row, int h, int w) {
  double sum = 0, weighted = 0;
  for (int x = 0; x < w; ++x) {
    const double v = maps[size_t((joint * h + row) * w + x)];
    sum += v, weighted += v * x;
  }
  return weighted / sum;
}

}  // namespace

TEST_CASE("codec: flip test's exact shift leaves no bias; HRNet's one column leaves 1/8 at stride 4") {
  // One joint at input x = 101.3 of a 192-wide input (48 heatmap columns, stride 4). The model
  // run on the mirrored input sees it at 191 - 101.3; both maps are ideal Gaussians.
  const int k = 1, h = 3, w = 48, input_w = 192;
  const double x_in = 101.3, stride = double(input_w) / w;
  const auto gaussian_row = [&](double centre, std::vector<float>& maps) {
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) maps[size_t(y * w + x)] = float(std::exp(-(x - centre) * (x - centre) / 8.0));
  };
  std::vector<float> original(size_t(k * h * w)), flipped(size_t(k * h * w)), merged(size_t(k * h * w));
  gaussian_row(x_in / stride, original);
  gaussian_row((input_w - 1 - x_in) / stride, flipped);
  const double truth = x_in / stride;

  CHECK(flip_shift_columns(FlipShift::exact, input_w, w, false) == doctest::Approx(0.75));
  CHECK(flip_shift_columns(FlipShift::exact, input_w, w, true) == 0);
  CHECK(flip_shift_columns(FlipShift::hrnet, input_w, w, false) == 1);
  CHECK(flip_shift_columns(FlipShift::none, input_w, w, false) == 0);

  merge_flip_test(original.data(), flipped.data(), k, h, w, {0}, flip_shift_columns(FlipShift::exact, input_w, w, false),
                  merged.data());
  CHECK(centroid_x(merged, 0, 1, h, w) == doctest::Approx(truth).epsilon(1e-4));
  merge_flip_test(original.data(), flipped.data(), k, h, w, {0}, 1.0, merged.data());
  CHECK(centroid_x(merged, 0, 1, h, w) - truth == doctest::Approx(0.125).epsilon(1e-3));
  merge_flip_test(original.data(), flipped.data(), k, h, w, {0}, 0.0, merged.data());
  CHECK(centroid_x(merged, 0, 1, h, w) - truth == doctest::Approx(-0.375).epsilon(1e-3));

  CHECK(parse_flip_shift("on", "--flip-shift") == FlipShift::hrnet);
  CHECK(parse_flip_shift("exact", "--flip-shift") == FlipShift::exact);
  CHECK_THROWS_WITH_AS(parse_flip_shift("half", "--flip-shift"), "--flip-shift: expected none, hrnet or exact, found 'half'",
                       UsageError);
}

TEST_CASE("codec: SimCC encode/decode round trip, smoothing and weights") {
  SimccOptions o;
  o.split_ratio = 2.0;
  o.sigma = 6.0;
  const int bx = simcc_bins(192, 2.0), by = simcc_bins(256, 2.0);
  CHECK(bx == 384);
  CHECK(by == 512);
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> ux(0, 191), uy(0, 255);
  const int k = 17;
  std::vector<float> kps(3 * k), x(size_t(k * bx)), y(size_t(k * by)), w(k);
  for (int j = 0; j < k; ++j) kps[size_t(3 * j)] = ux(gen), kps[size_t(3 * j + 1)] = uy(gen), kps[size_t(3 * j + 2)] = 1;
  encode_simcc(kps.data(), k, 192, 256, o, x.data(), y.data(), w.data());
  const auto dec = decode_simcc(x.data(), y.data(), k, bx, by, 2.0);
  for (int j = 0; j < k; ++j) {
    CHECK(w[size_t(j)] == 1);
    CHECK(std::abs(dec[size_t(j)].x - kps[size_t(3 * j)]) <= 0.25 + 1e-6);
    CHECK(std::abs(dec[size_t(j)].y - kps[size_t(3 * j + 1)]) <= 0.25 + 1e-6);
    CHECK(dec[size_t(j)].score == doctest::Approx(1 / (6 * std::sqrt(2 * M_PI))));
  }
  // np.around rounds half to even: 10.25 × 2 = 20.5 -> bin 20; 10.75 × 2 = 21.5 -> 22.
  std::vector<float> half = {10.25f, 10.75f, 2};
  encode_simcc(half.data(), 1, 192, 256, o, x.data(), y.data(), w.data());
  const auto hd = decode_simcc(x.data(), y.data(), 1, bx, by, 2.0);
  CHECK(hd[0].x == 10.0);
  CHECK(hd[0].y == 11.0);

  o.smoothing = SimccSmoothing::standard;
  o.label_smooth_weight = 0.1;
  std::vector<float> two = {50.0f, 60.0f, 2, 400.0f, 60.0f, 2};
  encode_simcc(two.data(), 2, 192, 256, o, x.data(), y.data(), w.data());
  CHECK(w[0] == 1);
  CHECK(w[1] == 0);  // x bin 800 >= 384
  CHECK(x[100] == doctest::Approx(0.9));
  CHECK(x[99] == doctest::Approx(0.1 / 383));
  double sum = 0;
  for (int i = 0; i < bx; ++i) sum += x[size_t(i)];
  CHECK(sum == doctest::Approx(1.0));
}

TEST_CASE("codec: regression targets normalise by the input size") {
  std::vector<float> kps = {96, 64, 2, -3, 10, 2, 50, 50, 0}, t(6), w(3);
  encode_regression(kps.data(), 3, 192, 256, t.data(), w.data());
  CHECK(t[0] == doctest::Approx(0.5));
  CHECK(t[1] == doctest::Approx(0.25));
  CHECK(w[0] == 1);
  CHECK(w[1] == 0);
  CHECK(w[2] == 0);
  const auto dec = decode_regression(t.data(), nullptr, 3, 192, 256);
  CHECK(dec[0].x == doctest::Approx(96));
  CHECK(dec[1].x == doctest::Approx(-3));
}

TEST_CASE("codec: option names parse and print") {
  for (auto c : {HeatmapCodec::hrnet, HeatmapCodec::unbiased, HeatmapCodec::udp}) CHECK(parse_heatmap_codec(to_string(c)) == c);
  for (auto d : {HeatmapDecoder::argmax, HeatmapDecoder::quarter_offset, HeatmapDecoder::dark, HeatmapDecoder::dark_udp})
    CHECK(parse_heatmap_decoder(to_string(d)) == d);
  CHECK_THROWS_WITH_AS(parse_heatmap_codec("msra"), "unknown heatmap codec 'msra', expected one of hrnet, unbiased, udp",
                       UsageError);
}
