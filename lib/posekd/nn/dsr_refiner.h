#pragma once
// DDSR's DSR×S stages (nn/dsr.h) as a refiner (nn/refiner.h): the base's heatmaps are replaced
// by the S stages' maps, all supervised by the heatmap loss, the last one the prediction, so
// predict(), the flip test, dumps and validation run the refined model. Its spec's keys:
// "dsr:stages=4,tau=0.75,width=64".
#include "posekd/nn/dsr.h"
#include "posekd/nn/refiner.h"

namespace posekd::nn {

DsrOptions dsr_options(const ModelSpec& spec);

class DsrRefinerImpl : public RefinerImpl {
 public:
  // Throws UsageError for a base without a heatmap head.
  DsrRefinerImpl(const ModelSpec& spec, const RefinerBase& base);
  void refine(ModelOutputs& outputs) override;
  DynamicSpatialRelationImpl& relation() { return *dsr; }

 private:
  DynamicSpatialRelation dsr{nullptr};
};
TORCH_MODULE(DsrRefiner);

}  // namespace posekd::nn
