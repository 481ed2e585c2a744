// COCO results files: detector boxes (HRNet's COCO_val2017_detections_AP_H_56_person.json)
// and keypoint predictions, as pycocotools' loadRes reads them.
#include <fmt/format.h>

#include "posekd/core/error.h"
#include "posekd/data/dataset.h"
#include "posekd/data/json_util.h"

namespace posekd {
namespace {

using json::Issue;
using simdjson::ondemand::value;

struct ParsedResult {
  Result result;
  std::vector<double> keypoints;
  size_t bbox_numbers = 0;
  bool has_image_id = false, has_score = false, has_keypoints = false;
};

bool keep(Issue& first, Issue issue, std::string_view field) {
  if (!issue) return false;
  issue.field = std::string(field) + issue.field;
  if (issue.syntax || !first) first = std::move(issue);
  return first.syntax;
}

Issue parse_result(value v, ParsedResult& p, std::vector<double>& numbers) {
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
    if (key == "image_id") {
      issue = json::read_int64(val, p.result.image_id);
      p.has_image_id = !issue;
    } else if (key == "category_id") {
      issue = json::read_int64(val, p.result.category_id);
    } else if (key == "score") {
      p.has_score = true;
      issue = json::read_double(val, p.result.score);
    } else if (key == "bbox") {
      p.result.has_bbox = true;
      issue = json::read_numbers(val, numbers);
      p.bbox_numbers = numbers.size();
      if (numbers.size() == 4) p.result.bbox = {numbers[0], numbers[1], numbers[2], numbers[3]};
    } else if (key == "keypoints") {
      p.has_keypoints = true;
      issue = json::read_numbers(val, p.keypoints);
    }
    if (keep(first, std::move(issue), key)) return first;
  }
  return first;
}

}  // namespace

std::vector<Result> read_results(const std::string& path, int expected_joints) {
  const json::Text text(path);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (auto e = parser.iterate(text.view()).get(doc)) fail(path, "", fmt::format("not valid JSON ({})", simdjson::error_message(e)));
  simdjson::ondemand::array entries;
  if (auto e = doc.get_array().get(entries)) {
    if (!json::is_type_error(e)) json::fail_syntax(path, "", json::syntax_issue(e), text, doc);
    fail(path, "", "expected a JSON array of results (COCO results format), found another JSON value");
  }

  std::vector<Result> out;
  std::vector<double> numbers;
  for (auto element : entries) {
    const size_t index = out.size();
    value v;
    if (auto e = element.get(v)) json::fail_syntax(path, fmt::format("[{}]", index), json::syntax_issue(e), text, doc);
    ParsedResult p;
    const Issue issue = parse_result(v, p, numbers);
    const std::string place =
        p.has_image_id ? fmt::format("[{}] (image_id {})", index, p.result.image_id) : fmt::format("[{}]", index);
    if (issue.syntax) json::fail_syntax(path, place, issue, text, doc);
    if (issue) fail(path, json::join_place(place, issue.field), issue.message);
    if (!p.has_image_id) fail(path, place + ":image_id", "missing field");
    if (!p.has_score) fail(path, place + ":score", "missing field");
    if (!p.result.has_bbox && !p.has_keypoints) fail(path, place, "expected a bbox or keypoints, found neither");
    if (p.result.has_bbox && p.bbox_numbers != 4)
      fail(path, place + ":bbox", fmt::format("expected 4 numbers [x, y, w, h], found {}", p.bbox_numbers));
    if (p.has_keypoints) {
      const size_t found = p.keypoints.size();
      if (expected_joints > 0 && found != 3 * static_cast<size_t>(expected_joints))
        fail(path, place + ":keypoints",
             fmt::format("expected {} numbers ({} joints), found {}", 3 * expected_joints, expected_joints, found));
      if (found % 3 != 0) fail(path, place + ":keypoints", fmt::format("expected x, y, score triples, found {} numbers", found));
      p.result.keypoints.resize(found / 3);
      for (size_t j = 0; j < found / 3; ++j)
        p.result.keypoints[j] = {static_cast<float>(p.keypoints[3 * j]), static_cast<float>(p.keypoints[3 * j + 1]),
                                 static_cast<float>(p.keypoints[3 * j + 2])};
    }
    out.push_back(std::move(p.result));
  }
  json::expect_end(path, text, doc);
  return out;
}

}  // namespace posekd
