#include "posekd/io/format.h"

#include <fmt/format.h>

#include "posekd/core/error.h"

namespace posekd::io {

void write_header(h5::Group& root, const std::string& format, const Provenance& provenance) {
  root.write_attr("format", format);
  root.write_attr_int("format_version", format_version);
  root.write_attr("tool", provenance.tool);
  root.write_attr("version", provenance.version);
  root.write_attr("argv", provenance.argv);
  root.write_attr("config", provenance.config);
  root.write_attr("utc_time", provenance.utc_time);
  std::vector<std::string> paths, fingerprints;
  for (const auto& [path, fingerprint] : provenance.inputs) {
    paths.push_back(path);
    fingerprints.push_back(fingerprint);
  }
  root.write_attr("inputs", paths);
  root.write_attr("input_fingerprints", fingerprints);
}

Provenance read_provenance(const h5::Group& root) {
  Provenance p;
  auto text = [&](const char* name) { return root.has_attr(name) ? root.attr_string(name) : std::string(); };
  p.tool = text("tool");
  p.version = text("version");
  p.argv = text("argv");
  p.config = text("config");
  p.utc_time = text("utc_time");
  if (root.has_attr("inputs")) {
    const auto paths = root.attr_strings("inputs");
    std::vector<std::string> fingerprints;
    if (root.has_attr("input_fingerprints")) fingerprints = root.attr_strings("input_fingerprints");
    for (size_t i = 0; i < paths.size(); ++i)
      p.inputs.emplace_back(paths[i], i < fingerprints.size() ? fingerprints[i] : std::string());
  }
  return p;
}

std::string file_format(const h5::Group& root) {
  if (!root.has_attr("format") || root.attr_dtype("format") != h5::DType::string) return {};
  return root.attr_string("format");
}

void check_format(const h5::Group& root, const std::string& format) {
  const std::string found = file_format(root);
  if (found.empty())
    fail(root.file_label(), "/", fmt::format("expected a {} file, found an HDF5 file without a 'format' attribute", format));
  if (found != format) fail(root.file_label(), "/@format", fmt::format("expected {}, found {}", format, found));
  if (!root.has_attr("format_version")) fail(root.file_label(), "/@format_version", "expected 1, found none");
  const int64_t version = root.attr_int("format_version");
  if (version > format_version)
    fail(root.file_label(), "/@format_version",
         fmt::format("expected {} or older, found {} (written by a newer posekd)", format_version, version));
  if (version < 1) fail(root.file_label(), "/@format_version", fmt::format("expected {}, found {}", format_version, version));
}

namespace {

std::vector<int64_t> flatten(const std::vector<std::pair<int, int>>& pairs) {
  std::vector<int64_t> out;
  for (auto [a, b] : pairs) {
    out.push_back(a);
    out.push_back(b);
  }
  return out;
}

std::vector<std::pair<int, int>> read_pairs(const h5::Group& g, const std::string& name) {
  const h5::Dataset d = g.open_dataset(name);
  d.expect_rank(2);
  d.expect_shape({-1, 2});
  const auto flat = d.read_all<int64_t>();
  std::vector<std::pair<int, int>> out;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) out.emplace_back(static_cast<int>(flat[i]), static_cast<int>(flat[i + 1]));
  return out;
}

}  // namespace

void write_skeleton(h5::Group& root, const Skeleton& skeleton) {
  h5::Group g = root.create_group("skeleton");
  g.write_attr("name", skeleton.name);
  g.write_string_dataset("names", skeleton.joints);
  g.write_dataset("flip_pairs", flatten(skeleton.flip_pairs), {static_cast<int64_t>(skeleton.flip_pairs.size()), 2});
  g.write_dataset("edges", flatten(skeleton.edges), {static_cast<int64_t>(skeleton.edges.size()), 2});
  g.write_dataset("sigmas", skeleton.sigmas, {static_cast<int64_t>(skeleton.sigmas.size())});
}

Skeleton read_skeleton(const h5::Group& root) {
  const h5::Group g = root.open_group("skeleton");
  Skeleton s;
  s.name = g.attr_string("name");
  s.joints = g.open_dataset("names").read_strings();
  s.flip_pairs = read_pairs(g, "flip_pairs");
  s.edges = read_pairs(g, "edges");
  const h5::Dataset sigmas = g.open_dataset("sigmas");
  sigmas.expect_shape({static_cast<int64_t>(s.joints.size())});
  s.sigmas = sigmas.read_all<double>();
  s.validate(root.file_label() + ":/skeleton");
  return s;
}

}  // namespace posekd::io
