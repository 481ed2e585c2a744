#pragma once
// The per-format halves of read_dataset (internal header). Each fills `out.images`,
// `out.categories` and `out.instances` in file order with image paths resolved against
// `image_dir`; read_dataset then checks image files and filters for training.
#include <simdjson.h>

#include <string>

#include "posekd/data/dataset.h"
#include "posekd/data/json_util.h"

namespace posekd::detail {

struct Source {
  const std::string& path;  // the annotation file, as named in messages
  const json::Text& text;
  simdjson::ondemand::document& doc;
  std::string image_dir;  // resolved: never empty
};

// COCO keypoints or CrowdPose (a top-level object). `requested` is automatic, coco or
// crowdpose; `skeleton_name` "" means the detected format's own.
void read_coco_like(const Source& src, DatasetFormat requested, const std::string& skeleton_name, Dataset& out);

// MPII in HRNet's JSON layout (a top-level array).
void read_mpii(const Source& src, const std::string& skeleton_name, Dataset& out);

// The image path stored in ImageInfo::path and Instance::image_path.
std::string resolve_image_path(const std::string& image_dir, const std::string& file_name);

}  // namespace posekd::detail
