#pragma once
// The annotation files pose-synth writes: COCO keypoints JSON, CrowdPose JSON (COCO plus a
// `crowdIndex` per image), MPII in HRNet's JSON layout, and detector boxes in the COCO
// results format. Output is byte-for-byte a function of the input: no time stamps.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "posekd/core/skeleton.h"
#include "posekd/data/synth_detections.h"
#include "posekd/data/synth_labels.h"

namespace posekd::synth {

struct SynthImage {
  int64_t id = 0;
  std::string file_name;
  int width = 0, height = 0;
  std::vector<PersonLabel> people;
  std::vector<Detection> detections;
};

// `info_json` is a JSON object written as the file's "info". Annotation ids count from 1 in
// image order.
void write_coco_json(std::ostream& out, const std::vector<SynthImage>& images, const Skeleton& skeleton, bool crowdpose,
                     const std::string& info_json);
// HRNet's layout: a list of {image, center, scale, joints, joints_vis, headbox} with MATLAB's
// 1-based pixel coordinates (HRNet subtracts 1 on reading); unlabelled joints are [-1, -1].
void write_mpii_json(std::ostream& out, const std::vector<SynthImage>& images);
void write_detections_json(std::ostream& out, const std::vector<SynthImage>& images);

// Shortest decimal text with at most `decimals` digits after the point ("12.5", "3", "-0.25").
std::string json_number(double value, int decimals);
std::string json_string(const std::string& text);

}  // namespace posekd::synth
