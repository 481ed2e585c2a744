#include "posekd/data/dataset.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/data/json_util.h"
#include "posekd/data/readers.h"

namespace posekd {

DatasetFormat parse_dataset_format(const std::string& name) {
  if (name == "auto") return DatasetFormat::automatic;
  if (name == "coco") return DatasetFormat::coco;
  if (name == "crowdpose") return DatasetFormat::crowdpose;
  if (name == "mpii") return DatasetFormat::mpii;
  throw UsageError(fmt::format("unknown dataset format \"{}\": expected auto, coco, crowdpose or mpii", name));
}

const char* to_string(DatasetFormat f) {
  switch (f) {
    case DatasetFormat::automatic: return "auto";
    case DatasetFormat::coco: return "coco";
    case DatasetFormat::crowdpose: return "crowdpose";
    case DatasetFormat::mpii: return "mpii";
  }
  return "?";
}

const ImageInfo* Dataset::find_image(int64_t image_id) const {
  if (image_index.size() == images.size()) {
    auto it = image_index.find(image_id);
    if (it == image_index.end() || it->second >= images.size() || images[it->second].id != image_id) return nullptr;
    return &images[it->second];
  }
  for (const auto& im : images)
    if (im.id == image_id) return &im;
  return nullptr;
}

namespace detail {

std::string resolve_image_path(const std::string& image_dir, const std::string& file_name) {
  return (std::filesystem::path(image_dir) / file_name).lexically_normal().string();
}

}  // namespace detail

namespace {

// "" when the image can be read, else why not.
std::string image_problem(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return fmt::format("image {} not found ({})", path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fmt::format("image {} is not a regular file", path);
  if (access(path.c_str(), R_OK) != 0) return fmt::format("image {} not readable ({})", path, std::strerror(errno));
  return {};
}

std::string image_place(const Dataset& d, size_t image) {
  if (d.format != DatasetFormat::mpii) return fmt::format("images[{}] (id {}):file_name", image, d.images[image].id);
  for (const auto& inst : d.instances)
    if (inst.image_id == d.images[image].id) return fmt::format("[{}] ({}):image", inst.sample_id, d.images[image].file_name);
  return "image";
}

void check_images(Dataset& d, const ReadOptions& options) {
  std::unordered_set<int64_t> missing;
  std::vector<std::string> names;
  std::vector<ImageInfo> kept;
  for (size_t i = 0; i < d.images.size(); ++i) {
    const std::string problem = image_problem(d.images[i].path);
    if (problem.empty()) {
      kept.push_back(std::move(d.images[i]));
      continue;
    }
    if (!options.skip_missing_images) fail(d.path, image_place(d, i), problem);
    missing.insert(d.images[i].id);
    names.push_back(d.images[i].file_name);
  }
  if (missing.empty()) return;
  const size_t before = d.instances.size();
  d.instances.erase(std::remove_if(d.instances.begin(), d.instances.end(),
                                   [&](const Instance& inst) { return missing.count(inst.image_id) > 0; }),
                    d.instances.end());
  d.images = std::move(kept);
  d.skipped_missing_images = static_cast<int64_t>(missing.size());
  constexpr size_t kNamesShown = 5;
  const std::string shown = fmt::format("{}{}", fmt::join(names.begin(), names.begin() + std::min(names.size(), kNamesShown), ", "),
                                        names.size() > kNamesShown ? ", ..." : "");
  log::warn("{}: skipped {} missing or unreadable images and their {} annotations: {}", d.path, missing.size(),
            before - d.instances.size(), shown);
}

// HRNet's coco.py and mmpose's COCO datasets train on non-crowd people with at least one
// labelled keypoint; HRNet's mpii.py trains on every row.
void filter_for_training(Dataset& d) {
  if (d.format == DatasetFormat::mpii) return;
  const size_t before = d.instances.size();
  d.instances.erase(std::remove_if(d.instances.begin(), d.instances.end(),
                                   [](const Instance& inst) { return inst.iscrowd || inst.num_keypoints == 0; }),
                    d.instances.end());
  d.dropped_for_training = static_cast<int64_t>(before - d.instances.size());
  if (d.dropped_for_training > 0)
    log::info("{}: training on {} of {} annotations (dropped {} crowd or without keypoints)", d.path, d.instances.size(),
              before, d.dropped_for_training);
}

}  // namespace

Dataset read_dataset(const std::string& path, const ReadOptions& options) {
  Dataset out;
  out.path = path;
  {
    const json::Text text(path);
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc;
    if (auto e = parser.iterate(text.view()).get(doc)) fail(path, "", fmt::format("not valid JSON ({})", simdjson::error_message(e)));
    simdjson::ondemand::json_type type;
    if (auto e = doc.type().get(type)) json::fail_syntax(path, "", json::syntax_issue(e), text, doc);

    std::string image_dir = options.image_dir;
    if (image_dir.empty()) image_dir = std::filesystem::path(path).parent_path().string();
    if (image_dir.empty()) image_dir = ".";
    const detail::Source src{path, text, doc, image_dir};

    const bool is_object = type == simdjson::ondemand::json_type::object;
    const bool is_array = type == simdjson::ondemand::json_type::array;
    switch (options.format) {
      case DatasetFormat::automatic:
        if (!is_object && !is_array)
          fail(path, "", fmt::format("expected a JSON object (COCO, CrowdPose) or array (MPII) at the top level, found {}",
                                     json::opening(text)));
        break;
      case DatasetFormat::coco:
      case DatasetFormat::crowdpose:
        if (!is_object)
          fail(path, "", fmt::format("expected a JSON object at the top level ({} layout), found {}", to_string(options.format),
                                     is_array ? "an array" : json::opening(text)));
        break;
      case DatasetFormat::mpii:
        if (!is_array)
          fail(path, "", fmt::format("expected a JSON array at the top level (MPII layout), found {}",
                                     is_object ? "an object" : json::opening(text)));
        break;
    }
    if (is_array)
      detail::read_mpii(src, options.skeleton, out);
    else
      detail::read_coco_like(src, options.format, options.skeleton, out);
  }
  if (options.check_images || options.skip_missing_images) check_images(out, options);
  if (options.purpose == Purpose::training) filter_for_training(out);
  out.image_index.reserve(out.images.size());
  for (size_t i = 0; i < out.images.size(); ++i) out.image_index.emplace(out.images[i].id, i);
  return out;
}

}  // namespace posekd
