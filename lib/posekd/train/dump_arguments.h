#pragma once
// What --resume and --merge check (internal to pose-dump-heatmaps): the arguments that decide
// a dump's bytes, and which samples a shard holds.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "posekd/train/dump.h"

namespace posekd::train::detail {

// --dump-padding 0 resolved: 1.25, the crop the teacher was trained and validated on.
double effective_padding(const DumpOptions& o);
// --flip-shift auto resolved: exact when a heatmaps file is written, else the predictions'
// default (nullopt: HRNet's, or none for UDP).
std::optional<FlipShift> effective_flip_shift(const DumpOptions& o);
// The `dump_config` root attribute: "key=value; ..." of every argument that changes the output.
std::string dump_config(const DumpOptions& o);
// The first "; "-separated part that differs, as `expected "...", found "..."`.
std::string first_difference(const std::string& expected, const std::string& found);
// Refuses (naming the file) a .partial started with other arguments.
void check_resumable(const std::string& partial, const std::string& config);
// [begin, end) of batch-aligned instance positions of shard `index` of `shards`.
std::pair<size_t, size_t> shard_range(size_t count, int batch_size, int index, int shards);

}  // namespace posekd::train::detail
