#pragma once
// Per-epoch training records appended beside the checkpoint: NAME.metrics.jsonl (one JSON
// object per epoch) and NAME.metrics.csv (long form, one value per row:
// epoch,step,name,value — rows stay valid when later epochs add or lose columns, and a
// resumed run appends to the same file).
#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace posekd::train {

struct EpochRecord {
  int64_t epoch = 0;  // 1-based: the epoch just completed
  int64_t step = 0;   // global steps done
  double lr = 0;      // at the epoch's last step
  std::vector<std::pair<std::string, double>> losses;   // means over the epoch's steps in this process
  std::vector<std::pair<std::string, double>> metrics;  // validation summary; empty when not validated
  double epoch_seconds = 0, cpu_seconds = 0;            // wall and process CPU time (workers included)
};

class MetricsLog {
 public:
  // `append` false truncates both files (a fresh run); true continues them (--resume).
  MetricsLog(const std::string& jsonl_path, const std::string& csv_path, bool append);
  void write(const EpochRecord& record);

 private:
  std::string jsonl_path_, csv_path_;
  std::ofstream jsonl_, csv_;
};

}  // namespace posekd::train
