#include "posekd/nn/dsr_refiner.h"

#include <fmt/format.h>

#include "posekd/core/error.h"

namespace posekd::nn {

DsrOptions dsr_options(const ModelSpec& spec) {
  DsrOptions options;
  options.stages = spec.get_int("stages");
  options.anchor_threshold = spec.get_real("tau");
  options.fc_width = spec.get_int("width");
  return options;
}

DsrRefinerImpl::DsrRefinerImpl(const ModelSpec& spec, const RefinerBase& base) : RefinerImpl(spec) {
  if (base.info.head != HeadType::heatmap)
    throw UsageError(fmt::format("refiner {}: model {} has a {} head; DSR refines heatmaps", spec.str(),
                                 base.info.spec.str(), head_name(base.info.head)));
  dsr = register_module("dsr", DynamicSpatialRelation(base.info.joints, base.info.heatmap, dsr_options(spec)));
}

void DsrRefinerImpl::refine(ModelOutputs& outputs) { outputs.heatmaps = dsr->forward(outputs.final_heatmaps()); }

}  // namespace posekd::nn
