#include "posekd/data/synth_writers.h"

#include <fmt/format.h>

#include <cmath>

namespace posekd::synth {

std::string json_number(double value, int decimals) {
  std::string s = fmt::format("{:.{}f}", value, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c < 0x20) out += fmt::format("\\u{:04x}", c);
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

namespace {

std::string box_text(const Box& b) {
  return fmt::format("[{}, {}, {}, {}]", json_number(b.x, 2), json_number(b.y, 2), json_number(b.w, 2), json_number(b.h, 2));
}

}  // namespace

void write_coco_json(std::ostream& out, const std::vector<SynthImage>& images, const Skeleton& skeleton, bool crowdpose,
                     const std::string& info_json) {
  out << "{\n\"info\": " << info_json << ",\n\"images\": [\n";
  for (size_t i = 0; i < images.size(); ++i) {
    const SynthImage& im = images[i];
    out << fmt::format("{{\"id\": {}, \"file_name\": {}, \"width\": {}, \"height\": {}", im.id, json_string(im.file_name),
                       im.width, im.height);
    if (crowdpose) out << ", \"crowdIndex\": " << json_number(crowd_index(im.people), 4);
    out << (i + 1 < images.size() ? "},\n" : "}\n");
  }
  out << "],\n\"annotations\": [\n";
  int64_t id = 0;
  bool first = true;
  for (const SynthImage& im : images)
    for (const PersonLabel& p : im.people) {
      std::string kp;
      for (const Keypoint& k : p.keypoints) {
        if (!kp.empty()) kp += ", ";
        if (k.v > 0) kp += fmt::format("{}, {}, {}", json_number(k.x, 2), json_number(k.y, 2), static_cast<int>(k.v));
        else kp += "0, 0, 0";
      }
      out << (first ? "" : ",\n")
          << fmt::format("{{\"id\": {}, \"image_id\": {}, \"category_id\": 1, \"bbox\": {}, \"area\": {}, \"iscrowd\": 0, "
                         "\"num_keypoints\": {}, \"keypoints\": [{}]}}",
                         ++id, im.id, box_text(p.box), json_number(p.area, 2), p.num_keypoints(), kp);
      first = false;
    }
  out << (first ? "" : "\n") << "],\n\"categories\": [{\"id\": 1, \"name\": \"person\", \"supercategory\": \"person\", \"keypoints\": [";
  for (size_t j = 0; j < skeleton.joints.size(); ++j) out << (j ? ", " : "") << json_string(skeleton.joints[j]);
  out << "], \"skeleton\": [";
  // COCO numbers the skeleton's joints from 1.
  for (size_t e = 0; e < skeleton.edges.size(); ++e)
    out << (e ? ", " : "") << fmt::format("[{}, {}]", skeleton.edges[e].first + 1, skeleton.edges[e].second + 1);
  out << "]}]\n}\n";
}

void write_mpii_json(std::ostream& out, const std::vector<SynthImage>& images) {
  out << "[\n";
  bool first = true;
  auto one_based = [](double v) { return json_number(v + 1, 2); };
  for (const SynthImage& im : images)
    for (const PersonLabel& p : im.people) {
      std::string joints, vis;
      for (const Keypoint& k : p.keypoints) {
        if (!joints.empty()) joints += ", ", vis += ", ";
        joints += k.v > 0 ? fmt::format("[{}, {}]", one_based(k.x), one_based(k.y)) : "[-1, -1]";
        vis += k.v > 0 ? "1" : "0";
      }
      out << (first ? "" : ",\n")
          << fmt::format("{{\"image\": {}, \"center\": [{}, {}], \"scale\": {}, \"joints\": [{}], \"joints_vis\": [{}], "
                         "\"headbox\": [{}, {}, {}, {}]}}",
                         json_string(im.file_name), one_based(p.centre.x), one_based(p.centre.y), json_number(p.scale, 4),
                         joints, vis, one_based(p.headbox[0]), one_based(p.headbox[1]), one_based(p.headbox[2]),
                         one_based(p.headbox[3]));
      first = false;
    }
  out << (first ? "" : "\n") << "]\n";
}

void write_detections_json(std::ostream& out, const std::vector<SynthImage>& images) {
  out << "[\n";
  bool first = true;
  for (const SynthImage& im : images)
    for (const Detection& d : im.detections) {
      out << (first ? "" : ",\n")
          << fmt::format("{{\"image_id\": {}, \"category_id\": 1, \"bbox\": {}, \"score\": {}}}", im.id, box_text(d.box),
                         json_number(d.score, 4));
      first = false;
    }
  out << (first ? "" : "\n") << "]\n";
}

}  // namespace posekd::synth
