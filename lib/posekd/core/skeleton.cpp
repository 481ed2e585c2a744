#include "posekd/core/skeleton.h"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <simdjson.h>
#include <sstream>

#include "posekd/core/error.h"

namespace posekd {
namespace {

// Divides, as pycocotools and crowdposetools do (`np.array([...]) / 10.0`): multiplying by 0.1
// differs in the last bit for .79, .87 and .89, and OKS must agree with them bit for bit.
std::vector<double> tenths(std::vector<double> v) {
  for (auto& x : v) x /= 10.0;
  return v;
}

std::vector<Skeleton> make_builtins() {
  std::vector<Skeleton> out;
  // COCO person keypoints; sigmas are pycocotools' kpt_oks_sigmas.
  out.push_back({"coco17",
                 {"nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
                  "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
                  "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"},
                 {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 16}},
                 {{15, 13}, {13, 11}, {16, 14}, {14, 12}, {11, 12}, {5, 11}, {6, 12}, {5, 6}, {5, 7}, {6, 8},
                  {7, 9}, {8, 10}, {1, 2}, {0, 1}, {0, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}},
                 tenths({.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89})});
  // MPII in HRNet's joint order; MPII has no OKS sigmas of its own: these are mmpose's.
  out.push_back({"mpii16",
                 {"right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "pelvis",
                  "thorax", "upper_neck", "head_top", "right_wrist", "right_elbow", "right_shoulder",
                  "left_shoulder", "left_elbow", "left_wrist"},
                 {{0, 5}, {1, 4}, {2, 3}, {10, 15}, {11, 14}, {12, 13}},
                 {{0, 1}, {1, 2}, {2, 6}, {6, 3}, {3, 4}, {4, 5}, {6, 7}, {7, 8}, {8, 9}, {8, 12}, {12, 11},
                  {11, 10}, {8, 13}, {13, 14}, {14, 15}},
                 {0.089, 0.083, 0.107, 0.107, 0.083, 0.089, 0.026, 0.026, 0.026, 0.026, 0.062, 0.072, 0.179,
                  0.179, 0.072, 0.062}});
  // CrowdPose; sigmas are crowdposetools' (head and neck .79).
  out.push_back({"crowdpose14",
                 {"left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
                  "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "head",
                  "neck"},
                 {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}},
                 {{12, 13}, {13, 0}, {13, 1}, {0, 2}, {2, 4}, {1, 3}, {3, 5}, {0, 6}, {1, 7}, {6, 7}, {6, 8},
                  {8, 10}, {7, 9}, {9, 11}},
                 tenths({.79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89, .79, .79})});
  // Leeds Sports Pose. Its metric is PCK; the sigmas (for OKS-NMS and OKS AP on LSP) are
  // those of the same joints in mpii16.
  out.push_back({"lsp14",
                 {"right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
                  "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow", "left_wrist",
                  "neck", "head_top"},
                 {{0, 5}, {1, 4}, {2, 3}, {6, 11}, {7, 10}, {8, 9}},
                 {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {2, 8}, {3, 9}, {8, 9}, {8, 7}, {7, 6}, {9, 10},
                  {10, 11}, {8, 12}, {9, 12}, {12, 13}},
                 {0.089, 0.083, 0.107, 0.107, 0.083, 0.089, 0.062, 0.072, 0.179, 0.179, 0.072, 0.062, 0.026,
                  0.026}});
  return out;
}

const std::vector<Skeleton>& builtins() {
  static const std::vector<Skeleton> all = make_builtins();
  return all;
}

std::vector<std::pair<int, int>> read_pairs(simdjson::dom::element e, const std::string& origin,
                                            const char* key) {
  std::vector<std::pair<int, int>> out;
  simdjson::dom::array arr;
  if (e[key].get(arr)) fail(origin, key, "expected an array of [i, j] pairs");
  size_t idx = 0;
  for (auto item : arr) {
    simdjson::dom::array pair;
    int64_t a = 0, b = 0;
    if (item.get(pair) || pair.size() != 2 || pair.at(0).get(a) || pair.at(1).get(b))
      fail(origin, fmt::format("{}[{}]", key, idx), "expected a pair of joint indices [i, j]");
    out.emplace_back(static_cast<int>(a), static_cast<int>(b));
    ++idx;
  }
  return out;
}

}  // namespace

std::vector<int> Skeleton::flip_index() const {
  std::vector<int> idx(joints.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int>(i);
  for (auto [a, b] : flip_pairs) {
    idx[a] = b;
    idx[b] = a;
  }
  return idx;
}

int Skeleton::joint_index(const std::string& joint) const {
  for (size_t i = 0; i < joints.size(); ++i)
    if (joints[i] == joint) return static_cast<int>(i);
  return -1;
}

void Skeleton::validate(const std::string& origin) const {
  const int k = num_joints();
  if (k == 0) fail(origin, "joints", "a skeleton needs at least one joint");
  if (static_cast<int>(sigmas.size()) != k)
    fail(origin, "sigmas", fmt::format("expected {} values (one per joint), found {}", k, sigmas.size()));
  std::vector<int> seen(k, 0);
  for (size_t i = 0; i < flip_pairs.size(); ++i) {
    auto [a, b] = flip_pairs[i];
    if (a < 0 || b < 0 || a >= k || b >= k || a == b)
      fail(origin, fmt::format("flip_pairs[{}]", i), fmt::format("expected two distinct joints in [0, {}), found [{}, {}]", k, a, b));
    if (seen[a]++ || seen[b]++)
      fail(origin, fmt::format("flip_pairs[{}]", i), "a joint appears in two flip pairs");
  }
  for (size_t i = 0; i < edges.size(); ++i) {
    auto [a, b] = edges[i];
    if (a < 0 || b < 0 || a >= k || b >= k)
      fail(origin, fmt::format("edges[{}]", i), fmt::format("expected joints in [0, {}), found [{}, {}]", k, a, b));
  }
  for (size_t i = 0; i < sigmas.size(); ++i)
    if (!(sigmas[i] > 0)) fail(origin, fmt::format("sigmas[{}]", i), fmt::format("expected > 0, found {}", sigmas[i]));
}

const std::vector<std::string>& Skeleton::builtin_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& s : builtins()) n.push_back(s.name);
    return n;
  }();
  return names;
}

const Skeleton* Skeleton::find_builtin(const std::string& name) {
  for (const auto& s : builtins())
    if (s.name == name) return &s;
  return nullptr;
}

Skeleton Skeleton::load(const std::string& name_or_path) {
  if (const Skeleton* s = find_builtin(name_or_path)) return *s;
  std::ifstream in(name_or_path, std::ios::binary);
  if (!in) {
    std::string known;
    for (const auto& n : builtin_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error(fmt::format("{}: not a built-in skeleton ({}) nor a readable skeleton JSON file", name_or_path, known));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return from_json(buf.str(), name_or_path);
}

Skeleton Skeleton::from_json(const std::string& text, const std::string& origin) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(text).get(doc)) fail(origin, "", fmt::format("not valid JSON ({})", simdjson::error_message(err)));
  Skeleton s;
  std::string_view name;
  if (doc["name"].get(name)) fail(origin, "name", "expected a string");
  s.name = std::string(name);
  simdjson::dom::array joints;
  if (doc["joints"].get(joints)) fail(origin, "joints", "expected an array of joint names");
  for (auto j : joints) {
    std::string_view jn;
    if (j.get(jn)) fail(origin, fmt::format("joints[{}]", s.joints.size()), "expected a string");
    s.joints.emplace_back(jn);
  }
  s.flip_pairs = read_pairs(doc, origin, "flip_pairs");
  s.edges = read_pairs(doc, origin, "edges");
  simdjson::dom::array sigmas;
  if (doc["sigmas"].get(sigmas)) fail(origin, "sigmas", "expected an array of numbers");
  for (auto v : sigmas) {
    double d = 0;
    if (v.get(d)) fail(origin, fmt::format("sigmas[{}]", s.sigmas.size()), "expected a number");
    s.sigmas.push_back(d);
  }
  s.validate(origin);
  return s;
}

std::string Skeleton::to_json() const {
  auto pairs = [](const std::vector<std::pair<int, int>>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += fmt::format("{}[{}, {}]", i ? ", " : "", v[i].first, v[i].second);
    return out + "]";
  };
  std::string names = "[";
  for (size_t i = 0; i < joints.size(); ++i) names += fmt::format("{}\"{}\"", i ? ", " : "", joints[i]);
  names += "]";
  std::string sig = "[";
  for (size_t i = 0; i < sigmas.size(); ++i) sig += fmt::format("{}{}", i ? ", " : "", sigmas[i]);
  sig += "]";
  return fmt::format("{{\n  \"name\": \"{}\",\n  \"joints\": {},\n  \"flip_pairs\": {},\n  \"edges\": {},\n  \"sigmas\": {}\n}}\n",
                     name, names, pairs(flip_pairs), pairs(edges), sig);
}

bool Skeleton::operator==(const Skeleton& o) const {
  return name == o.name && joints == o.joints && flip_pairs == o.flip_pairs && edges == o.edges && sigmas == o.sigmas;
}

}  // namespace posekd
