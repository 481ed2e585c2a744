#pragma once
// What every posekd HDF5 file carries at its root (DESIGN 3.4): `format`, `format_version`
// and the provenance of the tool that wrote it; and the /skeleton group of files that
// describe their own keypoints.
#include <string>

#include "posekd/core/provenance.h"
#include "posekd/core/skeleton.h"
#include "posekd/io/h5.h"

namespace posekd::io {

constexpr int64_t format_version = 1;
inline const char* const checkpoint_format = "posekd-checkpoint";
inline const char* const heatmaps_format = "posekd-heatmaps";

// Root attributes: format, format_version, tool, version, argv, config, utc_time, inputs
// (paths) and input_fingerprints (parallel to inputs).
void write_header(h5::Group& root, const std::string& format, const Provenance& provenance);
// Missing provenance attributes read as empty (files made by other programs).
Provenance read_provenance(const h5::Group& root);
// The root's `format` attribute, "" when it has none.
std::string file_format(const h5::Group& root);
// Refuses a foreign file (no `format`, or another one) and a newer format_version, naming
// the file, the attribute, expected and found.
void check_format(const h5::Group& root, const std::string& format);

// /skeleton: attribute name; datasets names [K] string, flip_pairs [P,2] int64,
// edges [E,2] int64, sigmas [K] float64.
void write_skeleton(h5::Group& root, const Skeleton& skeleton);
Skeleton read_skeleton(const h5::Group& root);

}  // namespace posekd::io
