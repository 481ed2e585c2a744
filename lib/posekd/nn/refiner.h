#pragma once
// Refiners: a second stage trained on top of a pose model (pose-refine-gcn, DESIGN 1). A
// refiner reads the base model's outputs (heatmaps or SimCC vectors, features) and replaces
// them by refined ones, so predict(), the flip test, dumps and the Trainer's validation run
// a refined model exactly as any other:
//   igp  sets coords, score, sigma and coord_stages (OPEC-Net's IGP-GCN) and clears heatmaps
//        and SimCC vectors: the refined pose is the model's answer;
//   dsr  replaces heatmaps by its stages' maps (DDSR).
// The checkpoint stores the refiner's spec (/@refiner_spec) next to the base's and its
// parameters as /params/refiner.*; train::load_model rebuilds both.
#include <torch/nn/module.h>

#include <cstdint>

#include "posekd/codec/heatmap_geometry.h"
#include "posekd/core/skeleton.h"
#include "posekd/nn/model.h"

namespace posekd::nn {

class RefinerImpl : public torch::nn::Module {
 public:
  // Replaces the base's outputs by refined ones, in place.
  virtual void refine(ModelOutputs& outputs) = 0;
  const ModelSpec& spec() const { return spec_; }

 protected:
  explicit RefinerImpl(ModelSpec spec) : spec_(std::move(spec)) {}

 private:
  ModelSpec spec_;
};

// What a refiner is built for: the base model's description, its outputs for one image
// (which features exist, their channels and sizes), the skeleton (the graph of GCN
// refiners) and the crop geometry of its heatmaps (how decoded joints map to the input).
struct RefinerBase {
  ModelInfo info;
  ModelOutputs probe;
  Skeleton skeleton;
  CropGeometry geometry = CropGeometry::standard;
  // The base's codec decodes its heatmaps with DARK (default_decoder; `unbiased`): refiners
  // start from that pose (nn/initial_pose.h), not from HRNet's quarter offset, so they start
  // at the base's AP.
  bool dark_decoding = false;
};

// Builds the refiner of `spec` (ModelSpec::parse_refiner) with its reference initialisation,
// from the current global LibTorch generator. Throws UsageError when the base does not suit
// it (a feature name it lacks, a head it cannot read).
Refiner make_refiner(const ModelSpec& spec, const RefinerBase& base);

struct AttachOptions {
  bool freeze_base = true;
  uint64_t seed = 0;  // the refiner's initialisation
};

// Probes `model` once (eval mode, no autograd, then the caller's mode back), builds the
// refiner on the model's device and attaches it (PoseModelImpl::set_refiner).
void attach_refiner(PoseModelImpl& model, const ModelSpec& spec, const Skeleton& skeleton, HeatmapCodec codec,
                    const AttachOptions& options = {});

}  // namespace posekd::nn
