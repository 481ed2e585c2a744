#include <fmt/format.h>

#include <algorithm>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/io/heatmaps.h"
#include "posekd/io/heatmaps_layout.h"

namespace posekd::io {
namespace {

// What must agree for a .partial to be continued.
std::string layout_key(const HeatmapsLayout& l) {
  std::string key = fmt::format("N={} heatmaps={} {} skeleton={} model={}", l.samples,
                                h5::shape_text({l.samples, l.joints, l.height, l.width}), h5::dtype_name(l.dtype),
                                l.skeleton.name, l.model_spec);
  for (const auto& e : l.extras) key += fmt::format(" {}={}", e.path, h5::shape_text(with_rows(l.samples, e.sample_shape)));
  return key;
}

}  // namespace

HeatmapsWriter::HeatmapsWriter(const std::string& path, HeatmapsLayout layout, bool resumable, const Provenance& provenance)
    : layout_(std::move(layout)), out_((validate_layout(layout_, path), path), h5::OutputOptions{resumable}) {
  h5::File& f = out_.file();
  if (out_.resumed()) {
    const HeatmapsLayout found = read_heatmaps_layout(f);
    if (layout_key(found) != layout_key(layout_))
      fail(out_.temp_path(), "", fmt::format("cannot resume: expected a dump with {}, found {}", layout_key(layout_), layout_key(found)));
    open_datasets();
    done_ = done_set_.read_all<uint8_t>();
    log::info("{}: resuming, {} of {} samples already written", out_.temp_path(), done_count(), layout_.samples);
    return;
  }
  write_heatmaps_root(f, layout_, provenance);
  const bool early = layout_.deflate == 0;
  for (const auto& [name, shape] : core_datasets(layout_)) {
    h5::DatasetOptions options;
    options.allocate_early = early;
    if (name == "heatmaps" && layout_.samples > 0) {
      options.chunk = {1, layout_.joints, layout_.height, layout_.width};
      options.deflate = layout_.deflate;
    }
    f.create_dataset(name, core_dtype(name, layout_), shape, options);
  }
  for (const auto& e : layout_.extras) {
    h5::DatasetOptions options;
    options.allocate_early = early;
    if (layout_.samples > 0) {
      options.chunk = with_rows(1, e.sample_shape);
      options.deflate = layout_.deflate;
    }
    f.create_dataset(e.path, e.dtype, with_rows(layout_.samples, e.sample_shape), options);
  }
  open_datasets();
  done_.assign(static_cast<size_t>(layout_.samples), 0);
  done_set_.write(done_);
  f.flush();
}

HeatmapsWriter::~HeatmapsWriter() = default;

void HeatmapsWriter::open_datasets() {
  h5::File& f = out_.file();
  sample_id_ = f.open_dataset("sample_id");
  image_id_ = f.open_dataset("image_id");
  crop_ = f.open_dataset("crop");
  heatmaps_ = f.open_dataset("heatmaps");
  coords_ = f.open_dataset("coords");
  done_set_ = f.open_dataset("done");
  for (const auto& e : layout_.extras) extras_[e.path] = f.open_dataset(e.path);
}

int64_t HeatmapsWriter::done_count() const { return std::count(done_.begin(), done_.end(), uint8_t{1}); }

void HeatmapsWriter::write(int64_t index, const HeatmapSample& s) {
  const auto check = [&](const char* name, size_t found, int64_t expected) {
    if (static_cast<int64_t>(found) != expected)
      fail(out_.file().file_label(), std::string("/") + name,
           fmt::format("sample {}: expected {} values, found {}", index, expected, found));
  };
  check("heatmaps", s.heatmaps.size(), layout_.map_values());
  check("coords", s.coords.size(), layout_.joints * 3);
  HeatmapBlock block;
  block.count = 1;
  block.sample_ids = &s.sample_id;
  block.image_ids = &s.image_id;
  block.crops = s.crop.data();
  block.heatmaps = s.heatmaps.data();
  block.coords = s.coords.data();
  for (const auto& e : layout_.extras) {
    auto it = s.extras.find(e.path);
    if (it == s.extras.end()) fail(out_.file().file_label(), "/" + e.path, fmt::format("sample {}: expected values, found none", index));
    check(e.path.c_str(), it->second.size(), h5::element_count(e.sample_shape));
    block.extras[e.path] = it->second.data();
  }
  write_block(index, block);
}

void HeatmapsWriter::write_block(int64_t first, const HeatmapBlock& b) {
  const std::string& file = out_.file().file_label();
  if (first < 0 || b.count < 0 || first + b.count > layout_.samples)
    fail(file, "", fmt::format("samples [{}, {}) out of range: the dump has {}", first, first + b.count, layout_.samples));
  if (!b.sample_ids || !b.image_ids || !b.crops || !b.heatmaps || !b.coords)
    fail(file, "", "a block needs sample ids, image ids, crops, heatmaps and coords");
  for (const auto& [path, data] : b.extras)
    if (!extras_.count(path)) fail(file, "/" + path, "expected no such array in this dump's layout, found values for it");
  sample_id_.write_rows(first, b.count, b.sample_ids);
  image_id_.write_rows(first, b.count, b.image_ids);
  crop_.write_rows(first, b.count, b.crops);
  heatmaps_.write_rows(first, b.count, b.heatmaps);
  coords_.write_rows(first, b.count, b.coords);
  for (auto& [path, dataset] : extras_) {
    auto it = b.extras.find(path);
    if (it == b.extras.end() || !it->second) fail(file, "/" + path, "expected values in the block, found none");
    dataset.write_rows(first, b.count, it->second);
  }
}

void HeatmapsWriter::mark_done(int64_t first, int64_t count) {
  if (first < 0 || count < 0 || first + count > layout_.samples)
    fail(out_.file().file_label(), "/done",
         fmt::format("samples [{}, {}) out of range: the dump has {}", first, first + count, layout_.samples));
  std::fill(done_.begin() + first, done_.begin() + first + count, uint8_t{1});
  done_set_.write_rows(first, count, done_.data() + first);
  out_.file().flush();
}

void HeatmapsWriter::commit() {
  const int64_t missing = layout_.samples - done_count();
  if (missing > 0) {
    const auto first = std::find(done_.begin(), done_.end(), uint8_t{0}) - done_.begin();
    fail(out_.target(), "/done",
         fmt::format("expected all {} samples written, found {} missing (first: index {})", layout_.samples, missing, first));
  }
  for (h5::Dataset* d : {&sample_id_, &image_id_, &crop_, &heatmaps_, &coords_, &done_set_}) *d = h5::Dataset();
  extras_.clear();
  out_.commit();
}

}  // namespace posekd::io
