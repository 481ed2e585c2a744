#include "posekd/train/dump_arguments.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "posekd/cli/tool.h"
#include "posekd/core/error.h"
#include "posekd/core/provenance.h"
#include "posekd/io/h5.h"
#include "posekd/io/heatmaps.h"

namespace posekd::train {
namespace {

int parse_int(const std::string& text, const std::string& what) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') throw UsageError(fmt::format("{}: expected an integer, found \"{}\"", what, text));
  return static_cast<int>(v);
}

}  // namespace

namespace detail {

double effective_padding(const DumpOptions& o) {
  return o.padding > 0 ? o.padding : 1.25;
}

std::optional<FlipShift> effective_flip_shift(const DumpOptions& o) {
  if (o.flip_shift || o.output.empty()) return o.flip_shift;
  return FlipShift::exact;
}

// What decides the bytes of a dump: a resumed .partial must have been started with the same.
// Workers, threads, the predictions file and the overlays do not change them.
std::string dump_config(const DumpOptions& o) {
  std::string features;
  for (const auto& f : o.features) features += (features.empty() ? "" : ",") + f;
  return fmt::format(
      "checkpoint={} [{}]; dataset={} format={} image_dir={}; detections={} threshold={}; shard={}/{}; "
      "batch_size={}; padding={}; flip_test={} flip_shift={}; decoder={} blur_kernel={}; dtype={} deflate={}; "
      "features={} tokens={}",
      o.checkpoint, file_fingerprint(o.checkpoint), o.dataset, o.dataset_format, o.image_dir,
      o.detections.empty() ? "none" : o.detections + " [" + file_fingerprint(o.detections) + "]",
      o.detection_threshold, o.shard_index, o.shard_count, o.batch_size, effective_padding(o), o.flip_test,
      o.flip_shift ? to_string(*o.flip_shift) : "auto", o.decoder.empty() ? "default" : o.decoder,
      o.blur_kernel, o.float32 ? "float32" : "float16", o.deflate, features.empty() ? "none" : features, o.tokens);
}

// "a=1; b=2" -> the first part that differs, for the refusal message.
std::string first_difference(const std::string& expected, const std::string& found) {
  std::istringstream e(expected), f(found);
  std::string a, b;
  while (true) {
    const bool more_e = bool(std::getline(e, a, ';')), more_f = bool(std::getline(f, b, ';'));
    if (!more_e && !more_f) return "";
    if (a != b) return fmt::format("expected \"{}\", found \"{}\"", a, b);
  }
}

void check_resumable(const std::string& partial, const std::string& config) {
  h5::File f = h5::File::open(partial);
  if (!f.has_attr("dump_config"))
    fail(partial, "/@dump_config", "cannot resume: expected the dump's arguments, found none (not a pose-dump-heatmaps output)");
  const std::string found = f.attr_string("dump_config");
  if (found != config)
    fail(partial, "/@dump_config", "cannot resume with different arguments: " + first_difference(config, found));
}

// [begin, end) of batch-aligned instance positions: the same batches as an unsharded dump,
// so a merged sharded dump equals it bit for bit.
std::pair<size_t, size_t> shard_range(size_t count, int batch_size, int index, int shards) {
  const size_t batches = (count + size_t(batch_size) - 1) / size_t(batch_size);
  const size_t b0 = batches * size_t(index) / size_t(shards), b1 = batches * size_t(index + 1) / size_t(shards);
  return {std::min(count, b0 * size_t(batch_size)), std::min(count, b1 * size_t(batch_size))};
}

}  // namespace detail

using detail::first_difference;

std::pair<int, int> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) throw UsageError(fmt::format("--shard: expected i/n, found \"{}\"", text));
  const int i = parse_int(text.substr(0, slash), "--shard"), n = parse_int(text.substr(slash + 1), "--shard");
  if (n < 1 || i < 0 || i >= n)
    throw UsageError(fmt::format("--shard: expected i/n with 0 <= i < n, found \"{}\"", text));
  return {i, n};
}

std::optional<std::pair<int, int>> shard_from_slurm() {
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (!id || !count) return std::nullopt;
  const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
  // Array jobs are often numbered from 1 (--array=1-8): the shard is the offset from the minimum.
  const int i = parse_int(id, "SLURM_ARRAY_TASK_ID") - (min ? parse_int(min, "SLURM_ARRAY_TASK_MIN") : 0);
  const int n = parse_int(count, "SLURM_ARRAY_TASK_COUNT");
  return parse_shard(fmt::format("{}/{}", i, n));
}

void merge_dumps(const std::vector<std::string>& shards, const std::string& output, bool force) {
  if (shards.empty()) throw UsageError("--merge: expected shard files, found none");
  if (output.empty() || output == "-") throw UsageError("--merge: expected -o FILE (a merged dump refers to its shards)");
  cli::check_output_path(output, force);
  std::string reference;
  int count = 0;
  std::vector<std::string> ordered;  // by shard index: a shell glob puts shard10 before shard2
  for (const std::string& path : shards) {
    const h5::File f = h5::File::open(path);
    if (!f.has_attr("dump_config")) fail(path, "/@dump_config", "expected a pose-dump-heatmaps output, found no dump arguments");
    std::string config = f.attr_string("dump_config");
    const auto at = config.find("; shard=");
    const auto stop = at == std::string::npos ? at : config.find(';', at + 2);
    if (at == std::string::npos || stop == std::string::npos)
      fail(path, "/@dump_config", fmt::format("expected \"...; shard=i/n; ...\", found \"{}\"", config));
    const auto [index, n] = parse_shard(config.substr(at + 8, stop - at - 8));
    config.erase(at, stop - at);
    if (reference.empty()) {
      reference = config;
      count = n;
      ordered.assign(size_t(n), "");
    } else if (config != reference || n != count) {
      fail(path, "/@dump_config",
           fmt::format("not a shard of the same dump as {}: {}", shards.front(),
                       n != count ? fmt::format("expected {} shards, found {}", count, n) : first_difference(reference, config)));
    }
    if (!ordered[size_t(index)].empty())
      fail(path, "/@dump_config", fmt::format("shard {}/{} given twice (also {})", index, n, ordered[size_t(index)]));
    ordered[size_t(index)] = path;
  }
  for (int i = 0; i < count; ++i)
    if (ordered[size_t(i)].empty())
      throw Error(fmt::format("--merge: shard {}/{} is missing ({} of {} given)", i, count, shards.size(), count));
  io::merge_heatmap_shards(ordered, output);
}

}  // namespace posekd::train
