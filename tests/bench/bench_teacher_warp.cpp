// Fidelity and cost of warping stored teacher maps into augmented student crops (DESIGN 3.3).
//   build/bench/bench_teacher_warp [trials=100]
// For a same-resolution case (64×48 dump with 1.3× extra padding -> 64×48 student crop with
// random scale, rotation, flip) and DDSR's cross-resolution case (96×72 -> 32×24), and for
// each sampling mode with and without anti-aliasing, prints against the target rendered
// directly at the student crop: the largest absolute difference (max|d|), the mean
// peak-value error against that target (peak-dir) and against the teacher's own peak of 1
// (peak-tch), the mean DARK-decoded location error (student heatmap pixels), and µs per map.
// The third case is DDSR's: the same crop at both resolutions, a 3× downscale.
// "matched": the teacher Gaussian has the student's σ=2 in image pixels; "teacher σ=2": it
// has σ=2 in its own heatmap pixels, as a teacher trained at its resolution produces. These
// rows use the full affine (WarpWidth::affine).
// Then an ideal teacher under the tools' default augmentation (mmpose's: flip, half-body 0.3,
// scale 0.5, rotation 40 with p 0.6), dump padded 1.25: a teacher trained with σ = 2 draws a
// σ = 2 Gaussian on whatever crop it is given, so its map on the student's crop is the σ = 2
// target rendered there. Prints the mean per-joint Pearson correlation of the warped stored map
// against it, for the full affine and for the width-keeping warp (the default).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "posekd/codec/heatmap_decode.h"
#include "posekd/codec/teacher_warp.h"
#include "posekd/core/skeleton.h"
#include "posekd/data/targets.h"
#include "posekd/data/transforms.h"
#include "posekd/data/transforms_augment.h"
#include "posekd/data/transforms_random.h"

using namespace posekd;

namespace {

struct Case {
  const char* name;
  int dump_in_w, dump_in_h, dump_hm_w, dump_hm_h;
  int in_w, in_h, hm_w, hm_h;
  double dump_padding;  // extra padding of the dump crop
  bool augment;         // random scale 0.7-1, rotation ±40°, flip; else the dump's own crop
};

struct Stats {
  double max_diff = 0, peak_error = 0, peak_vs_teacher = 0, location_error = 0, micros = 0;
  int joints = 0, maps = 0;
};

Instance random_person(std::mt19937& gen) {
  std::uniform_real_distribution<double> u(0, 1);
  Instance inst;
  inst.box = {100 + 50 * u(gen), 80 + 50 * u(gen), 80 + 60 * u(gen), 180 + 80 * u(gen)};
  for (int j = 0; j < 17; ++j)
    inst.keypoints.push_back({float(inst.box.x + u(gen) * inst.box.w), float(inst.box.y + u(gen) * inst.box.h), 2});
  return inst;
}

double pearson(const float* a, const float* b, size_t n) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= double(n), mb /= double(n);
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) * (a[i] - ma);
    bb += (b[i] - mb) * (b[i] - mb);
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0;
}

void ideal_teacher_under_default_augmentation(int trials, const std::vector<int>& flip) {
  const Skeleton& skeleton = Skeleton::load("coco17");
  const std::vector<int> upper = upper_body_joints(skeleton);
  const AugmentOptions defaults;
  std::printf("\nideal teacher (σ=2 at any crop), default augmentation, dump padded 1.25, 128x96 -> 32x24:\n");
  for (WarpWidth width : {WarpWidth::affine, WarpWidth::keep_width}) {
    std::mt19937 gen(5);
    double total = 0;
    int joints = 0;
    TeacherWarpOptions wo;
    wo.width = width;
    for (int t = 0; t < trials; ++t) {
      const Instance inst = random_person(gen);
      const CropParams base = crop_from_instance(inst, 96, 128);
      const CropFrame dump{crop_affine(base, 96, 128, CropGeometry::standard), 96, 128, 24, 32, CropGeometry::standard};
      SampleRng rng = SampleRng::for_sample(7, 0, uint64_t(t));
      const AugParams aug = draw_augmentation(inst, base, 96, 128, defaults, upper, rng);
      const CropFrame student{crop_affine(aug.crop, 96, 128, CropGeometry::standard), 96, 128, 24, 32,
                              CropGeometry::standard};
      TargetOptions to;
      to.input_w = 96, to.input_h = 128, to.heatmap_w = 24, to.heatmap_h = 32;
      to.heatmap.sigma = 2;
      const auto teacher = build_targets(transform_keypoints(inst.keypoints, dump.crop, false, flip), to);
      const auto direct = build_targets(transform_keypoints(inst.keypoints, student.crop, aug.crop.flip, flip), to);
      std::vector<float> warped(direct.heatmaps.size());
      warp_heatmaps(teacher.heatmaps.data(), 17, dump, student, flip, warped.data(), wo);
      const size_t plane = 24 * 32;
      for (size_t k = 0; k < 17; ++k) {
        if (direct.heatmap_weights[k] == 0) continue;
        total += pearson(warped.data() + k * plane, direct.heatmaps.data() + k * plane, plane);
        ++joints;
      }
    }
    std::printf("  %-10s mean per-joint correlation %.4f over %d joints in the student's crops\n",
                width == WarpWidth::affine ? "affine" : "keep-width", total / joints, joints);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int trials = argc > 1 ? std::atoi(argv[1]) : 100;
  const auto flip = Skeleton::load("coco17").flip_index();
  const Case cases[] = {{"same-res 64x48", 192, 256, 48, 64, 192, 256, 48, 64, 1.3, true},
                        {"cross-res 96x72->32x24", 288, 384, 72, 96, 96, 128, 24, 32, 1.3, true},
                        {"DDSR 96x72->32x24 same crop", 288, 384, 72, 96, 96, 128, 24, 32, 1.0, false}};
  const char* interp_names[] = {"bilinear", "bicubic", "lanczos4"};
  std::printf("%-28s %-12s %-9s %-3s %7s %9s %9s %8s %7s\n", "case", "teacher", "sampling", "aa", "max|d|",
              "peak-dir", "peak-tch", "loc err", "us/map");
  for (const Case& c : cases) {
    for (bool matched : {true, false}) {
      for (int interp = 0; interp < 3; ++interp) {
        for (bool aa : {false, true}) {
          std::mt19937 gen(5);
          std::uniform_real_distribution<double> u(0, 1);
          Stats s;
          TeacherWarpOptions wo;
          wo.interpolation = WarpInterpolation(interp);
          wo.antialias = aa;
          wo.width = WarpWidth::affine;  // the rows compare one Gaussian in image pixels
          for (int t = 0; t < trials; ++t) {
            const Instance inst = random_person(gen);
            CropParams dump_crop = crop_from_instance(inst, c.dump_in_w, c.dump_in_h);
            dump_crop.width *= c.dump_padding, dump_crop.height *= c.dump_padding;
            const CropFrame dump{crop_affine(dump_crop, c.dump_in_w, c.dump_in_h, CropGeometry::standard), c.dump_in_w,
                                 c.dump_in_h, c.dump_hm_w, c.dump_hm_h, CropGeometry::standard};
            CropParams sc = crop_from_instance(inst, c.in_w, c.in_h);
            const double scale = 0.7 + 0.3 * u(gen), rotation = 80 * u(gen) - 40;
            const bool flipped = u(gen) < 0.5;
            if (c.augment) {
              sc.width *= scale, sc.height *= scale;
              sc.rotation = rotation;
              sc.flip = flipped;
            }
            const CropFrame student{crop_affine(sc, c.in_w, c.in_h, CropGeometry::standard), c.in_w, c.in_h, c.hm_w,
                                    c.hm_h, CropGeometry::standard};
            const double ratio = std::sqrt(std::abs(dump.image_to_heatmap().determinant() /
                                                    student.image_to_heatmap().determinant()));
            const double student_sigma = matched ? 2.0 : 2.0 / ratio;
            TargetOptions tt;
            tt.input_w = c.dump_in_w, tt.input_h = c.dump_in_h, tt.heatmap_w = c.dump_hm_w, tt.heatmap_h = c.dump_hm_h;
            tt.heatmap.sigma = student_sigma * ratio;
            const auto teacher = build_targets(transform_keypoints(inst.keypoints, dump.crop, false, flip), tt);
            TargetOptions ts;
            ts.input_w = c.in_w, ts.input_h = c.in_h, ts.heatmap_w = c.hm_w, ts.heatmap_h = c.hm_h;
            ts.heatmap.sigma = student_sigma;
            const auto student_kps = transform_keypoints(inst.keypoints, student.crop, sc.flip, flip);
            const auto direct = build_targets(student_kps, ts);
            std::vector<float> warped(direct.heatmaps.size());
            const auto t0 = std::chrono::steady_clock::now();
            warp_heatmaps(teacher.heatmaps.data(), 17, dump, student, flip, warped.data(), wo);
            s.micros += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
            s.maps += 17;
            const auto dec = decode_heatmaps(warped.data(), 17, c.hm_h, c.hm_w, {HeatmapDecoder::dark, 11});
            const Affine2D to_map = input_to_heatmap(c.in_w, c.in_h, c.hm_w, c.hm_h, CropGeometry::standard);
            const size_t plane = size_t(c.hm_w) * c.hm_h;
            for (size_t k = 0; k < 17; ++k) {
              const Point2 truth = to_map.apply({student_kps[3 * k], student_kps[3 * k + 1]});
              if (direct.heatmap_weights[k] == 0 || truth.x < 3 || truth.y < 3 || truth.x > c.hm_w - 4 ||
                  truth.y > c.hm_h - 4)
                continue;
              float pw = 0, pd = 0;
              for (size_t i = 0; i < plane; ++i) {
                pw = std::max(pw, warped[k * plane + i]);
                pd = std::max(pd, direct.heatmaps[k * plane + i]);
                s.max_diff = std::max(s.max_diff, double(std::abs(warped[k * plane + i] - direct.heatmaps[k * plane + i])));
              }
              s.peak_error += std::abs(pw - pd);
              s.peak_vs_teacher += std::abs(pw - 1.0);
              s.location_error += std::hypot(dec[k].x - truth.x, dec[k].y - truth.y);
              ++s.joints;
            }
          }
          std::printf("%-28s %-12s %-9s %-3s %7.4f %9.4f %9.4f %8.4f %7.1f\n", c.name, matched ? "matched" : "teacher s=2",
                      interp_names[interp], aa ? "on" : "off", s.max_diff, s.peak_error / s.joints,
                      s.peak_vs_teacher / s.joints, s.location_error / s.joints, s.micros / s.maps);
        }
      }
    }
  }
  ideal_teacher_under_default_augmentation(trials, flip);
  return 0;
}
