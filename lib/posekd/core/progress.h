#pragma once
// Progress of a long loop: a redrawn bar with rate and ETA when stderr is a terminal, a log
// line every `log_every_s` seconds otherwise (batch jobs' logs stay readable). Silent at
// log level quiet. Thread-safe: workers may call advance().
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace posekd {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it", double log_every_s = 10.0);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(int64_t n = 1);
  void set_suffix(std::string suffix);  // e.g. "loss 0.0012"
  void finish();

  // Forces the mode, for tests: true = terminal bar, false = log lines.
  static void force_terminal(int mode);  // -1 auto, 0 lines, 1 bar

 private:
  void draw(bool final_line);
  std::string label_, unit_, suffix_;
  int64_t total_;
  std::atomic<int64_t> done_{0};
  double log_every_s_;
  bool terminal_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
};

std::string format_duration(double seconds);  // "1h02m", "3m05s", "12.3s"

}  // namespace posekd
