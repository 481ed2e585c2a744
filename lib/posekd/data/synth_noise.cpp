#include "posekd/data/synth_noise.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace posekd::synth {

void LabelNoiseCounts::add(LabelNoise kind) {
  ++annotations;
  if (kind == LabelNoise::jitter) ++jittered;
  if (kind == LabelNoise::swap) ++swapped;
  if (kind == LabelNoise::drop) ++dropped;
}

namespace {

bool jitter(PersonLabel& label, Rng& rng, int width, int height) {
  // Sloppy clicks: about a tenth of the person's size, a few times the OKS tolerance.
  const double sd = 0.08 * std::max(label.box.w, label.box.h);
  bool moved = false;
  for (auto& k : label.keypoints) {
    if (k.v == 0) continue;
    k.x = static_cast<float>(std::clamp(k.x + rng.normal(0, sd), 0.0, width - 1.0));
    k.y = static_cast<float>(std::clamp(k.y + rng.normal(0, sd), 0.0, height - 1.0));
    moved = true;
  }
  return moved;
}

bool swap_sides(PersonLabel& label, const Skeleton& skeleton, Rng& rng) {
  if (skeleton.flip_pairs.empty()) return false;
  // Half the time the annotator mistook the facing direction (every pair), else one limb.
  const bool whole = rng.chance(0.5);
  const size_t one = static_cast<size_t>(rng.integer(0, static_cast<int>(skeleton.flip_pairs.size()) - 1));
  bool changed = false;
  for (size_t i = 0; i < skeleton.flip_pairs.size(); ++i) {
    if (!whole && i != one) continue;
    auto [a, b] = skeleton.flip_pairs[i];
    auto& ka = label.keypoints[a];
    auto& kb = label.keypoints[b];
    changed |= ka.x != kb.x || ka.y != kb.y || ka.v != kb.v;
    std::swap(ka, kb);
  }
  return changed;
}

bool drop(PersonLabel& label, Rng& rng) {
  std::vector<size_t> labelled;
  for (size_t i = 0; i < label.keypoints.size(); ++i)
    if (label.keypoints[i].v > 0) labelled.push_back(i);
  if (labelled.empty()) return false;
  bool any = false;
  for (size_t i : labelled)
    if (rng.chance(0.3)) label.keypoints[i] = {}, any = true;
  if (!any) label.keypoints[labelled[rng.integer(0, static_cast<int>(labelled.size()) - 1)]] = {};
  return true;
}

}  // namespace

LabelNoise corrupt_label(PersonLabel& label, const Skeleton& skeleton, double rate, Rng& rng, int width, int height) {
  if (!rng.chance(rate)) return LabelNoise::none;
  const int kind = rng.integer(0, 2);
  if (kind == 0) return jitter(label, rng, width, height) ? LabelNoise::jitter : LabelNoise::none;
  if (kind == 1) return swap_sides(label, skeleton, rng) ? LabelNoise::swap : LabelNoise::none;
  return drop(label, rng) ? LabelNoise::drop : LabelNoise::none;
}

bool annotator_noise(PersonLabel& label, const Skeleton& skeleton, double factor, Rng& rng, int width, int height) {
  const double s = std::sqrt(std::max(label.area, 0.0));
  bool moved = false;
  for (size_t j = 0; j < label.keypoints.size() && j < skeleton.sigmas.size(); ++j) {
    auto& k = label.keypoints[j];
    if (k.v == 0) continue;
    const double sd = factor * skeleton.sigmas[j] * s;
    k.x = static_cast<float>(std::clamp(k.x + rng.normal(0, sd), 0.0, width - 1.0));
    k.y = static_cast<float>(std::clamp(k.y + rng.normal(0, sd), 0.0, height - 1.0));
    moved = moved || sd > 0;
  }
  return moved;
}

}  // namespace posekd::synth
