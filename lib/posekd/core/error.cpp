#include "posekd/core/error.h"

namespace posekd {

std::string located(const std::string& file, const std::string& place, const std::string& message) {
  std::string out;
  if (!file.empty()) out += file;
  if (!place.empty()) out += (out.empty() ? "" : ":") + place;
  if (!out.empty()) out += ": ";
  return out + message;
}

void fail(const std::string& file, const std::string& place, const std::string& message) {
  throw Error(located(file, place, message));
}

}  // namespace posekd
