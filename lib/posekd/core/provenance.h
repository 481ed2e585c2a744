#pragma once
// Where an output came from (DESIGN 3.4, STYLE 6): every posekd HDF5 file's root carries this.
#include <string>
#include <utility>
#include <vector>

namespace posekd {

struct Provenance {
  std::string tool;     // "pose-train"
  std::string version;  // posekd version
  std::string argv;     // the full command line, shell-quoted
  std::string config;   // effective configuration as TOML text (what --print-config shows)
  std::string utc_time;  // ISO 8601, "2026-11-22T10:00:00Z"
  // (path as given, fingerprint) of every input file.
  std::vector<std::pair<std::string, std::string>> inputs;

  // The provenance of the running tool, filled by cli::Tool; tests and library callers get
  // a default naming the library.
  static Provenance& current();
  void add_input(const std::string& path);
};

// "size=N mtime=T fnv1a64=H", H over the first and last MiB: cheap on multi-GB teacher files,
// yet changes when a file is rewritten. Empty path or "-" gives "stdin".
std::string file_fingerprint(const std::string& path);
std::string utc_now_iso8601();
std::string shell_quote(const std::string& arg);

}  // namespace posekd
