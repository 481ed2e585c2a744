#include "posekd/nn/model_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "posekd/core/error.h"

namespace posekd::nn {
namespace {

enum class Kind { integer, real, choice, size, names };

struct KeyRule {
  std::string key;
  std::string fallback;
  Kind kind;
  double min = 0, max = 0;            // integer, real
  std::vector<std::string> choices;  // choice; for integers an optional closed set
};

KeyRule integer(std::string key, int fallback, int min, int max) {
  return {std::move(key), std::to_string(fallback), Kind::integer, double(min), double(max), {}};
}
KeyRule integer_of(std::string key, int fallback, std::vector<std::string> set) {
  return {std::move(key), std::to_string(fallback), Kind::integer, 0, 0, std::move(set)};
}
KeyRule real(std::string key, std::string fallback, double min, double max) {
  return {std::move(key), std::move(fallback), Kind::real, min, max, {}};
}
KeyRule choice(std::string key, std::vector<std::string> set) {
  std::string first = set.front();
  return {std::move(key), first, Kind::choice, 0, 0, std::move(set)};
}
KeyRule size(std::string key, std::string fallback) { return {std::move(key), std::move(fallback), Kind::size, 1, 4096, {}}; }
// "auto" or exactly `count` names joined by '+' (commas separate keys): "layer3+layer2+deconv_layers".
KeyRule names(std::string key, int count) { return {std::move(key), "auto", Kind::names, double(count), double(count), {}}; }

std::vector<KeyRule> token_rules(int dim, int layers, int heads) {
  return {integer("dim", dim, 8, 4096), integer("layers", layers, 1, 64), integer("heads", heads, 1, 64),
          integer("mlp", 3, 1, 16), size("patch", "4x3")};
}

// Keys per model, then the head's own keys. Defaults are the papers' configurations.
std::vector<KeyRule> rules_for(const std::string& model, const std::string& head, const std::string& text) {
  std::vector<KeyRule> rules;
  std::vector<std::string> heads = {"heatmap", "simcc", "regression"};
  std::string input = "256x192";
  if (model == "hourglass") {  // Newell et al.: 8 stacks of 256 channels, 4 levels, 256×256
    rules = {integer("stacks", 8, 1, 16), integer("channels", 256, 4, 4096), integer("depth", 4, 1, 6)};
    input = "256x256";
  } else if (model == "resnet") {  // SimpleBaseline (Xiao et al.): ResNet-50 + 3 deconvs of 256
    rules = {integer_of("depth", 50, {"18", "34", "50"}), integer("width", 64, 1, 1024), integer("deconvs", 3, 0, 5),
             integer("deconv_channels", 256, 1, 4096)};
  } else if (model == "hrnet") {  // HRNet-W32, four stages, four blocks per branch
    rules = {integer("width", 32, 1, 1024), integer("stages", 4, 2, 4), integer("blocks", 4, 1, 8)};
  } else if (model == "tokenpose") {  // TokenPose-S-v1: CNN stem, 4×3 patches, 12 layers of 192
    rules = {integer("stem_width", 64, 1, 1024)};
    for (auto& r : token_rules(192, 12, 8)) rules.push_back(r);
    heads = {"heatmap"};
  } else {
    std::string names;
    for (const auto& n : ModelSpec::model_names()) names += (names.empty() ? "" : ", ") + n;
    throw UsageError(fmt::format("model spec \"{}\": unknown model \"{}\" (accepted: {})", text, model, names));
  }
  rules.push_back(integer("joints", 17, 1, 1000));
  rules.push_back(size("input", input));
  KeyRule head_rule = choice("head", heads);
  rules.push_back(head_rule);
  if (std::find(heads.begin(), heads.end(), head) == heads.end()) return rules;  // reported by validate
  if (head == "simcc") rules.push_back(real("split", "2", 0.25, 16));  // SimCC's split ratio k
  if (head == "regression") {
    for (auto& r : token_rules(192, 4, 8)) rules.push_back(r);
    // DistilPose's students: `sine-full` table, pre-norm layers; `learnable`, `post` are the
    // token teacher's (nn/token_transformer.h).
    rules.push_back(choice("pos", {"sine-full", "learnable"}));
    rules.push_back(choice("norm", {"pre", "post"}));
  }
  return rules;
}

// Keys per refiner (pose-refine-gcn). Defaults follow the papers: OPEC-Net's GCN width 128 and
// its three image features, coarse to fine.
std::vector<KeyRule> refiner_rules_for(const std::string& refiner, const std::string& text) {
  if (refiner == "igp") return {integer("hidden", 128, 4, 4096), names("features", 3)};
  // DDSR's DSR×4, anchor threshold τ and the width of its FCs on vectorised maps (nn/dsr.h).
  if (refiner == "dsr") return {integer("stages", 4, 1, 16), real("tau", "0.75", 0, 1), integer("width", 64, 0, 65536)};
  std::string accepted;
  for (const auto& n : ModelSpec::refiner_names()) accepted += (accepted.empty() ? "" : ", ") + n;
  throw UsageError(fmt::format("refiner spec \"{}\": unknown refiner \"{}\" (accepted: {})", text, refiner, accepted));
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool parse_long(const std::string& s, long& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtol(s.c_str(), &end, 10);
  return *end == '\0';
}

bool parse_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return *end == '\0' && std::isfinite(out);
}

bool parse_size(const std::string& s, InputSize& out) {
  const auto x = s.find('x');
  long h = 0, w = 0;
  if (x == std::string::npos || !parse_long(s.substr(0, x), h) || !parse_long(s.substr(x + 1), w)) return false;
  if (h < 1 || w < 1 || h > 4096 || w > 4096) return false;
  out = {int(h), int(w)};
  return true;
}

// The canonical text of a valid value, or "" when invalid.
std::string canonical(const KeyRule& rule, const std::string& value) {
  switch (rule.kind) {
    case Kind::integer: {
      long v = 0;
      if (!parse_long(value, v)) return {};
      const std::string text = std::to_string(v);
      if (!rule.choices.empty())
        return std::find(rule.choices.begin(), rule.choices.end(), text) != rule.choices.end() ? text : "";
      return (v >= rule.min && v <= rule.max) ? text : "";
    }
    case Kind::real: {
      double v = 0;
      if (!parse_double(value, v) || v < rule.min || v > rule.max) return {};
      return fmt::format("{}", v);
    }
    case Kind::choice:
      return std::find(rule.choices.begin(), rule.choices.end(), value) != rule.choices.end() ? value : "";
    case Kind::size: {
      InputSize s;
      return parse_size(value, s) ? fmt::format("{}x{}", s.height, s.width) : "";
    }
    case Kind::names: {
      if (value == "auto") return value;
      size_t count = 0, start = 0;
      while (start <= value.size()) {
        const size_t plus = std::min(value.find('+', start), value.size());
        if (plus == start) return {};
        ++count;
        start = plus + 1;
      }
      return double(count) == rule.min ? value : "";
    }
  }
  return {};
}

std::string expectation(const KeyRule& rule) {
  switch (rule.kind) {
    case Kind::integer:
      if (!rule.choices.empty()) return "one of " + join(rule.choices);
      return fmt::format("an integer in [{}, {}]", rule.min, rule.max);
    case Kind::real:
      return fmt::format("a number in [{}, {}]", rule.min, rule.max);
    case Kind::choice:
      return "one of " + join(rule.choices);
    case Kind::size:
      return "HEIGHTxWIDTH, e.g. 256x192";
    case Kind::names:
      return fmt::format("auto or {} feature names joined by '+'", rule.min);
  }
  return {};
}

}  // namespace

const char* head_name(HeadType head) {
  switch (head) {
    case HeadType::heatmap:
      return "heatmap";
    case HeadType::simcc:
      return "simcc";
    case HeadType::regression:
      return "regression";
  }
  return "?";
}

std::vector<std::string> ModelSpec::model_names() { return {"hourglass", "resnet", "hrnet", "tokenpose"}; }

std::vector<std::string> ModelSpec::refiner_names() { return {"igp", "dsr"}; }

ModelSpec ModelSpec::parse(const std::string& text) {
  return parse_with(text, "model", [&](const std::string& name, const std::map<std::string, std::string>& given) {
    const auto head = given.find("head");
    return rules_for(name, head == given.end() ? "" : head->second, text);
  });
}

ModelSpec ModelSpec::parse_refiner(const std::string& text) {
  return parse_with(text, "refiner", [&](const std::string& name, const std::map<std::string, std::string>&) {
    return refiner_rules_for(name, text);
  });
}

template <typename RulesFor>
ModelSpec ModelSpec::parse_with(const std::string& text, const char* kind, const RulesFor& rules_for_name) {
  const auto colon = text.find(':');
  ModelSpec spec;
  spec.name_ = text.substr(0, colon);
  std::map<std::string, std::string> given;
  std::vector<std::string> order;
  if (colon != std::string::npos) {
    std::string rest = text.substr(colon + 1);
    size_t start = 0;
    while (start <= rest.size()) {
      size_t comma = rest.find(',', start);
      if (comma == std::string::npos) comma = rest.size();
      const std::string item = rest.substr(start, comma - start);
      start = comma + 1;
      if (item.empty()) continue;
      const auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError(fmt::format("{} spec \"{}\": \"{}\" is not key=value", kind, text, item));
      const std::string key = item.substr(0, eq);
      if (given.count(key)) throw UsageError(fmt::format("{} spec \"{}\": key \"{}\" given twice", kind, text, key));
      given[key] = item.substr(eq + 1);
      order.push_back(key);
    }
  }
  const std::vector<KeyRule> rules = rules_for_name(spec.name_, given);
  std::vector<std::string> accepted;
  for (const auto& r : rules) accepted.push_back(r.key);
  for (const auto& key : order) {
    if (std::find(accepted.begin(), accepted.end(), key) == accepted.end())
      throw UsageError(fmt::format("{} spec \"{}\": unknown key \"{}\" for {} (accepted: {})", kind, text, key,
                                   spec.name_, join(accepted)));
  }
  for (const auto& rule : rules) {
    const auto it = given.find(rule.key);
    const std::string raw = it == given.end() ? rule.fallback : it->second;
    const std::string value = canonical(rule, raw);
    if (value.empty())
      throw UsageError(fmt::format("{} spec \"{}\": {}={}: expected {}", kind, text, rule.key, raw, expectation(rule)));
    spec.values_.emplace_back(rule.key, value);
  }
  return spec;
}

std::string ModelSpec::str() const {
  std::string out = name_ + ":";
  for (size_t i = 0; i < values_.size(); ++i) out += (i ? "," : "") + values_[i].first + "=" + values_[i].second;
  return out;
}

const std::string& ModelSpec::get(const std::string& key) const {
  for (const auto& [k, v] : values_)
    if (k == key) return v;
  throw UsageError(fmt::format("model spec \"{}\": no key \"{}\"", str(), key));
}

int ModelSpec::get_int(const std::string& key) const { return std::stoi(get(key)); }
double ModelSpec::get_real(const std::string& key) const { return std::stod(get(key)); }

InputSize ModelSpec::get_size(const std::string& key) const {
  InputSize s;
  parse_size(get(key), s);
  return s;
}

HeadType ModelSpec::head() const {
  const std::string& h = get("head");
  if (h == "simcc") return HeadType::simcc;
  if (h == "regression") return HeadType::regression;
  return HeadType::heatmap;
}

}  // namespace posekd::nn
