#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <unordered_map>

#include "posekd/core/error.h"
#include "posekd/io/heatmaps.h"
#include "posekd/io/heatmaps_layout.h"

namespace posekd::io {
namespace {

namespace fs = std::filesystem;

// A shard must be the same dump as the first one; the message names both files.
void check_same_dump(const HeatmapsReader& first, const HeatmapsReader& shard) {
  const HeatmapsLayout& a = first.layout();
  const HeatmapsLayout& b = shard.layout();
  const auto differ = [&](const std::string& place, const std::string& expected, const std::string& found) {
    fail(shard.path(), place, fmt::format("expected {} as in {}, found {}", expected, first.path(), found));
  };
  const auto maps = [](const HeatmapsLayout& l) {
    return fmt::format("{} {}", h5::shape_text({-1, l.joints, l.height, l.width}), h5::dtype_name(l.dtype));
  };
  if (maps(a) != maps(b)) differ("/heatmaps", maps(a), maps(b));
  if (a.skeleton != b.skeleton) differ("/skeleton", a.skeleton.name, b.skeleton.name + (a.skeleton.name == b.skeleton.name ? " with other joints" : ""));
  if (a.model_spec != b.model_spec) differ("/@model_spec", a.model_spec, b.model_spec);
  if (a.input_size != b.input_size)
    differ("/@input_size", fmt::format("{}x{}", a.input_size[0], a.input_size[1]), fmt::format("{}x{}", b.input_size[0], b.input_size[1]));
  const auto extras = [](const HeatmapsLayout& l) {
    std::string s;
    for (const auto& e : l.extras) s += fmt::format("{}{}{} {}", s.empty() ? "" : ", ", e.path, h5::shape_text(with_rows(-1, e.sample_shape)), h5::dtype_name(e.dtype));
    return s.empty() ? std::string("no optional arrays") : s;
  };
  if (extras(a) != extras(b)) differ("/", extras(a), extras(b));
}

// How the merged file names a shard: relative to its own folder, so the pair can move
// together (HDF5 looks beside the virtual file first).
std::string source_name(const std::string& shard, const std::string& output) {
  const fs::path absolute = fs::absolute(shard);
  if (output == "-") return absolute.string();
  return fs::relative(absolute, fs::absolute(output).parent_path()).string();
}

}  // namespace

void merge_heatmap_shards(const std::vector<std::string>& shards, const std::string& output, const Provenance& provenance) {
  if (shards.empty()) throw Error(output + ": expected shard files to merge, found none");
  std::vector<std::unique_ptr<HeatmapsReader>> readers;
  std::unordered_map<int64_t, size_t> shard_of_id;
  int64_t samples = 0;
  Provenance prov = provenance;
  for (const auto& path : shards) {
    if (path == "-") throw UsageError("-: shards are read in place; stdin cannot be a shard");
    readers.push_back(std::make_unique<HeatmapsReader>(path));
    const HeatmapsReader& r = *readers.back();
    if (!r.complete())
      fail(path, "/done", fmt::format("expected a complete shard, found {} of {} samples written", r.done_count(), r.size()));
    if (readers.size() > 1) check_same_dump(*readers.front(), r);
    for (int64_t id : r.sample_ids()) {
      auto [it, inserted] = shard_of_id.emplace(id, readers.size() - 1);
      if (!inserted) fail(path, "/sample_id", fmt::format("expected ids unique across shards, found {} also in {}", id, shards[it->second]));
    }
    samples += r.size();
    prov.add_input(path);
  }
  // check_same_dump made every shard's layout equal but for its sample count.
  HeatmapsLayout merged = readers.front()->layout();
  merged.samples = samples;
  merged.attributes["shards"] = std::to_string(shards.size());
  readers.clear();

  h5::OutputFile out(output);
  h5::File& f = out.file();
  write_heatmaps_root(f, merged, prov);
  const auto add_virtual = [&](const std::string& name, h5::DType type, const h5::Shape& shape) {
    std::vector<h5::VirtualSource> sources;
    for (const auto& shard : shards) {
      const h5::File file = h5::File::open(shard);
      sources.push_back({source_name(shard, output), "/" + name, file.open_dataset(name).shape()[0]});
    }
    f.create_virtual_dataset(name, type, shape, sources);
  };
  for (const auto& [name, shape] : core_datasets(merged)) add_virtual(name, core_dtype(name, merged), shape);
  for (const auto& e : merged.extras) add_virtual(e.path, e.dtype, with_rows(merged.samples, e.sample_shape));
  out.commit();
}

}  // namespace posekd::io
