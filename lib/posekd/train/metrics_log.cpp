#include "posekd/train/metrics_log.h"

#include <fmt/format.h>

#include "posekd/core/error.h"

namespace posekd::train {

namespace {
// JSON has no NaN or Infinity; a metric that is undefined (-1 in pycocotools) stays a number.
std::string json_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

std::string json_object(const std::vector<std::pair<std::string, double>>& values) {
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i)
    s += fmt::format("{}\"{}\": {}", i ? ", " : "", values[i].first, json_number(values[i].second));
  return s + "}";
}
}  // namespace

MetricsLog::MetricsLog(const std::string& jsonl_path, const std::string& csv_path, bool append)
    : jsonl_path_(jsonl_path), csv_path_(csv_path) {
  const auto mode = append ? std::ios::app : std::ios::trunc;
  jsonl_.open(jsonl_path, std::ios::out | mode);
  if (!jsonl_) throw Error(jsonl_path + ": cannot open for writing");
  const bool csv_header = !append || !std::ifstream(csv_path).good() || std::ifstream(csv_path).peek() == EOF;
  csv_.open(csv_path, std::ios::out | mode);
  if (!csv_) throw Error(csv_path + ": cannot open for writing");
  if (csv_header) csv_ << "epoch,step,name,value\n" << std::flush;
}

void MetricsLog::write(const EpochRecord& r) {
  jsonl_ << fmt::format(
      "{{\"epoch\": {}, \"step\": {}, \"lr\": {}, \"loss\": {}, \"val\": {}, \"epoch_time_s\": {:.3f}, "
      "\"cpu_time_s\": {:.3f}}}\n",
      r.epoch, r.step, json_number(r.lr), json_object(r.losses), json_object(r.metrics), r.epoch_seconds,
      r.cpu_seconds);
  jsonl_.flush();
  auto row = [&](const std::string& name, double value) {
    csv_ << fmt::format("{},{},{},{}\n", r.epoch, r.step, name, value);
  };
  row("lr", r.lr);
  for (const auto& [name, v] : r.losses) row("loss/" + name, v);
  for (const auto& [name, v] : r.metrics) row("val/" + name, v);
  row("epoch_time_s", r.epoch_seconds);
  row("cpu_time_s", r.cpu_seconds);
  csv_.flush();
  if (!jsonl_ || !csv_) throw Error(jsonl_path_ + ": write failed");
}

}  // namespace posekd::train
