#include "posekd/nn/refiner.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "posekd/codec/heatmap_decode.h"
#include "posekd/core/error.h"
#include "posekd/nn/dsr_refiner.h"
#include "posekd/nn/igp_gcn.h"

namespace posekd::nn {

Refiner make_refiner(const ModelSpec& spec, const RefinerBase& base) {
  if (base.info.joints != base.skeleton.num_joints())
    throw UsageError(fmt::format("refiner {}: model {} predicts {} joints, skeleton {} has {}", spec.str(),
                                 base.info.spec.str(), base.info.joints, base.skeleton.name,
                                 base.skeleton.num_joints()));
  const std::string& name = spec.name();
  if (name == "igp") return IgpGcn(spec, base).ptr();
  if (name == "dsr") return DsrRefiner(spec, base).ptr();
  throw UsageError(fmt::format("refiner spec \"{}\": unknown refiner \"{}\"", spec.str(), name));
}

void attach_refiner(PoseModelImpl& model, const ModelSpec& spec, const Skeleton& skeleton, HeatmapCodec codec,
                    const AttachOptions& options) {
  RefinerBase base{model.info(), {}, skeleton, crop_geometry(codec), default_decoder(codec) == HeatmapDecoder::dark};
  const c10::Device device = model.parameters().empty() ? c10::Device(c10::kCPU) : model.parameters().front().device();
  {
    torch::NoGradGuard no_grad;
    const bool was_training = model.is_training();
    model.eval();
    base.probe = model.forward(torch::zeros({1, 3, base.info.input.height, base.info.input.width},
                                            torch::TensorOptions().device(device)));
    model.train(was_training);
  }
  torch::manual_seed(options.seed);
  Refiner refiner = make_refiner(spec, base);
  refiner->to(device);
  model.set_refiner(std::move(refiner), options.freeze_base);
}

}  // namespace posekd::nn
