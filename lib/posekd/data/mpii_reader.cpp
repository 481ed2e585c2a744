// MPII annotations in the JSON layout HRNet ships (annot/train.json, valid.json): a list of
// people, each {image, center, scale, joints, joints_vis, [headbox]}, converted the way
// HRNet's lib/dataset/mpii.py converts them so crops and PCKh match it.
#include <fmt/format.h>

#include <unordered_map>

#include "posekd/core/error.h"
#include "posekd/data/json_util.h"
#include "posekd/data/readers.h"

namespace posekd::detail {
namespace {

using json::Issue;
using simdjson::ondemand::value;

struct ParsedRow {
  std::string image;
  std::vector<double> center, joints_vis, headbox;
  std::vector<double> joints;  // x, y per joint
  size_t joint_count = 0;
  size_t bad_joint = SIZE_MAX, bad_joint_numbers = 0;  // first joint that is not an [x, y] pair
  double scale = 0;
  bool has_image = false, has_center = false, has_scale = false, has_joints = false, has_joints_vis = false,
       has_headbox = false;
};

bool keep(Issue& first, Issue issue, std::string_view field) {
  if (!issue) return false;
  issue.field = std::string(field) + issue.field;
  if (issue.syntax || !first) first = std::move(issue);
  return first.syntax;
}

Issue parse_joints(value& val, ParsedRow& p, std::vector<double>& pair) {
  simdjson::ondemand::array arr;
  if (auto e = val.get_array().get(arr)) return json::type_issue(val, e, "an array of [x, y] pairs");
  Issue first;
  for (auto element : arr) {
    value x;
    if (auto e = element.get(x)) return json::syntax_issue(e, fmt::format("[{}]", p.joint_count));
    if (keep(first, json::read_numbers(x, pair), fmt::format("[{}]", p.joint_count))) return first;
    if (pair.size() != 2 && p.bad_joint == SIZE_MAX) {
      p.bad_joint = p.joint_count;
      p.bad_joint_numbers = pair.size();
    }
    pair.resize(2);
    p.joints.insert(p.joints.end(), pair.begin(), pair.end());
    ++p.joint_count;
  }
  return first;
}

Issue parse_row(value v, ParsedRow& p, std::vector<double>& pair) {
  simdjson::ondemand::object obj;
  if (auto e = v.get_object().get(obj)) return json::type_issue(v, e, "an object");
  Issue first;
  for (auto f : obj) {
    simdjson::ondemand::field field;
    if (auto e = std::move(f).get(field)) return json::syntax_issue(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return json::syntax_issue(e);
    value& val = field.value();
    Issue issue;
    if (key == "image") {
      p.has_image = true;
      issue = json::read_string(val, p.image);
    } else if (key == "center") {
      p.has_center = true;
      issue = json::read_numbers(val, p.center);
    } else if (key == "scale") {
      p.has_scale = true;
      issue = json::read_double(val, p.scale);
    } else if (key == "joints") {
      p.has_joints = true;
      issue = parse_joints(val, p, pair);
    } else if (key == "joints_vis") {
      p.has_joints_vis = true;
      issue = json::read_numbers(val, p.joints_vis);
    } else if (key == "headbox") {
      p.has_headbox = true;
      issue = json::read_numbers(val, p.headbox);
    }
    if (keep(first, std::move(issue), key)) return first;
  }
  return first;
}

std::string row_place(size_t index, const ParsedRow& p) {
  return p.has_image && !p.image.empty() ? fmt::format("[{}] ({})", index, p.image) : fmt::format("[{}]", index);
}

}  // namespace

void read_mpii(const Source& src, const std::string& skeleton_name, Dataset& out) {
  simdjson::ondemand::array rows;
  if (auto e = src.doc.get_array().get(rows)) json::fail_syntax(src.path, "", json::syntax_issue(e), src.text, src.doc);
  out.format = DatasetFormat::mpii;
  out.skeleton = Skeleton::load(skeleton_name.empty() ? "mpii16" : skeleton_name);
  const size_t joints = static_cast<size_t>(out.skeleton.num_joints());

  std::unordered_map<std::string, size_t> image_index;
  std::vector<double> pair;
  size_t index = 0;
  for (auto element : rows) {
    value v;
    if (auto e = element.get(v)) json::fail_syntax(src.path, fmt::format("[{}]", index), json::syntax_issue(e), src.text, src.doc);
    ParsedRow p;
    const Issue issue = parse_row(v, p, pair);
    const std::string place = row_place(index, p);
    if (issue.syntax) json::fail_syntax(src.path, place, issue, src.text, src.doc);
    // Rows are validated as they come: an MPII row carries no id that appears after its fields.
    if (issue) fail(src.path, json::join_place(place, issue.field), issue.message);
    if (!p.has_image) fail(src.path, place + ":image", "missing field");
    if (!p.has_center) fail(src.path, place + ":center", "missing field");
    if (!p.has_scale) fail(src.path, place + ":scale", "missing field");
    if (p.center.size() != 2) fail(src.path, place + ":center", fmt::format("expected 2 numbers [x, y], found {}", p.center.size()));
    // HRNet's test.json has neither joints nor joints_vis: the people are unlabelled.
    if (p.has_joints != p.has_joints_vis)
      fail(src.path, place + (p.has_joints ? ":joints_vis" : ":joints"), "missing field (joints and joints_vis come together)");
    if (p.has_joints) {
      if (p.joint_count != joints)
        fail(src.path, place + ":joints", fmt::format("expected {} joints ([x, y] pairs), found {}", joints, p.joint_count));
      if (p.bad_joint != SIZE_MAX)
        fail(src.path, fmt::format("{}:joints[{}]", place, p.bad_joint), fmt::format("expected 2 numbers [x, y], found {}", p.bad_joint_numbers));
      if (p.joints_vis.size() != joints)
        fail(src.path, place + ":joints_vis", fmt::format("expected {} numbers ({} joints), found {}", joints, joints, p.joints_vis.size()));
    }
    if (p.has_headbox && p.headbox.size() != 4)
      fail(src.path, place + ":headbox", fmt::format("expected 4 numbers [x1, y1, x2, y2], found {}", p.headbox.size()));

    auto [image, added] = image_index.emplace(p.image, out.images.size());
    if (added) {
      ImageInfo info;
      info.id = static_cast<int64_t>(out.images.size());
      info.file_name = p.image;
      info.path = resolve_image_path(src.image_dir, p.image);
      out.images.push_back(std::move(info));
    }

    Instance inst;
    inst.image_id = static_cast<int64_t>(image->second);
    inst.image_path = out.images[image->second].path;
    inst.sample_id = static_cast<int64_t>(index);
    // HRNet's mpii.py, reproduced: the centre moves down by 15·scale px and the scale grows by
    // 1.25 to avoid cropping limbs (skipped when the centre is -1, HRNet's "unknown"), and
    // everything shifts by -1 from MATLAB's 1-based pixels to 0-based. The headbox gets the
    // same shift so all coordinates share one frame (PCKh only uses its size).
    double cx = p.center[0], cy = p.center[1], s = p.scale;
    if (cx != -1) {
      cy += 15 * s;
      s *= 1.25;
    }
    inst.center_x = cx - 1;
    inst.center_y = cy - 1;
    inst.scale = s;
    const double side = 200 * p.scale;
    inst.box = {inst.center_x - side / 2, inst.center_y - side / 2, side, side};
    inst.area = side * side;
    inst.keypoints.resize(joints);
    if (p.has_joints) {
      for (size_t j = 0; j < joints; ++j)
        inst.keypoints[j] = {static_cast<float>(p.joints[2 * j] - 1), static_cast<float>(p.joints[2 * j + 1] - 1),
                             static_cast<float>(p.joints_vis[j])};
    }
    for (const auto& k : inst.keypoints) inst.num_keypoints += k.v > 0;
    if (p.has_headbox) {
      for (int c = 0; c < 4; ++c) inst.headbox[c] = p.headbox[c] - 1;
      inst.has_headbox = true;
    }
    out.instances.push_back(std::move(inst));
    ++index;
  }
  json::expect_end(src.path, src.text, src.doc);
}

}  // namespace posekd::detail
