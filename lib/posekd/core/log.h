#pragma once
// Logs go to stderr, never stdout (stdout carries data only, DESIGN 3.6).
#include <fmt/format.h>

#include <string>

namespace posekd::log {

enum class Level { quiet = 0, warn = 1, info = 2, debug = 3 };

void set_level(Level level);
Level level();
// The tool name shown in front of each line ("pose-train: ").
void set_program(const std::string& name);
const std::string& program();

void write(Level level, const std::string& line);

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::info) write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::warn) write(Level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::debug) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace posekd::log
