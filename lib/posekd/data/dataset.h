#pragma once
// Datasets on disk -> Instances (DESIGN 3.1). Formats: COCO keypoints JSON, CrowdPose JSON,
// MPII in HRNet's JSON layout; detector boxes and keypoint results in the COCO results format.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "posekd/core/skeleton.h"
#include "posekd/data/instance.h"

namespace posekd {

enum class DatasetFormat { automatic, coco, crowdpose, mpii };
DatasetFormat parse_dataset_format(const std::string& name);  // "auto", "coco", ...
const char* to_string(DatasetFormat f);

struct ImageInfo {
  int64_t id = 0;
  std::string file_name;  // as written in the annotation file
  std::string path;       // resolved against the image directory
  int width = 0, height = 0;
  double crowd_index = -1;  // CrowdPose only; -1 when absent
};

struct Category {
  int64_t id = 0;
  std::string name;
  std::vector<std::string> keypoints;
  std::vector<std::pair<int, int>> skeleton;  // 0-based
};

// Which annotations a reader keeps. Evaluation keeps every annotation (crowd ones too);
// training drops crowd annotations and those with num_keypoints == 0, as the reference
// training code (HRNet, mmpose) does.
enum class Purpose { evaluation, training };

struct ReadOptions {
  DatasetFormat format = DatasetFormat::automatic;
  std::string image_dir;      // "" = the annotation file's directory
  std::string skeleton;       // "" = the format's own (coco17, crowdpose14, mpii16)
  Purpose purpose = Purpose::evaluation;
  bool check_images = false;  // stat every image file: missing ones are an error ...
  bool skip_missing_images = false;  // ... or a counted warning
};

struct Dataset {
  std::string path;  // the annotation file
  DatasetFormat format = DatasetFormat::coco;
  Skeleton skeleton;
  std::vector<ImageInfo> images;
  std::vector<Category> categories;
  std::vector<Instance> instances;  // in file order
  int64_t skipped_missing_images = 0;
  int64_t dropped_for_training = 0;  // crowd and num_keypoints == 0 annotations (Purpose::training)
  // image id -> index into `images`, built by read_dataset; find_image falls back to a scan
  // when `images` was changed afterwards.
  std::unordered_map<int64_t, size_t> image_index;

  const ImageInfo* find_image(int64_t image_id) const;  // nullptr when absent
};

Dataset read_dataset(const std::string& path, const ReadOptions& options = {});

// A COCO results entry: a detector box (bbox set, keypoints empty) or a keypoint prediction
// (keypoints set, v = the keypoint score).
struct Result {
  int64_t image_id = 0;
  int64_t category_id = 1;
  std::vector<Keypoint> keypoints;
  Box bbox;
  bool has_bbox = false;
  double score = 0;
};

// Reads a COCO results JSON (a list of objects). `expected_joints` > 0 checks each entry's
// keypoint count.
std::vector<Result> read_results(const std::string& path, int expected_joints = 0);

}  // namespace posekd
