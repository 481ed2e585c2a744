#pragma once
// A module's state as plain named float arrays: what io/checkpoint writes to HDF5 (DESIGN 3.4)
// without either side knowing the other. No LibTorch here, so posekd_core code may use it.
#include <cstdint>
#include <string>
#include <vector>

namespace posekd::nn {

enum class ArrayRole { param, buffer };

struct NamedArray {
  std::string name;            // PyTorch state_dict name, e.g. "layer1.0.conv1.weight"
  std::vector<int64_t> shape;  // row-major; empty for a scalar
  std::vector<float> data;
  ArrayRole role = ArrayRole::param;
};

// "[64,64,3,3]", the way error messages print shapes.
inline std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace posekd::nn
