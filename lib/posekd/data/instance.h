#pragma once
// One training or evaluation sample (DESIGN 3.1): a person in an image.
#include <cstdint>
#include <string>
#include <vector>

namespace posekd {

struct Keypoint {
  // Image pixels, pixel centres at integer coordinates. Double, as pycocotools computes OKS
  // in float64: results files carry full-precision coordinates.
  double x = 0, y = 0;
  float v = 0;         // COCO visibility: 0 not labelled, 1 labelled but occluded, 2 visible
};

struct Box {
  double x = 0, y = 0, w = 0, h = 0;  // COCO bbox: top-left corner, width, height
};

struct Instance {
  std::string image_path;  // resolved against the dataset's image directory
  int64_t image_id = 0;
  // Stable identity of the sample: the COCO/CrowdPose annotation id; for MPII the row index
  // of the annotation file. Every HDF5 file keyed by samples stores it; consumers join on it.
  int64_t sample_id = 0;
  Box box;
  std::vector<Keypoint> keypoints;  // K entries
  double area = 0;
  bool iscrowd = false;
  int num_keypoints = 0;  // the annotation's own field (COCO), or the count of v > 0
  float score = 1.0f;     // 1 for ground truth boxes, the detector's score for detections
  // MPII: center/scale (scale × 200 px = person height) and head box [x1,y1,x2,y2].
  double center_x = 0, center_y = 0, scale = 0;
  double headbox[4] = {0, 0, 0, 0};
  bool has_headbox = false;
};

}  // namespace posekd
