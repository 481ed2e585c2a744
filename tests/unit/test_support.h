#pragma once
// Shared helpers of the unit tests: scratch directories and the optional real data.
#include <cstdlib>
#include <functional>
#include <filesystem>
#include <string>

namespace posekd::test {

// The message of the posekd::Error that `f` throws, or "(no error)".
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

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

// The checkout and build tree this test was built from (compile definitions from
// tests/CMakeLists.txt); the environment may override them.
inline std::string source_dir() {
  const char* s = std::getenv("POSEKD_SOURCE_DIR");
  return s ? s : POSEKD_TEST_SOURCE_DIR;
}

inline std::string binary_dir() {
  const char* s = std::getenv("POSEKD_BINARY_DIR");
  return s ? s : POSEKD_TEST_BINARY_DIR;
}

// ../shared/realdata beside the checkout, or "" when this machine does not have it; tests
// that use it run only then (DESIGN 4) and say so.
inline std::string realdata_dir() {
  const char* s = std::getenv("POSEKD_REALDATA");
  const std::string dir = s ? s : source_dir() + "/../shared/realdata";
  if (std::filesystem::exists(dir + "/README.md")) return dir;
  return {};
}

inline ScratchDir::ScratchDir(const std::string& label) {
  const std::filesystem::path base = std::filesystem::path(binary_dir()) / "tests" / "unit-work";
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
