#pragma once
// Model specs: "name:key=value,..." (DESIGN 3.5). Parsing fills every default, so str() is the
// canonical form with every key, and parse(str()) gives the same model. No LibTorch here:
// pose-info reads specs from checkpoints without loading it.
#include <string>
#include <utility>
#include <vector>

namespace posekd::nn {

enum class HeadType { heatmap, simcc, regression };

const char* head_name(HeadType head);

struct InputSize {
  int height = 0;
  int width = 0;
};

class ModelSpec {
 public:
  // Throws UsageError naming the key and the accepted keys or values.
  static ModelSpec parse(const std::string& text);
  // Model names that parse() accepts.
  static std::vector<std::string> model_names();
  // A refiner on top of a model (pose-refine-gcn), "igp:hidden=128,features=auto": the same
  // syntax and canonical form, its own names and keys.
  static ModelSpec parse_refiner(const std::string& text);
  static std::vector<std::string> refiner_names();

  const std::string& name() const { return name_; }
  std::string str() const;

  const std::string& get(const std::string& key) const;
  int get_int(const std::string& key) const;
  double get_real(const std::string& key) const;
  // "HxW", height first as papers write 256×192.
  InputSize get_size(const std::string& key) const;

  HeadType head() const;
  InputSize input() const { return get_size("input"); }
  int joints() const { return get_int("joints"); }

  bool operator==(const ModelSpec& other) const { return name_ == other.name_ && values_ == other.values_; }

 private:
  template <typename RulesFor>
  static ModelSpec parse_with(const std::string& text, const char* kind, const RulesFor& rules_for_name);

  std::string name_;
  std::vector<std::pair<std::string, std::string>> values_;  // canonical key order
};

}  // namespace posekd::nn
