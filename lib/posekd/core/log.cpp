#include "posekd/core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace posekd::log {
namespace {
std::atomic<Level> current{Level::info};
std::string& program_name() {
  static std::string name = "posekd";
  return name;
}
std::mutex& write_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

void set_level(Level l) { current = l; }
Level level() { return current; }
void set_program(const std::string& name) { program_name() = name; }
const std::string& program() { return program_name(); }

void write(Level l, const std::string& line) {
  std::lock_guard<std::mutex> lock(write_mutex());
  const char* tag = l == Level::warn ? "warning: " : "";
  std::fprintf(stderr, "%s: %s%s\n", program_name().c_str(), tag, line.c_str());
  std::fflush(stderr);
}

}  // namespace posekd::log
