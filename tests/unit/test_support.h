#pragma once
// Shared helpers of the unit tests: scratch directories and the optional real data.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace posekd::test {

// A fresh directory under the build tree (or /tmp), removed when the object dies.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& label);
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string source_dir() {
  const char* s = std::getenv("POSEKD_SOURCE_DIR");
  return s ? s : ".";
}

// ../shared/realdata beside the checkout, or "" when this machine does not have it; tests
// that use it run only then (DESIGN 4) and say so.
inline std::string realdata_dir() {
  const char* s = std::getenv("POSEKD_REALDATA");
  if (s && std::filesystem::exists(std::string(s) + "/README.md")) return s;
  return {};
}

inline ScratchDir::ScratchDir(const std::string& label) {
  const char* b = std::getenv("POSEKD_BINARY_DIR");
  std::filesystem::path base = b ? std::filesystem::path(b) / "tests" / "unit-work" : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(base);
  std::string tmpl = (base / (label + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path_ = tmpl;
}

inline ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace posekd::test
