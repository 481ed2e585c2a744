#include "posekd/train/model_checkpoint.h"

#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/nn/complexity.h"
#include "posekd/nn/refiner.h"
#include "posekd/nn/state_arrays.h"

namespace posekd::train {

io::Checkpoint model_checkpoint(nn::PoseModelImpl& model, const Skeleton& skeleton, HeatmapCodec codec) {
  const nn::ModelInfo& info = model.info();
  if (info.joints != skeleton.num_joints())
    throw UsageError(fmt::format("model {} predicts {} joints, skeleton {} has {}", info.spec.str(), info.joints,
                                 skeleton.name, skeleton.num_joints()));
  io::Checkpoint c;
  c.model_spec = info.spec.str();
  c.refiner_spec = model.refiner_spec();
  c.skeleton = skeleton;
  c.input_size = {info.input.width, info.input.height};
  c.heatmap_size = {info.heatmap.width, info.heatmap.height};
  c.head_type = nn::head_name(info.head);
  c.decoding = to_string(codec);
  const nn::ModelComplexity cost = nn::measure_complexity(model);
  c.param_count = cost.params;
  c.gflops = cost.gflops();
  nn::ModuleArrays arrays = nn::named_arrays(model);
  c.params = std::move(arrays.params);
  c.buffers = std::move(arrays.buffers);
  return c;
}

void check_skeleton(const Skeleton& found, const Skeleton& expected, const std::string& file, const std::string& place) {
  if (found.name != expected.name || found.num_joints() != expected.num_joints())
    fail(file, place,
         fmt::format("expected skeleton {} ({} joints), found {} ({} joints)", expected.name, expected.num_joints(),
                     found.name, found.num_joints()));
  if (found != expected) fail(file, place, fmt::format("skeleton {} differs from the built-in one of that name", found.name));
}

LoadedModel load_model(const std::string& path, const torch::Device& device, const Skeleton* expected_skeleton) {
  LoadedModel out;
  out.checkpoint = io::read_checkpoint(path);
  const io::Checkpoint& c = out.checkpoint;
  if (expected_skeleton) check_skeleton(c.skeleton, *expected_skeleton, path, "/skeleton");
  nn::ModelSpec spec;
  try {
    spec = nn::ModelSpec::parse(c.model_spec);
  } catch (const Error& e) {
    fail(path, "/@model_spec", e.what());
  }
  if (spec.joints() != c.skeleton.num_joints())
    fail(path, "/@model_spec",
         fmt::format("expected {} joints (skeleton {}), found joints={}", c.skeleton.num_joints(), c.skeleton.name, spec.joints()));
  try {
    out.codec = parse_heatmap_codec(c.decoding);
  } catch (const Error& e) {
    fail(path, "/@decoding", e.what());
  }
  out.model = nn::make_model(spec);
  if (!c.refiner_spec.empty()) {
    nn::ModelSpec refiner;
    try {
      refiner = nn::ModelSpec::parse_refiner(c.refiner_spec);
    } catch (const Error& e) {
      fail(path, "/@refiner_spec", e.what());
    }
    nn::attach_refiner(*out.model, refiner, c.skeleton, out.codec);
  }
  nn::load_named_arrays(*out.model, {c.params, c.buffers}, path);
  out.model->to(device);
  out.model->eval();
  return out;
}

}  // namespace posekd::train
