#include "posekd/io/info.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/io/checkpoint.h"
#include "posekd/io/format.h"
#include "posekd/io/heatmaps.h"

namespace posekd::io {
namespace {

void describe_checkpoint(const h5::File& f, FileDescription& d) {
  const Checkpoint c = read_checkpoint(f, false);
  d.model_spec = c.model_spec;
  d.refiner_spec = c.refiner_spec;
  d.skeleton = c.skeleton.name;
  d.joints = c.skeleton.num_joints();
  d.input_size = c.input_size;
  d.heatmap_size = c.heatmap_size;
  d.head_type = c.head_type;
  d.decoding = c.decoding;
  d.gflops = c.gflops;
  d.params = c.param_count;
  if (!d.params) {
    int64_t values = 0;
    for (const auto& a : c.params) values += h5::element_count(a.shape);
    d.params = values;
  }
  d.array_counts = {{"params", c.params.size()}, {"buffers", c.buffers.size()}, {"extra", c.extra.size()}};
  if (c.train) {
    d.array_counts.emplace_back("optimizer", c.train->optimizer.size());
    d.train = TrainSummary{c.train->epoch, c.train->step, c.train->best_metric, c.train->best_metric_name};
  }
}

void describe_heatmaps(h5::File f, FileDescription& d) {
  const HeatmapsReader r(std::move(f));
  const HeatmapsLayout& l = r.layout();
  d.model_spec = l.model_spec;
  d.skeleton = l.skeleton.name;
  d.joints = l.skeleton.num_joints();
  d.input_size = l.input_size;
  d.samples = r.size();
  d.done = r.done_count();
  d.heatmaps_shape = {l.samples, l.joints, l.height, l.width};
  d.heatmaps_dtype = h5::dtype_name(l.dtype);
  d.attributes = l.attributes;
}

}  // namespace

FileDescription describe_file(const std::string& path) {
  h5::File f = h5::File::open(path);
  FileDescription d;
  d.file = f.file_label();
  d.format = file_format(f);
  if (d.format.empty())
    fail(d.file, "/", "expected a posekd file (format posekd-checkpoint or posekd-heatmaps), found an HDF5 file without a 'format' attribute");
  if (d.format.rfind("posekd-", 0) != 0)
    fail(d.file, "/@format", fmt::format("expected posekd-checkpoint or posekd-heatmaps, found {}", d.format));
  check_format(f, d.format);
  d.format_version = f.attr_int("format_version");
  d.provenance = read_provenance(f);
  f.visit_datasets([&](const std::string& relative, const h5::Dataset& ds) {
    d.datasets.push_back({"/" + relative, ds.shape(), ds.dtype_text(), ds.chunk(), ds.deflate_level(), ds.virtual_sources().size()});
  });
  // Formats of later posekd versions' tools are listed without a format-specific summary.
  if (d.format == checkpoint_format) describe_checkpoint(f, d);
  else if (d.format == heatmaps_format) describe_heatmaps(std::move(f), d);
  return d;
}

int run_info(const InfoOptions& options, std::ostream& out, std::ostream& err) {
  if (std::count(options.files.begin(), options.files.end(), "-") > 1)
    throw UsageError("stdin ('-') can be read only once");
  int failed = 0;
  bool first = true;
  for (const auto& path : options.files) {
    try {
      const FileDescription d = describe_file(path);
      if (options.json) {
        out << describe_json(d) << '\n';
      } else {
        out << (first ? "" : "\n") << describe_text(d);
        first = false;
      }
      out.flush();
    } catch (const UsageError&) {
      throw;
    } catch (const Error& e) {
      err << log::program() << ": error: " << e.what() << '\n';
      ++failed;
    }
  }
  return failed;
}

}  // namespace posekd::io
