#pragma once
// The root of a heatmaps file, shared by its writer, reader and the shard merge.
#include <string>

#include "posekd/io/heatmaps.h"

namespace posekd::io {

// Refuses a layout the writer cannot store, naming `file`.
void validate_layout(const HeatmapsLayout& layout, const std::string& file);
void write_heatmaps_root(h5::Group& root, const HeatmapsLayout& layout, const Provenance& provenance);
// Validates format, version, the skeleton and every dataset's shape and dtype.
HeatmapsLayout read_heatmaps_layout(const h5::File& file);
// [N, sample_shape...]
h5::Shape with_rows(int64_t rows, const h5::Shape& sample_shape);
// The per-sample datasets besides the extras, in file order, with their shapes for `layout`.
std::vector<std::pair<std::string, h5::Shape>> core_datasets(const HeatmapsLayout& layout);
h5::DType core_dtype(const std::string& name, const HeatmapsLayout& layout);

}  // namespace posekd::io
