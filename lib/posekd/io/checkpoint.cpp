#include "posekd/io/checkpoint.h"

#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/io/format.h"

namespace posekd::io {
namespace {

void write_arrays(h5::Group& root, const std::string& group, const std::vector<NamedArray>& arrays) {
  h5::Group g = root.require_group(group);
  for (const auto& a : arrays) {
    if (a.name.empty() || a.name[0] == '/')
      fail(root.file_label(), "/" + group, fmt::format("expected an array name, found '{}'", a.name));
    if (static_cast<int64_t>(a.values.size()) != h5::element_count(a.shape))
      fail(root.file_label(), "/" + group + "/" + a.name,
           fmt::format("expected {} values for shape {}, found {}", h5::element_count(a.shape), h5::shape_text(a.shape),
                       a.values.size()));
    g.create_dataset(a.name, h5::DType::float32, a.shape).write(a.values.data());
  }
}

std::vector<NamedArray> read_arrays(const h5::Group& root, const std::string& group, bool values) {
  std::vector<NamedArray> out;
  if (!root.exists(group)) return out;
  root.open_group(group).visit_datasets([&](const std::string& name, const h5::Dataset& d) {
    d.expect_dtype({h5::DType::float32, h5::DType::float16, h5::DType::float64});
    NamedArray a{name, d.shape(), {}};
    if (values) {
      a.values.resize(static_cast<size_t>(h5::element_count(a.shape)));
      d.read(a.values.data());
    }
    out.push_back(std::move(a));
  });
  return out;
}

std::array<int64_t, 2> read_size(const h5::Group& root, const char* name) {
  const auto v = root.attr_ints(name);
  if (v.size() != 2)
    fail(root.file_label(), fmt::format("/@{}", name), fmt::format("expected [width, height], found {} values", v.size()));
  return {v[0], v[1]};
}

}  // namespace

void write_checkpoint(const Checkpoint& c, const std::string& path, const Provenance& provenance) {
  h5::OutputFile out(path);
  h5::File& f = out.file();
  write_header(f, checkpoint_format, provenance);
  f.write_attr("model_spec", c.model_spec);
  f.write_attr("skeleton", c.skeleton.name);
  f.write_attr_ints("input_size", {c.input_size[0], c.input_size[1]});
  f.write_attr_ints("heatmap_size", {c.heatmap_size[0], c.heatmap_size[1]});
  f.write_attr("head_type", c.head_type);
  f.write_attr("decoding", c.decoding);
  if (!c.refiner_spec.empty()) f.write_attr("refiner_spec", c.refiner_spec);
  if (c.param_count) f.write_attr_int("params", *c.param_count);
  if (c.gflops) f.write_attr_double("gflops", *c.gflops);
  write_skeleton(f, c.skeleton);
  write_arrays(f, "params", c.params);
  write_arrays(f, "buffers", c.buffers);
  write_arrays(f, "extra", c.extra);
  if (c.train) {
    h5::Group t = f.create_group("train");
    t.write_attr_int("epoch", c.train->epoch);
    t.write_attr_int("step", c.train->step);
    if (c.train->epoch_samples >= 0) t.write_attr_int("epoch_samples", c.train->epoch_samples);
    t.write_attr_double("best_metric", c.train->best_metric);
    t.write_attr("best_metric_name", c.train->best_metric_name);
    t.write_dataset("rng_state", c.train->rng_state, {static_cast<int64_t>(c.train->rng_state.size())});
    write_arrays(t, "optimizer", c.train->optimizer);
  }
  out.commit();
}

Checkpoint read_checkpoint(const std::string& path, bool values) { return read_checkpoint(h5::File::open(path), values); }

Checkpoint read_checkpoint(const h5::File& f, bool values) {
  check_format(f, checkpoint_format);
  Checkpoint c;
  c.provenance = read_provenance(f);
  c.model_spec = f.attr_string("model_spec");
  c.skeleton = read_skeleton(f);
  if (const std::string name = f.attr_string("skeleton"); name != c.skeleton.name)
    fail(f.file_label(), "/@skeleton", fmt::format("expected {} as in /skeleton, found {}", c.skeleton.name, name));
  c.input_size = read_size(f, "input_size");
  c.heatmap_size = read_size(f, "heatmap_size");
  c.head_type = f.attr_string("head_type");
  c.decoding = f.attr_string("decoding");
  if (f.has_attr("refiner_spec")) c.refiner_spec = f.attr_string("refiner_spec");
  if (f.has_attr("params")) c.param_count = f.attr_int("params");
  if (f.has_attr("gflops")) c.gflops = f.attr_double("gflops");
  if (!f.is_group("params")) fail(f.file_label(), "/params", "expected a group, found nothing");
  c.params = read_arrays(f, "params", values);
  c.buffers = read_arrays(f, "buffers", values);
  c.extra = read_arrays(f, "extra", values);
  if (f.exists("train")) {
    const h5::Group t = f.open_group("train");
    TrainState s;
    s.epoch = t.attr_int("epoch");
    s.step = t.attr_int("step");
    if (t.has_attr("epoch_samples")) s.epoch_samples = t.attr_int("epoch_samples");
    s.best_metric = t.attr_double("best_metric");
    s.best_metric_name = t.attr_string("best_metric_name");
    if (t.exists("rng_state")) {
      const h5::Dataset rng = t.open_dataset("rng_state");
      rng.expect_dtype({h5::DType::uint8});
      rng.expect_rank(1);
      s.rng_state = rng.read_all<uint8_t>();
    }
    s.optimizer = read_arrays(t, "optimizer", values);
    c.train = std::move(s);
  }
  return c;
}

const NamedArray* find_array(const std::vector<NamedArray>& arrays, const std::string& name) {
  for (const auto& a : arrays)
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace posekd::io
