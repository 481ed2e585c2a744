#include "posekd/io/heatmaps_layout.h"

#include <fmt/format.h>

#include <set>

#include "posekd/core/error.h"
#include "posekd/io/format.h"

namespace posekd::io {
namespace {

const std::set<std::string> reserved_attributes = {
    "format", "format_version", "tool", "version", "argv", "config", "utc_time", "inputs", "input_fingerprints",
    "model_spec", "skeleton", "input_size"};

bool valid_extra_path(const std::string& path) {
  if (path == "tokens/keypoint" || path == "tokens/visual" || path == "simcc/x" || path == "simcc/y") return true;
  return path.rfind("features/", 0) == 0 && path.size() > 9 && path.find('/', 9) == std::string::npos;
}

}  // namespace

h5::Shape with_rows(int64_t rows, const h5::Shape& sample_shape) {
  h5::Shape s{rows};
  s.insert(s.end(), sample_shape.begin(), sample_shape.end());
  return s;
}

std::vector<std::pair<std::string, h5::Shape>> core_datasets(const HeatmapsLayout& l) {
  return {{"sample_id", {l.samples}},
          {"image_id", {l.samples}},
          {"crop", {l.samples, 2, 3}},
          {"heatmaps", {l.samples, l.joints, l.height, l.width}},
          {"coords", {l.samples, l.joints, 3}},
          {"done", {l.samples}}};
}

h5::DType core_dtype(const std::string& name, const HeatmapsLayout& l) {
  if (name == "sample_id" || name == "image_id") return h5::DType::int64;
  if (name == "done") return h5::DType::uint8;
  if (name == "heatmaps") return l.dtype;
  return h5::DType::float32;
}

void validate_layout(const HeatmapsLayout& l, const std::string& file) {
  if (l.samples < 0) fail(file, "", fmt::format("expected a sample count >= 0, found {}", l.samples));
  if (l.joints <= 0 || l.height <= 0 || l.width <= 0)
    fail(file, "/heatmaps", fmt::format("expected positive K, h, w, found [N,{},{},{}]", l.joints, l.height, l.width));
  if (l.joints != l.skeleton.num_joints())
    fail(file, "/heatmaps",
         fmt::format("expected {} joints as skeleton {} has, found {}", l.skeleton.num_joints(), l.skeleton.name, l.joints));
  if (l.dtype != h5::DType::float16 && l.dtype != h5::DType::float32)
    fail(file, "/heatmaps", fmt::format("expected float16 or float32, found {}", h5::dtype_name(l.dtype)));
  if (l.deflate < 0 || l.deflate > 9) fail(file, "/heatmaps", fmt::format("expected deflate level 0..9, found {}", l.deflate));
  for (const auto& e : l.extras) {
    if (!valid_extra_path(e.path))
      fail(file, "/" + e.path,
           "expected features/<name>, tokens/keypoint, tokens/visual, simcc/x or simcc/y, found " + e.path);
    if (e.dtype != h5::DType::float16 && e.dtype != h5::DType::float32)
      fail(file, "/" + e.path, fmt::format("expected float16 or float32, found {}", h5::dtype_name(e.dtype)));
  }
  for (const auto& [name, value] : l.attributes)
    if (reserved_attributes.count(name)) fail(file, "/@" + name, "is written by posekd itself");
}

void write_heatmaps_root(h5::Group& root, const HeatmapsLayout& l, const Provenance& provenance) {
  write_header(root, heatmaps_format, provenance);
  root.write_attr("model_spec", l.model_spec);
  root.write_attr("skeleton", l.skeleton.name);
  root.write_attr_ints("input_size", {l.input_size[0], l.input_size[1]});
  for (const auto& [name, value] : l.attributes) root.write_attr(name, value);
  write_skeleton(root, l.skeleton);
}

HeatmapsLayout read_heatmaps_layout(const h5::File& f) {
  check_format(f, heatmaps_format);
  HeatmapsLayout l;
  l.skeleton = read_skeleton(f);
  if (const std::string name = f.attr_string("skeleton"); name != l.skeleton.name)
    fail(f.file_label(), "/@skeleton", fmt::format("expected {} as in /skeleton, found {}", l.skeleton.name, name));
  l.model_spec = f.attr_string("model_spec");
  const auto input = f.attr_ints("input_size");
  if (input.size() != 2) fail(f.file_label(), "/@input_size", fmt::format("expected [width, height], found {} values", input.size()));
  l.input_size = {input[0], input[1]};
  for (const auto& name : f.attr_names())
    if (!reserved_attributes.count(name) && f.attr_dtype(name) == h5::DType::string) l.attributes[name] = f.attr_string(name);

  const h5::Dataset maps = f.open_dataset("heatmaps");
  maps.expect_rank(4);
  maps.expect_dtype({h5::DType::float16, h5::DType::float32});
  const h5::Shape shape = maps.shape();
  l.samples = shape[0];
  l.joints = shape[1];
  l.height = shape[2];
  l.width = shape[3];
  l.dtype = maps.dtype();
  l.deflate = maps.deflate_level();
  if (l.joints != l.skeleton.num_joints())
    maps.fail(fmt::format("expected {} as skeleton {} has {} joints, found {}",
                          h5::shape_text({-1, l.skeleton.num_joints(), l.height, l.width}), l.skeleton.name,
                          l.skeleton.num_joints(), h5::shape_text({-1, l.joints, l.height, l.width})));
  for (const auto& [name, expected] : core_datasets(l)) {
    const h5::Dataset d = f.open_dataset(name);
    d.expect_shape(expected);
    d.expect_dtype({core_dtype(name, l)});
  }
  for (const std::string group : {"features", "tokens", "simcc"}) {
    if (!f.exists(group)) continue;
    f.open_group(group).visit_datasets([&](const std::string& relative, const h5::Dataset& d) {
      const std::string path = group + "/" + relative;
      if (!valid_extra_path(path)) d.fail("expected features/<name>, tokens/keypoint, tokens/visual, simcc/x or simcc/y");
      d.expect_dtype({h5::DType::float16, h5::DType::float32});
      h5::Shape s = d.shape();
      if (s.empty() || s[0] != l.samples)
        d.fail(fmt::format("expected {} rows as /heatmaps has, found {}", l.samples, h5::shape_text(s)));
      l.extras.push_back({path, h5::Shape(s.begin() + 1, s.end()), d.dtype()});
    });
  }
  return l;
}

}  // namespace posekd::io
