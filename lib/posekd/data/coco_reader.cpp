// COCO keypoints and CrowdPose annotation files: one pass over the document with simdjson
// On-Demand (fields in any order, unknown fields such as "segmentation" skipped), then
// validation in file order so the first bad element is the one reported.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unordered_map>

#include "posekd/core/error.h"
#include "posekd/data/json_util.h"
#include "posekd/data/readers.h"

namespace posekd::detail {
namespace {

using json::Issue;
using simdjson::ondemand::value;

// crowdposetools' cocoeval.py has no annotation area: computeOks and evaluateImg both use
// bbox w·h·0.53 for every ground truth (the file's "area", if any, is never read).
constexpr double kCrowdPoseAreaFactor = 0.53;

struct ParsedImage {
  ImageInfo info;
  bool has_id = false, has_file_name = false;
};

struct ParsedAnnotation {
  Instance instance;
  int64_t category_id = 0;
  size_t keypoint_numbers = 0, bbox_numbers = 0;
  bool has_id = false, has_image_id = false, has_category_id = false, has_keypoints = false, has_bbox = false,
       has_area = false, has_num_keypoints = false;
};

struct ParsedCategory {
  Category category;
  bool has_id = false;
  std::vector<std::vector<double>> skeleton;  // as in the file: 1-based pairs
};

using IssueList = std::vector<std::pair<size_t, Issue>>;

// Keeps the first issue of an element; returns true when the JSON is broken and reading
// cannot go on.
bool keep(Issue& first, Issue issue, std::string_view field) {
  if (!issue) return false;
  issue.field = std::string(field) + issue.field;
  if (issue.syntax || !first) first = std::move(issue);
  return first.syntax;
}

template <typename OnField>
Issue for_each_field(value v, OnField&& on_field) {
  simdjson::ondemand::object obj;
  if (auto e = v.get_object().get(obj)) return json::type_issue(v, e, "an object");
  Issue first;
  for (auto f : obj) {
    simdjson::ondemand::field field;
    if (auto e = std::move(f).get(field)) return json::syntax_issue(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return json::syntax_issue(e);
    if (keep(first, on_field(key, field.value()), key)) return first;
  }
  return first;
}

Issue parse_image(value v, ParsedImage& p) {
  return for_each_field(v, [&](std::string_view key, value& val) -> Issue {
    int64_t n = 0;
    if (key == "id") {
      Issue issue = json::read_int64(val, p.info.id);
      p.has_id = !issue;
      return issue;
    }
    if (key == "file_name") {
      p.has_file_name = true;
      return json::read_string(val, p.info.file_name);
    }
    if (key == "width" || key == "height") {
      Issue issue = json::read_int64(val, n);
      (key == "width" ? p.info.width : p.info.height) = static_cast<int>(n);
      return issue;
    }
    if (key == "crowdIndex") return json::read_double(val, p.info.crowd_index);
    return {};
  });
}

Issue parse_annotation(value v, ParsedAnnotation& p, std::vector<double>& numbers) {
  Instance& inst = p.instance;
  return for_each_field(v, [&](std::string_view key, value& val) -> Issue {
    if (key == "keypoints") {
      p.has_keypoints = true;
      Issue issue = json::read_numbers(val, numbers);
      p.keypoint_numbers = numbers.size();
      if (!issue && numbers.size() % 3 == 0) {
        inst.keypoints.resize(numbers.size() / 3);
        for (size_t j = 0; j < inst.keypoints.size(); ++j)
          inst.keypoints[j] = {static_cast<float>(numbers[3 * j]), static_cast<float>(numbers[3 * j + 1]),
                               static_cast<float>(numbers[3 * j + 2])};
      }
      return issue;
    }
    if (key == "bbox") {
      p.has_bbox = true;
      Issue issue = json::read_numbers(val, numbers);
      p.bbox_numbers = numbers.size();
      if (!issue && numbers.size() == 4) inst.box = {numbers[0], numbers[1], numbers[2], numbers[3]};
      return issue;
    }
    if (key == "id") {
      Issue issue = json::read_int64(val, inst.sample_id);
      p.has_id = !issue;
      return issue;
    }
    if (key == "image_id") {
      p.has_image_id = true;
      return json::read_int64(val, inst.image_id);
    }
    if (key == "category_id") {
      p.has_category_id = true;
      return json::read_int64(val, p.category_id);
    }
    if (key == "area") {
      p.has_area = true;
      return json::read_double(val, inst.area);
    }
    if (key == "iscrowd") return json::read_bool_or_int(val, inst.iscrowd);
    if (key == "num_keypoints") {
      p.has_num_keypoints = true;
      int64_t n = 0;
      Issue issue = json::read_int64(val, n);
      inst.num_keypoints = static_cast<int>(n);
      return issue;
    }
    return {};
  });
}

Issue parse_joint_names(value& val, std::vector<std::string>& names) {
  simdjson::ondemand::array arr;
  if (auto e = val.get_array().get(arr)) return json::type_issue(val, e, "an array of joint names");
  Issue first;
  for (auto element : arr) {
    value x;
    if (auto e = element.get(x)) return json::syntax_issue(e, fmt::format("[{}]", names.size()));
    names.emplace_back();
    if (keep(first, json::read_string(x, names.back()), fmt::format("[{}]", names.size() - 1))) return first;
  }
  return first;
}

Issue parse_skeleton(value& val, std::vector<std::vector<double>>& pairs) {
  simdjson::ondemand::array arr;
  if (auto e = val.get_array().get(arr)) return json::type_issue(val, e, "an array of joint index pairs");
  Issue first;
  for (auto element : arr) {
    value x;
    if (auto e = element.get(x)) return json::syntax_issue(e, fmt::format("[{}]", pairs.size()));
    pairs.emplace_back();
    if (keep(first, json::read_numbers(x, pairs.back()), fmt::format("[{}]", pairs.size() - 1))) return first;
  }
  return first;
}

Issue parse_category(value v, ParsedCategory& p) {
  return for_each_field(v, [&](std::string_view key, value& val) -> Issue {
    if (key == "id") {
      Issue issue = json::read_int64(val, p.category.id);
      p.has_id = !issue;
      return issue;
    }
    if (key == "name") return json::read_string(val, p.category.name);
    if (key == "keypoints") return parse_joint_names(val, p.category.keypoints);
    if (key == "skeleton") return parse_skeleton(val, p.skeleton);
    return {};
  });
}

std::string element_place(const char* section, size_t index, bool has_id, int64_t id) {
  return has_id ? fmt::format("{}[{}] (id {})", section, index, id) : fmt::format("{}[{}]", section, index);
}

// Reads one top-level array; `parse(value, index)` returns the element's first issue.
template <typename Parse, typename Place>
void parse_section(const Source& src, value& val, const char* section, IssueList& issues, Parse&& parse,
                   Place&& place) {
  simdjson::ondemand::array arr;
  if (auto e = val.get_array().get(arr)) {
    Issue issue = json::type_issue(val, e, "an array");
    if (issue.syntax) json::fail_syntax(src.path, section, issue, src.text, src.doc);
    fail(src.path, section, issue.message);
  }
  size_t index = 0;
  for (auto element : arr) {
    value x;
    if (auto e = element.get(x)) json::fail_syntax(src.path, fmt::format("{}[{}]", section, index), json::syntax_issue(e), src.text, src.doc);
    Issue issue = parse(x);
    if (issue.syntax) json::fail_syntax(src.path, place(index), issue, src.text, src.doc);
    if (issue) issues.emplace_back(index, std::move(issue));
    ++index;
  }
}

// The first deferred issue of element `index`, if any, fails with the element's place.
void fail_on_issue(const Source& src, const IssueList& issues, size_t& cursor, size_t index, const std::string& place) {
  if (cursor < issues.size() && issues[cursor].first == index) {
    const Issue& issue = issues[cursor].second;
    fail(src.path, json::join_place(place, issue.field), issue.message);
  }
}

int count_labelled(const std::vector<Keypoint>& keypoints) {
  int n = 0;
  for (const auto& k : keypoints) n += k.v > 0;
  return n;
}

}  // namespace

void read_coco_like(const Source& src, DatasetFormat requested, const std::string& skeleton_name, Dataset& out) {
  simdjson::ondemand::object top;
  if (auto e = src.doc.get_object().get(top)) json::fail_syntax(src.path, "", json::syntax_issue(e), src.text, src.doc);

  std::vector<ParsedImage> images;
  std::vector<ParsedAnnotation> annotations;
  std::vector<ParsedCategory> categories;
  IssueList image_issues, annotation_issues, category_issues;
  bool has_images = false, has_annotations = false;
  std::vector<double> numbers;
  numbers.reserve(64);

  for (auto f : top) {
    simdjson::ondemand::field field;
    std::string_view key;
    if (auto e = std::move(f).get(field)) json::fail_syntax(src.path, "", json::syntax_issue(e), src.text, src.doc);
    if (auto e = field.unescaped_key().get(key)) json::fail_syntax(src.path, "", json::syntax_issue(e), src.text, src.doc);
    if (key == "images") {
      has_images = true;
      parse_section(
          src, field.value(), "images", image_issues,
          [&](value v) { return parse_image(v, images.emplace_back()); },
          [&](size_t i) { return element_place("images", i, images[i].has_id, images[i].info.id); });
    } else if (key == "annotations") {
      has_annotations = true;
      parse_section(
          src, field.value(), "annotations", annotation_issues,
          [&](value v) { return parse_annotation(v, annotations.emplace_back(), numbers); },
          [&](size_t i) {
            return element_place("annotations", i, annotations[i].has_id, annotations[i].instance.sample_id);
          });
    } else if (key == "categories") {
      parse_section(
          src, field.value(), "categories", category_issues,
          [&](value v) { return parse_category(v, categories.emplace_back()); },
          [&](size_t i) { return element_place("categories", i, categories[i].has_id, categories[i].category.id); });
    }
  }
  json::expect_end(src.path, src.text, src.doc);
  if (!has_images) fail(src.path, "images", "missing field (a COCO-style file has images and annotations)");
  if (!has_annotations) fail(src.path, "annotations", "missing field (a COCO-style file has images and annotations)");

  // CrowdPose is COCO's layout with 14 joints and a crowdIndex per image.
  DatasetFormat format = requested;
  if (format == DatasetFormat::automatic) {
    bool crowdpose = false;
    for (const auto& im : images) crowdpose = crowdpose || im.info.crowd_index >= 0;
    for (const auto& c : categories) crowdpose = crowdpose || c.category.keypoints.size() == 14;
    format = crowdpose ? DatasetFormat::crowdpose : DatasetFormat::coco;
  }
  out.format = format;
  out.skeleton = Skeleton::load(!skeleton_name.empty() ? skeleton_name
                                : format == DatasetFormat::crowdpose ? "crowdpose14"
                                                                     : "coco17");
  const size_t joints = static_cast<size_t>(out.skeleton.num_joints());

  size_t cursor = 0;
  std::unordered_map<int64_t, size_t> category_index;
  for (size_t i = 0; i < categories.size(); ++i) {
    ParsedCategory& p = categories[i];
    const std::string place = element_place("categories", i, p.has_id, p.category.id);
    fail_on_issue(src, category_issues, cursor, i, place);
    if (!p.has_id) fail(src.path, place + ":id", "missing field");
    if (!category_index.emplace(p.category.id, i).second)
      fail(src.path, place + ":id", fmt::format("duplicate category id, first at categories[{}]", category_index[p.category.id]));
    const size_t named = p.category.keypoints.size();
    if (named != 0 && named != joints)
      fail(src.path, place + ":keypoints",
           fmt::format("expected {} joint names (skeleton {}), found {}", joints, out.skeleton.name, named));
    // Kept as written, only made 0-based: CrowdPose's files carry COCO's 17-joint skeleton
    // in their 14-joint category, so the indices are not checked against the joint names.
    for (size_t e = 0; e < p.skeleton.size(); ++e) {
      const auto& pair = p.skeleton[e];
      const bool integers = pair.size() == 2 && pair[0] == static_cast<int>(pair[0]) && pair[1] == static_cast<int>(pair[1]);
      if (!integers)
        fail(src.path, fmt::format("{}:skeleton[{}]", place, e),
             fmt::format("expected two 1-based joint indices, found [{}]", fmt::join(pair, ", ")));
      p.category.skeleton.emplace_back(static_cast<int>(pair[0]) - 1, static_cast<int>(pair[1]) - 1);
    }
    out.categories.push_back(std::move(p.category));
  }

  cursor = 0;
  std::unordered_map<int64_t, size_t> image_index;
  image_index.reserve(images.size());
  out.images.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    ParsedImage& p = images[i];
    const std::string place = element_place("images", i, p.has_id, p.info.id);
    fail_on_issue(src, image_issues, cursor, i, place);
    if (!p.has_id) fail(src.path, place + ":id", "missing field");
    if (!p.has_file_name) fail(src.path, place + ":file_name", "missing field");
    if (!image_index.emplace(p.info.id, i).second)
      fail(src.path, place + ":id", fmt::format("duplicate image id, first at images[{}]", image_index[p.info.id]));
    p.info.path = resolve_image_path(src.image_dir, p.info.file_name);
    out.images.push_back(std::move(p.info));
  }
  images = {};

  cursor = 0;
  std::unordered_map<int64_t, size_t> annotation_index;
  annotation_index.reserve(annotations.size());
  out.instances.reserve(annotations.size());
  for (size_t i = 0; i < annotations.size(); ++i) {
    ParsedAnnotation& p = annotations[i];
    Instance& inst = p.instance;
    const std::string place = element_place("annotations", i, p.has_id, inst.sample_id);
    fail_on_issue(src, annotation_issues, cursor, i, place);
    if (!p.has_id) fail(src.path, place + ":id", "missing field");
    if (!p.has_image_id) fail(src.path, place + ":image_id", "missing field");
    if (!p.has_keypoints) fail(src.path, place + ":keypoints", "missing field");
    if (!p.has_bbox) fail(src.path, place + ":bbox", "missing field");
    if (p.keypoint_numbers != 3 * joints)
      fail(src.path, place + ":keypoints",
           fmt::format("expected {} numbers ({} joints), found {}", 3 * joints, joints, p.keypoint_numbers));
    if (p.bbox_numbers != 4) fail(src.path, place + ":bbox", fmt::format("expected 4 numbers [x, y, w, h], found {}", p.bbox_numbers));
    if (format == DatasetFormat::crowdpose) {
      inst.area = inst.box.w * inst.box.h * kCrowdPoseAreaFactor;
    } else if (!p.has_area) {
      fail(src.path, place + ":area", "missing field (COCO evaluation needs it; CrowdPose files have none: use format crowdpose)");
    }
    if (!annotation_index.emplace(inst.sample_id, i).second)
      fail(src.path, place + ":id", fmt::format("duplicate annotation id, first at annotations[{}]", annotation_index[inst.sample_id]));
    auto image = image_index.find(inst.image_id);
    if (image == image_index.end())
      fail(src.path, place + ":image_id", fmt::format("no image with id {} in images", inst.image_id));
    if (p.has_category_id && !categories.empty() && !category_index.count(p.category_id))
      fail(src.path, place + ":category_id", fmt::format("no category with id {} in categories", p.category_id));
    if (!p.has_num_keypoints) inst.num_keypoints = count_labelled(inst.keypoints);
    inst.image_path = out.images[image->second].path;
    out.instances.push_back(std::move(inst));
  }
}

}  // namespace posekd::detail
