#pragma once
// pose-info's library side (STYLE 1): what a posekd HDF5 file is and where it came from.
#include <array>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "posekd/core/provenance.h"
#include "posekd/io/h5.h"

namespace posekd::io {

struct InfoOptions {
  std::vector<std::string> files;  // "-" reads stdin
  bool json = false;
};

struct DatasetSummary {
  std::string path;
  h5::Shape shape;
  std::string dtype;
  h5::Shape chunk;  // empty when contiguous
  int deflate = 0;
  size_t virtual_sources = 0;  // > 0 for a merged file's views of its shards
};

struct TrainSummary {
  int64_t epoch = 0;
  int64_t step = 0;
  double best_metric = 0;
  std::string best_metric_name;
};

struct FileDescription {
  std::string file;
  std::string format;
  int64_t format_version = 0;
  std::string model_spec;
  std::string refiner_spec;  // checkpoints of pose-refine-gcn
  std::string skeleton;
  int64_t joints = 0;
  // Checkpoints.
  std::array<int64_t, 2> input_size{0, 0};
  std::array<int64_t, 2> heatmap_size{0, 0};
  std::string head_type;
  std::string decoding;
  std::optional<int64_t> params;  // the `params` attribute, else the values under /params
  std::optional<double> gflops;
  std::vector<std::pair<std::string, size_t>> array_counts;  // params, buffers, extra, optimizer
  std::optional<TrainSummary> train;
  // Heatmaps.
  std::optional<int64_t> samples;
  std::optional<int64_t> done;
  h5::Shape heatmaps_shape;  // [N,K,h,w]
  std::string heatmaps_dtype;
  std::map<std::string, std::string> attributes;
  Provenance provenance;
  std::vector<DatasetSummary> datasets;
};

// Validates the file as its format's reader does; throws posekd::Error naming the file for
// foreign, truncated, non-HDF5 and newer files.
FileDescription describe_file(const std::string& path);

std::string describe_text(const FileDescription& d);
std::string describe_json(const FileDescription& d);  // one line

// Describes every file to `out` (text, or one JSON object per line); a file that cannot be
// described gets a one-line error on `err` and the others are still described. Returns
// the number of files that failed.
int run_info(const InfoOptions& options, std::ostream& out, std::ostream& err);

}  // namespace posekd::io
