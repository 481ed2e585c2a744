#include <doctest/doctest.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "posekd/codec/heatmap_decode.h"
#include "posekd/codec/teacher_warp.h"
#include "posekd/core/error.h"
#include "posekd/core/skeleton.h"
#include "posekd/data/targets.h"
#include "posekd/data/transforms.h"
#include "posekd/data/transforms_augment.h"
#include "posekd/data/transforms_random.h"

using namespace posekd;

namespace {

Instance person() {
  Instance inst;
  inst.sample_id = 42;
  inst.box = {120, 60, 90, 200};
  const float xy[17][2] = {{165, 75},  {160, 70},  {170, 70},  {152, 74},  {178, 74},  {140, 110},
                           {190, 110}, {132, 150}, {198, 152}, {128, 185}, {203, 188}, {150, 175},
                           {180, 176}, {148, 215}, {182, 216}, {146, 250}, {184, 252}};
  for (auto& p : xy) inst.keypoints.push_back({p[0] + 0.37f, p[1] - 0.21f, 2});
  inst.num_keypoints = 17;
  return inst;
}

// A textured test image: smooth gradients plus shapes, so bilinear sampling is well defined.
cv::Mat test_image() {
  cv::Mat img(320, 400, CV_8UC3);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x)
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(x / 2), uchar(y / 2), uchar((x + y) / 3));
  cv::circle(img, {160, 150}, 40, cv::Scalar(250, 30, 90), -1);
  cv::rectangle(img, {200, 200}, {260, 290}, cv::Scalar(10, 220, 40), -1);
  return img;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, double(std::abs(a[i] - b[i])));
  return m;
}

}  // namespace

TEST_CASE("transforms: box -> centre/size -> crop affine as HRNet's _box2cs and get_affine_transform") {
  const CropParams c = crop_from_box({10, 20, 100, 50}, 192, 256);
  CHECK(c.center_x == doctest::Approx(60));
  CHECK(c.center_y == doctest::Approx(45));
  CHECK(c.width == doctest::Approx(125));  // 100 × 1.25
  CHECK(c.height == doctest::Approx(100 / 0.75 * 1.25));
  const Affine2D a = crop_affine(c, 192, 256, CropGeometry::standard);
  CHECK(a.apply({60, 45}).x == doctest::Approx(96));
  CHECK(a.apply({60, 45}).y == doctest::Approx(128));
  CHECK(a.apply({60 + 62.5, 45}).x == doctest::Approx(192));
  const Affine2D u = crop_affine(c, 192, 256, CropGeometry::udp);
  CHECK(u.apply({60, 45}).x == doctest::Approx(95.5));
  CHECK(u.apply({60 + 62.5, 45}).x == doctest::Approx(191));
  CHECK(u.apply({60, 45 + c.height / 2}).y == doctest::Approx(255));

  CropParams r = c;
  r.rotation = 90;  // image +x turns towards input -y
  const Point2 p = crop_affine(r, 192, 256, CropGeometry::standard).apply({70, 45});
  CHECK(p.x == doctest::Approx(96));
  CHECK(p.y == doctest::Approx(128 - 10 * 192 / 125.0));

  Instance mpii;
  mpii.scale = 1.0;
  mpii.center_x = 100;
  mpii.center_y = 80;
  const CropParams m = crop_from_instance(mpii, 256, 256);
  CHECK(m.width == doctest::Approx(200));  // the reader has already padded MPII scales
  CHECK(m.center_y == doctest::Approx(80));
  CHECK_THROWS_AS(crop_affine(CropParams{}, 192, 256, CropGeometry::standard), Error);
}

TEST_CASE("transforms: flip twice is the identity for image and keypoints") {
  const Instance inst = person();
  const std::vector<int> flip = Skeleton::load("coco17").flip_index();
  const cv::Mat image = test_image();
  for (auto geometry : {CropGeometry::standard, CropGeometry::udp}) {
    CAPTURE(int(geometry));
    CropParams c = crop_from_instance(inst, 192, 256);
    c.rotation = 17;
    const Affine2D plain = crop_affine(c, 192, 256, geometry);
    c.flip = true;
    const Affine2D flipped = crop_affine(c, 192, 256, geometry);
    const Affine2D mirror = Affine2D::flip_x(flip_axis(192, geometry));
    CHECK(mirror.after(flipped).approx_equal(plain, 1e-9));

    // Keypoints: flipped (pairs swapped), mirrored and swapped again -> the plain ones.
    const auto kf = transform_keypoints(inst.keypoints, flipped, true, flip);
    const auto kp = transform_keypoints(inst.keypoints, plain, false, flip);
    CHECK(kf[3 * 5] != doctest::Approx(kp[3 * 5]));
    for (size_t j = 0; j < 17; ++j) {
      const size_t s = size_t(flip[j]);
      const Point2 back = mirror.apply({kf[3 * s], kf[3 * s + 1]});
      CHECK(back.x == doctest::Approx(kp[3 * j]).epsilon(1e-5));
      CHECK(back.y == doctest::Approx(kp[3 * j + 1]).epsilon(1e-5));
    }

    // Image: mirroring the flipped crop gives the plain crop, up to warpAffine's 1/32-pixel
    // quantisation of sample positions (a few levels on the shapes' hard edges).
    const cv::Mat a = render_crop(image, plain, 192, 256), b = render_crop(image, flipped, 192, 256);
    const cv::Mat b_back = render_crop(b, mirror, 192, 256);
    // Standard geometry mirrors about w/2, so column 0 comes from outside the crop.
    const cv::Rect inner(1, 0, 191, 256);
    cv::Mat diff;
    cv::absdiff(a(inner), b_back(inner), diff);
    double worst = 0;
    cv::minMaxLoc(diff.reshape(1), nullptr, &worst);
    CHECK(worst <= 8);
    CHECK(cv::mean(diff)[0] < 0.2);
  }
}

TEST_CASE("transforms: back-projection through the crop round-trips to image pixels") {
  const Instance inst = person();
  for (auto codec : {HeatmapCodec::hrnet, HeatmapCodec::unbiased, HeatmapCodec::udp}) {
    CropParams c = crop_from_instance(inst, 192, 256);
    c.rotation = -33;
    c.flip = true;
    c.width *= 0.8;
    CropFrame f{crop_affine(c, 192, 256, crop_geometry(codec)), 192, 256, 48, 64, crop_geometry(codec)};
    std::vector<DecodedKeypoint> pts;
    const Affine2D to_map = f.image_to_heatmap();
    for (const auto& kp : inst.keypoints) {
      const Point2 q = to_map.apply({kp.x, kp.y});
      pts.push_back({q.x, q.y, 1});
    }
    back_project(pts, f);
    for (size_t j = 0; j < pts.size(); ++j) {
      CHECK(pts[j].x == doctest::Approx(inst.keypoints[j].x).epsilon(1e-9));
      CHECK(pts[j].y == doctest::Approx(inst.keypoints[j].y).epsilon(1e-9));
    }
  }
}

TEST_CASE("transforms: crop + unbiased targets + DARK + back-projection round-trip within 0.05 heatmap px") {
  Instance inst = person();
  const std::vector<int> flip = Skeleton::load("coco17").flip_index();
  TargetOptions t;  // unbiased, σ 2, 192×256 -> 48×64
  for (double rot : {0.0, 25.0, -40.0}) {
    for (bool flipped : {false, true}) {
      CropParams c = crop_from_instance(inst, 192, 256);
      c.rotation = rot;
      c.flip = flipped;
      const Affine2D a = crop_affine(c, 192, 256, t.geometry());
      const auto kps = transform_keypoints(inst.keypoints, a, flipped, flip);
      const SampleTargets st = build_targets(kps, t);
      auto dec = decode_heatmaps(st.heatmaps.data(), 17, 64, 48, {HeatmapDecoder::dark, 11});
      back_project(dec, CropFrame{a, 192, 256, 48, 64, t.geometry()});
      const double image_px_per_heatmap_px = c.width / 48;
      for (size_t j = 0; j < 17; ++j) {
        if (st.heatmap_weights[j] == 0) continue;
        const Keypoint& truth = inst.keypoints[flipped ? size_t(flip[j]) : j];
        CAPTURE(j);
        CHECK(std::abs(dec[j].x - truth.x) / image_px_per_heatmap_px < 0.05);
        CHECK(std::abs(dec[j].y - truth.y) / image_px_per_heatmap_px < 0.05);
      }
    }
  }
}

TEST_CASE("transforms: augmentation is reproducible from (seed, epoch, index) and follows its options") {
  const Instance inst = person();
  const auto upper = upper_body_joints(Skeleton::load("coco17"));
  const CropParams base = crop_from_instance(inst, 192, 256);
  AugmentOptions o;
  auto draw = [&](uint64_t seed, uint64_t epoch, uint64_t idx) {
    SampleRng rng = SampleRng::for_sample(seed, epoch, idx);
    return draw_augmentation(inst, base, 192, 256, o, upper, rng);
  };
  const AugParams a = draw(5, 1, 9), b = draw(5, 1, 9), c = draw(5, 2, 9);
  CHECK(a.crop.rotation == b.crop.rotation);
  CHECK(a.crop.width == b.crop.width);
  CHECK(a.crop.center_x == b.crop.center_x);
  CHECK((a.crop.width != c.crop.width || a.crop.rotation != c.crop.rotation));

  int flips = 0, rotated = 0, halves = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const AugParams p = draw(1, 0, uint64_t(i));
    flips += p.crop.flip;
    rotated += p.crop.rotation != 0;
    halves += p.half_body;
    CHECK(std::abs(p.crop.rotation) <= 80);
    if (!p.half_body) {
      CHECK(p.crop.width >= base.width * 0.5 - 1e-9);
      CHECK(p.crop.width <= base.width * 1.5 + 1e-9);
    }
  }
  CHECK(flips == doctest::Approx(0.5 * n).epsilon(0.1));
  CHECK(rotated == doctest::Approx(0.6 * n).epsilon(0.1));
  CHECK(halves == doctest::Approx(0.3 * n).epsilon(0.15));

  // Half-body needs MORE than 8 labelled joints (HRNet's "> num_joints_half_body").
  Instance eight = inst;
  for (size_t j = 8; j < 17; ++j) eight.keypoints[j].v = 0;
  o.half_body_prob = 1.0;
  SampleRng rng = SampleRng::for_sample(1, 0, 0);
  CHECK_FALSE(draw_augmentation(eight, base, 192, 256, o, upper, rng).half_body);
  eight.keypoints[8].v = 1;
  CHECK(draw_augmentation(eight, base, 192, 256, o, upper, rng).half_body);
}

TEST_CASE("transforms: upper-body joints follow mmpose's upper_body_ids") {
  CHECK(upper_body_joints(Skeleton::load("coco17")) == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(upper_body_joints(Skeleton::load("mpii16")) == std::vector<int>{7, 8, 9, 10, 11, 12, 13, 14, 15});
  CHECK(upper_body_joints(Skeleton::load("crowdpose14")) == std::vector<int>{0, 1, 2, 3, 4, 5, 12, 13});
}

TEST_CASE("transforms: stored parameters re-render the same crop, colour jitter included") {
  const Instance inst = person();
  const cv::Mat image = test_image();
  const std::vector<int> flip = Skeleton::load("coco17").flip_index();
  AugmentOptions o;
  o.brightness = o.contrast = o.saturation = 0.3;
  SampleRng rng = SampleRng::for_sample(3, 0, 1);
  const AugParams p = draw_augmentation(inst, crop_from_instance(inst, 192, 256), 192, 256, o,
                                        upper_body_joints(Skeleton::load("coco17")), rng);
  CHECK(p.brightness != 1.0f);
  const AugParams stored = p;  // what a batch's meta keeps
  const RenderedCrop a = render_augmented(image, inst, p, 192, 256, CropGeometry::standard, flip);
  const RenderedCrop b = render_augmented(image, inst, stored, 192, 256, CropGeometry::standard, flip);
  CHECK(cv::norm(a.image, b.image, cv::NORM_INF) == 0);
  CHECK(a.keypoints == b.keypoints);
  CHECK(a.affine.approx_equal(b.affine, 0));

  cv::Mat grey(4, 4, CV_8UC3, cv::Scalar(100, 100, 100));
  AugParams bright;
  bright.brightness = 1.2f;
  apply_colour_jitter(grey, bright);
  CHECK(grey.at<cv::Vec3b>(2, 2)[0] == 120);
  // Saturation 0 turns a pixel into its grey (0.299 R + 0.587 G + 0.114 B); contrast 0 turns
  // the crop into its mean grey.
  cv::Mat colour(2, 2, CV_8UC3, cv::Scalar(0, 0, 200));  // BGR: pure red
  AugParams desaturate;
  desaturate.saturation = 0;
  apply_colour_jitter(colour, desaturate);
  CHECK(colour.at<cv::Vec3b>(0, 0) == cv::Vec3b(60, 60, 60));
  cv::Mat two(1, 2, CV_8UC3, cv::Scalar(0, 0, 0));
  two.at<cv::Vec3b>(0, 1) = cv::Vec3b(200, 200, 200);
  AugParams flat;
  flat.contrast = 0;
  apply_colour_jitter(two, flat);
  CHECK(two.at<cv::Vec3b>(0, 0) == cv::Vec3b(100, 100, 100));
  CHECK(two.at<cv::Vec3b>(0, 1) == cv::Vec3b(100, 100, 100));
}

TEST_CASE("teacher warp: the dump's own frame is the identity") {
  const Instance inst = person();
  TargetOptions t;
  CropParams c = crop_from_instance(inst, 192, 256, 1.25 * 1.3);
  const CropFrame f{crop_affine(c, 192, 256, t.geometry()), 192, 256, 48, 64, t.geometry()};
  const auto kps = transform_keypoints(inst.keypoints, f.crop, false, {});
  const auto st = build_targets(kps, t);
  std::vector<float> out(st.heatmaps.size());
  warp_heatmaps(st.heatmaps.data(), 17, f, f, {}, out.data());
  CHECK(max_abs_diff(out, st.heatmaps) < 1e-6);
}

namespace {

// Renders the teacher target at the dump's frame and the student target at the student's,
// both of one Gaussian in image pixels, warps the teacher's into the student frame and
// compares. keep_width: both Gaussians are σ of their own heatmap pixels wide (what a teacher
// and a student trained with σ draw). affine: one Gaussian in image pixels, σ given in the
// teacher's or the student's heatmap pixels.
enum class SigmaOf { teacher, student };
double warp_vs_direct(const CropFrame& dump, const CropFrame& student, bool student_flipped, double sigma,
                      SigmaOf sigma_of, WarpWidth width, double* peak_error) {
  const Instance inst = person();
  const std::vector<int> flip = Skeleton::load("coco17").flip_index();
  const double teacher_per_student = std::sqrt(std::abs(dump.image_to_heatmap().determinant() /
                                                        student.image_to_heatmap().determinant()));
  TargetOptions tt;
  tt.input_w = dump.input_w, tt.input_h = dump.input_h, tt.heatmap_w = dump.heatmap_w, tt.heatmap_h = dump.heatmap_h;
  const double student_sigma = width == WarpWidth::keep_width || sigma_of == SigmaOf::student
                                   ? sigma
                                   : sigma / teacher_per_student;
  tt.heatmap.sigma = width == WarpWidth::keep_width ? sigma : student_sigma * teacher_per_student;
  const auto teacher = build_targets(transform_keypoints(inst.keypoints, dump.crop, false, flip), tt);
  TargetOptions ts;
  ts.input_w = student.input_w, ts.input_h = student.input_h, ts.heatmap_w = student.heatmap_w,
  ts.heatmap_h = student.heatmap_h;
  ts.heatmap.sigma = student_sigma;
  const auto direct = build_targets(transform_keypoints(inst.keypoints, student.crop, student_flipped, flip), ts);
  std::vector<float> warped(direct.heatmaps.size());
  TeacherWarpOptions options;
  options.width = width;
  warp_heatmaps(teacher.heatmaps.data(), 17, dump, student, flip, warped.data(), options);
  const size_t plane = size_t(student.heatmap_w) * student.heatmap_h;
  *peak_error = 0;
  for (size_t k = 0; k < 17; ++k) {
    const float pw = *std::max_element(warped.begin() + long(k * plane), warped.begin() + long((k + 1) * plane));
    const float pd = *std::max_element(direct.heatmaps.begin() + long(k * plane),
                                       direct.heatmaps.begin() + long((k + 1) * plane));
    *peak_error = std::max(*peak_error, double(std::abs(pw - pd)));
  }
  return max_abs_diff(warped, direct.heatmaps);
}

CropFrame frame(const CropParams& c, int iw, int ih, int hw, int hh) {
  return {crop_affine(c, iw, ih, CropGeometry::standard), iw, ih, hw, hh, CropGeometry::standard};
}

}  // namespace

TEST_CASE("teacher warp: a stored target warped to an augmented crop matches rendering it there") {
  const Instance inst = person();
  const CropParams base = crop_from_instance(inst, 192, 256);
  CropParams padded = base;  // the dump's extra padding keeps augmented crops inside
  padded.width *= 1.3, padded.height *= 1.3;
  const CropFrame dump = frame(padded, 192, 256, 48, 64);
  for (double rot : {0.0, 30.0}) {
    for (bool flipped : {false, true}) {
      CropParams s = base;
      s.rotation = rot;
      s.flip = flipped;
      s.width *= 0.85, s.height *= 0.85;
      s.center_x += 4.3;
      double peak = 0;
      CAPTURE(rot);
      CAPTURE(flipped);
      for (WarpWidth width : {WarpWidth::keep_width, WarpWidth::affine}) {
        CAPTURE(int(width));
        CHECK(warp_vs_direct(dump, frame(s, 192, 256, 48, 64), flipped, 2.0, SigmaOf::teacher, width, &peak) < 0.02);
        CHECK(peak < 0.02);
      }
    }
  }
}

TEST_CASE("teacher warp: cross-resolution (96×72 teacher into a 32×24 student) matches direct rendering") {
  const Instance inst = person();
  CropParams padded = crop_from_instance(inst, 288, 384);
  padded.width *= 1.3, padded.height *= 1.3;
  const CropFrame dump = frame(padded, 288, 384, 72, 96);
  CropParams s = crop_from_instance(inst, 96, 128);
  s.rotation = -20;
  s.flip = true;
  for (WarpWidth width : {WarpWidth::keep_width, WarpWidth::affine}) {
    double peak = 0;
    const double diff = warp_vs_direct(dump, frame(s, 96, 128, 24, 32), true, 2.0, SigmaOf::student, width, &peak);
    MESSAGE("cross-resolution warp (" << std::string(width == WarpWidth::keep_width ? "keep-width" : "affine")
                                      << "): max abs difference " << diff << ", peak error " << peak);
    CHECK(diff < 0.02);
    CHECK(peak < 0.02);
  }
}

TEST_CASE("teacher warp: keep-width keeps a found joint's width under zoom, and warps a weak map whole") {
  const Instance inst = person();
  const CropParams base = crop_from_instance(inst, 96, 128);
  const CropFrame dump = frame(base, 96, 128, 24, 32);
  CropParams zoomed = base;  // the student's crop zoomed in 2x: the full affine doubles a blob's width
  zoomed.width *= 0.5, zoomed.height *= 0.5;
  const CropFrame student = frame(zoomed, 96, 128, 24, 32);
  TargetOptions t;
  t.input_w = 96, t.input_h = 128, t.heatmap_w = 24, t.heatmap_h = 32;
  t.heatmap.sigma = 2;
  std::vector<float> maps = build_targets(transform_keypoints(inst.keypoints, dump.crop, false, {}), t).heatmaps;
  const size_t plane = 24 * 32;
  // Both hips lie inside the zoomed crop; the teacher is sure of the left one and not of the
  // right one (peak 0.25 < keep_width_min_peak).
  const size_t sure = 11, unsure = 12;
  for (size_t i = unsure * plane; i < (unsure + 1) * plane; ++i) maps[i] *= 0.25f;
  std::vector<float> keep(maps.size()), affine(maps.size());
  TeacherWarpOptions kw, af;
  af.width = WarpWidth::affine;
  warp_heatmaps(maps.data(), 17, dump, student, {}, keep.data(), kw);
  warp_heatmaps(maps.data(), 17, dump, student, {}, affine.data(), af);
  // Width as the mass above half the peak: a σ=2 Gaussian covers π·2·ln2·σ² ≈ 17.4 pixels.
  const auto half_max_area = [&](const std::vector<float>& m, size_t k) {
    const float peak = *std::max_element(m.begin() + long(k * plane), m.begin() + long((k + 1) * plane));
    return std::count_if(m.begin() + long(k * plane), m.begin() + long((k + 1) * plane),
                         [&](float v) { return v > peak / 2; });
  };
  const std::vector<float> direct =
      build_targets(transform_keypoints(inst.keypoints, student.crop, false, {}), t).heatmaps;
  REQUIRE(half_max_area(direct, sure) > 10);
  CHECK(half_max_area(direct, sure) == doctest::Approx(half_max_area(keep, sure)).epsilon(0.15));
  CHECK(half_max_area(affine, sure) > 3 * half_max_area(keep, sure));  // 4x the area at 2x the width
  double keep_vs_direct = 0, weak_vs_affine = 0, weak_peak = 0;
  for (size_t i = sure * plane; i < (sure + 1) * plane; ++i)
    keep_vs_direct = std::max(keep_vs_direct, double(std::abs(keep[i] - direct[i])));
  for (size_t i = unsure * plane; i < (unsure + 1) * plane; ++i) {
    weak_vs_affine = std::max(weak_vs_affine, double(std::abs(keep[i] - affine[i])));
    weak_peak = std::max(weak_peak, double(keep[i]));
  }
  CHECK(weak_peak > 0.2);
  CHECK(keep_vs_direct < 0.02);
  CHECK(weak_vs_affine == 0);
}

TEST_CASE("teacher warp: a mirroring warp needs the flip index") {
  const Instance inst = person();
  CropParams c = crop_from_instance(inst, 192, 256);
  const CropFrame a = frame(c, 192, 256, 48, 64);
  c.flip = true;
  const CropFrame b = frame(c, 192, 256, 48, 64);
  std::vector<float> src(17 * 48 * 64, 0.0f), dst(src.size());
  CHECK_THROWS_WITH_AS(warp_heatmaps(src.data(), 17, a, b, {}, dst.data()),
                       "teacher map warp mirrors the map but the flip index has 0 joints, expected 17", Error);
}

TEST_CASE("transforms: SampleRng draws are uniform and normal") {
  SampleRng rng(99);
  double sum = 0, sum2 = 0, usum = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    sum += z, sum2 += z * z;
    usum += rng.uniform();
  }
  CHECK(sum / n == doctest::Approx(0).epsilon(0.03));
  CHECK(sum2 / n == doctest::Approx(1).epsilon(0.03));
  CHECK(usum / n == doctest::Approx(0.5).epsilon(0.02));
  CHECK(SampleRng::for_sample(1, 2, 3).next() == SampleRng::for_sample(1, 2, 3).next());
  CHECK(SampleRng::for_sample(1, 2, 3).next() != SampleRng::for_sample(1, 3, 2).next());
}
