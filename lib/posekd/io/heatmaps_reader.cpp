#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "posekd/core/error.h"
#include "posekd/io/heatmaps.h"
#include "posekd/io/format.h"
#include "posekd/io/heatmaps_layout.h"

namespace posekd::io {
namespace {

// HDF5 fills the rows of a missing shard with zeros without a word; refuse instead.
void check_virtual_sources(const h5::Dataset& d, const h5::File& file) {
  if (!d.is_virtual()) return;
  const std::filesystem::path folder = file.in_memory() ? std::filesystem::path(".")
                                                        : std::filesystem::path(file.file_label()).parent_path();
  for (const auto& src : d.virtual_sources()) {
    if (src.file == ".") continue;
    const std::filesystem::path p(src.file);
    std::error_code ec;
    const bool found = std::filesystem::exists(p.is_absolute() ? p : folder / p, ec) || std::filesystem::exists(p, ec);
    if (!found) d.fail(fmt::format("expected shard {} of this merged file, found it missing", src.file));
  }
}

}  // namespace

HeatmapsReader::HeatmapsReader(const std::string& path) : HeatmapsReader(h5::File::open(path)) {}

HeatmapsReader::HeatmapsReader(h5::File file) : file_(std::move(file)) {
  layout_ = read_heatmaps_layout(file_);
  provenance_ = read_provenance(file_);
  heatmaps_ = file_.open_dataset("heatmaps");
  check_virtual_sources(heatmaps_, file_);
  image_id_ = file_.open_dataset("image_id");
  crop_ = file_.open_dataset("crop");
  coords_ = file_.open_dataset("coords");
  done_ = file_.open_dataset("done").read_all<uint8_t>();
  for (const auto& e : layout_.extras) extras_[e.path] = file_.open_dataset(e.path);
  sample_ids_ = file_.open_dataset("sample_id").read_all<int64_t>();
  index_by_id_.reserve(sample_ids_.size());
  for (size_t i = 0; i < sample_ids_.size(); ++i) {
    if (!done_[i]) continue;  // rows of an unfinished dump hold no ids yet
    auto [it, inserted] = index_by_id_.emplace(sample_ids_[i], static_cast<int64_t>(i));
    if (!inserted)
      fail(path(), "/sample_id", fmt::format("expected unique ids, found {} at rows {} and {}", sample_ids_[i], it->second, i));
  }
}

int64_t HeatmapsReader::index_of(int64_t sample_id) const {
  auto it = index_by_id_.find(sample_id);
  return it == index_by_id_.end() ? -1 : it->second;
}

int64_t HeatmapsReader::done_count() const { return std::count(done_.begin(), done_.end(), uint8_t{1}); }

void HeatmapsReader::check_index(int64_t index) const {
  if (index < 0 || index >= size())
    fail(path(), "/heatmaps", fmt::format("expected a sample index in [0, {}), found {}", size(), index));
  if (!done_[static_cast<size_t>(index)])
    fail(path(), "/done", fmt::format("expected sample {} written, found it not done (an unfinished dump)", index));
}

void HeatmapsReader::read_heatmaps(int64_t index, float* out) const {
  check_index(index);
  heatmaps_.read_rows(index, 1, out);
}

std::vector<float> HeatmapsReader::heatmaps(int64_t index) const {
  std::vector<float> out(static_cast<size_t>(layout_.map_values()));
  read_heatmaps(index, out.data());
  return out;
}

std::vector<float> HeatmapsReader::extra(const std::string& path, int64_t index) const {
  check_index(index);
  auto it = extras_.find(path);
  if (it == extras_.end()) fail(this->path(), "/" + path, "expected an optional array, found none in this file");
  const auto& e = *std::find_if(layout_.extras.begin(), layout_.extras.end(), [&](const ExtraArray& x) { return x.path == path; });
  std::vector<float> out(static_cast<size_t>(h5::element_count(e.sample_shape)));
  it->second.read_rows(index, 1, out.data());
  return out;
}

HeatmapSample HeatmapsReader::sample(int64_t index) const {
  check_index(index);
  HeatmapSample s;
  s.sample_id = sample_ids_[static_cast<size_t>(index)];
  image_id_.read_rows(index, 1, &s.image_id);
  crop_.read_rows(index, 1, s.crop.data());
  s.heatmaps = heatmaps(index);
  s.coords.resize(static_cast<size_t>(layout_.joints * 3));
  coords_.read_rows(index, 1, s.coords.data());
  for (const auto& e : layout_.extras) s.extras[e.path] = extra(e.path, index);
  return s;
}

HeatmapSample HeatmapsReader::sample_by_id(int64_t sample_id) const {
  const int64_t index = index_of(sample_id);
  if (index < 0) fail(path(), "/sample_id", fmt::format("expected sample_id {}, found no such sample", sample_id));
  return sample(index);
}

}  // namespace posekd::io
