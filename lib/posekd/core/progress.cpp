#include "posekd/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "posekd/core/log.h"

namespace posekd {
namespace {
std::atomic<int> forced_mode{-1};
}

void Progress::force_terminal(int mode) { forced_mode = mode; }

std::string format_duration(double s) {
  if (s < 0 || s != s) return "?";
  if (s < 60) return fmt::format("{:.1f}s", s);
  const auto total = static_cast<int64_t>(s + 0.5);
  if (total < 3600) return fmt::format("{}m{:02d}s", total / 60, static_cast<int>(total % 60));
  return fmt::format("{}h{:02d}m", total / 3600, static_cast<int>(total % 3600 / 60));
}

Progress::Progress(std::string label, int64_t total, std::string unit, double log_every_s)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), log_every_s_(log_every_s) {
  const int mode = forced_mode.load();
  terminal_ = mode == -1 ? isatty(STDERR_FILENO) != 0 : mode == 1;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() { finish(); }

void Progress::set_suffix(std::string suffix) {
  std::lock_guard<std::mutex> lock(mutex_);
  suffix_ = std::move(suffix);
}

void Progress::advance(int64_t n) {
  done_ += n;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  const double every = terminal_ ? 0.1 : log_every_s_;
  if (since < every) return;
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final_line) {
  if (log::level() < log::Level::info) return;
  const int64_t done = done_.load();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const double eta = rate > 0 && total_ > 0 ? (total_ - done) / rate : -1;
  const std::string suffix = suffix_.empty() ? "" : "  " + suffix_;
  if (terminal_) {
    const int width = 28;
    const double frac = total_ > 0 ? std::min(1.0, static_cast<double>(done) / total_) : 0.0;
    const int filled = static_cast<int>(frac * width);
    std::string bar(filled, '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s: %s [%s] %lld/%lld %.1f %s/s %s %s%s\033[K%s", log::program().c_str(), label_.c_str(),
                 bar.c_str(), static_cast<long long>(done), static_cast<long long>(total_), rate, unit_.c_str(),
                 final_line ? "in" : "ETA", format_duration(final_line ? elapsed : eta).c_str(), suffix.c_str(),
                 final_line ? "\n" : "");
    std::fflush(stderr);
  } else {
    log::write(log::Level::info,
               fmt::format("{}: {}/{} {} ({:.1f} {}/s, {} {}){}", label_, done, total_, unit_, rate, unit_,
                           final_line ? "took" : "ETA", format_duration(final_line ? elapsed : eta), suffix));
  }
}

}  // namespace posekd
