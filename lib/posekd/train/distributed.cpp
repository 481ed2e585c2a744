#include "posekd/train/distributed.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <limits>

#include "posekd/core/error.h"

namespace posekd::train {

namespace {

std::optional<long long> parse_integer(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}

int integer_variable(const Environment& env, const std::string& name, long long min, long long max) {
  const auto text = env(name);
  if (!text) throw UsageError(fmt::format("environment variable {}: required, not set", name));
  const auto v = parse_integer(*text);
  if (!v || *v < min || *v > max)
    throw UsageError(fmt::format("environment variable {}: expected an integer in [{}, {}], found \"{}\"", name, min,
                                 max, *text));
  return int(*v);
}

std::optional<std::string> first_set(const Environment& env, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (auto v = env(n); v && !v->empty()) return v;
  return std::nullopt;
}

// Expands the bracket groups of one host pattern ("n[1-2]-ib[0-1]") into `out`.
void expand_host(const std::string& pattern, const std::string& list, std::vector<std::string>& out) {
  const size_t open = pattern.find('[');
  if (open == std::string::npos) {
    out.push_back(pattern);
    return;
  }
  const size_t close = pattern.find(']', open);
  if (close == std::string::npos)
    throw UsageError(fmt::format("Slurm node list \"{}\": unbalanced '[' in \"{}\"", list, pattern));
  const std::string prefix = pattern.substr(0, open), rest = pattern.substr(close + 1);
  const std::string ranges = pattern.substr(open + 1, close - open - 1);
  size_t start = 0;
  for (;;) {
    const size_t comma = ranges.find(',', start);
    const std::string range = ranges.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t dash = range.find('-');
    const std::string lo = range.substr(0, dash), hi = dash == std::string::npos ? lo : range.substr(dash + 1);
    const auto a = parse_integer(lo), b = parse_integer(hi);
    if (!a || !b || *a < 0 || *b < *a)
      throw UsageError(fmt::format("Slurm node list \"{}\": bad range \"{}\" in \"{}\"", list, range, pattern));
    for (long long i = *a; i <= *b; ++i) {
      std::string number = std::to_string(i);
      if (number.size() < lo.size()) number.insert(0, lo.size() - number.size(), '0');  // "01-03" keeps width 2
      expand_host(prefix + number + rest, list, out);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

}  // namespace

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::vector<std::string> expand_slurm_nodelist(const std::string& list) {
  std::vector<std::string> hosts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= list.size(); ++i) {
    const char c = i < list.size() ? list[i] : ',';
    if (c == '[') ++depth;
    if (c == ']' && --depth < 0) throw UsageError(fmt::format("Slurm node list \"{}\": unbalanced ']'", list));
    if (c == ',' && depth == 0) {
      if (i > start) expand_host(list.substr(start, i - start), list, hosts);
      start = i + 1;
    }
  }
  if (depth != 0) throw UsageError(fmt::format("Slurm node list \"{}\": unbalanced '['", list));
  if (hosts.empty()) throw UsageError(fmt::format("Slurm node list \"{}\": no host", list));
  return hosts;
}

WorldInfo detect_world(const Environment& env, const DistributedOptions& options) {
  constexpr long long kMaxRanks = 1 << 20;
  WorldInfo w;
  const bool need_address = options.file.empty();
  if (env("RANK") || env("WORLD_SIZE")) {
    w.source = "torchrun";
    w.size = integer_variable(env, "WORLD_SIZE", 1, kMaxRanks);
    w.rank = integer_variable(env, "RANK", 0, w.size - 1);
    w.local_rank = env("LOCAL_RANK") ? integer_variable(env, "LOCAL_RANK", 0, kMaxRanks) : 0;
    if (need_address && w.size > 1) {
      const auto addr = env("MASTER_ADDR");
      if (!addr || addr->empty())
        throw UsageError("environment variable MASTER_ADDR: required with RANK and WORLD_SIZE (or use --dist-file)");
      w.master_addr = *addr;
      w.master_port = integer_variable(env, "MASTER_PORT", 1, 65535);
    }
  } else if (env("SLURM_PROCID") && env("SLURM_STEP_NUM_TASKS")) {
    w.source = "slurm";
    w.size = integer_variable(env, "SLURM_STEP_NUM_TASKS", 1, kMaxRanks);
    w.rank = integer_variable(env, "SLURM_PROCID", 0, w.size - 1);
    w.local_rank = env("SLURM_LOCALID") ? integer_variable(env, "SLURM_LOCALID", 0, kMaxRanks) : 0;
    if (need_address && w.size > 1) {
      if (const auto addr = env("MASTER_ADDR"); addr && !addr->empty()) {
        w.master_addr = *addr;
      } else {
        const auto nodes = first_set(env, {"SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NODELIST"});
        if (!nodes) throw UsageError("environment variable SLURM_STEP_NODELIST: required under srun (or set MASTER_ADDR)");
        w.master_addr = expand_slurm_nodelist(*nodes).front();
      }
      if (env("MASTER_PORT"))
        w.master_port = integer_variable(env, "MASTER_PORT", 1, 65535);
      else
        w.master_port = 29500 + (env("SLURM_JOB_ID") ? integer_variable(env, "SLURM_JOB_ID", 0, std::numeric_limits<int>::max()) % 2000 : 0);
    }
  }
  return w;
}

}  // namespace posekd::train
