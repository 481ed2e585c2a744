#pragma once
// The shared surface of every posekd tool (DESIGN 3.6) and the one catch (STYLE 3).
//
//   int main(int argc, char** argv) {
//     posekd::cli::Tool tool("pose-info", "Describe posekd HDF5 files");
//     posekd::InfoOptions opts;
//     tool.app().add_option("files", opts.files)->required();
//     return tool.run(argc, argv, [&] { posekd::run_info(opts, std::cout); });
//   }
#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

namespace posekd::cli {

// Exit statuses (DESIGN 3.6).
enum ExitCode : int { ok = 0, error = 1, usage = 2, interrupted = 75 };

struct CommonOptions {
  std::string config;  // --config FILE (TOML)
  bool print_config = false;
  bool quiet = false;
  int verbose = 0;
  int threads = 0;  // 0: the tool's default for this machine
  int workers = 2;  // data-loading worker threads
  std::string device = "cpu";
  uint64_t seed = 0;
  bool no_catch = false;
};

// What tools that load LibTorch add: more to say on --version, and how to apply
// --threads/--device before the work starts. Registered by the LibTorch side.
struct RuntimeHooks {
  std::function<std::string()> version_details;
  std::function<void(const CommonOptions&)> configure;
};

class Tool {
 public:
  Tool(std::string name, std::string description);

  CLI::App& app() { return app_; }
  CommonOptions& common() { return common_; }
  const std::string& name() const { return name_; }
  void set_runtime_hooks(RuntimeHooks hooks) { hooks_ = std::move(hooks); }
  // Removes common options the tool has no use for (e.g. {"--workers", "--device"}), so
  // that they are refused instead of silently ignored.
  void drop_common_options(std::initializer_list<const char*> names);

  // Parses argv, applies the common options and runs `body` inside the one catch. Returns
  // the exit status for main() to return.
  int run(int argc, char** argv, const std::function<void()>& body);
  // The same, for a parsed argument vector (tests).
  int run(std::vector<std::string> args, const std::function<void()>& body);

 private:
  int execute(int argc, char** argv, const std::function<void()>& body);
  std::string version_text() const;
  std::string name_;
  CLI::App app_;
  CommonOptions common_;
  RuntimeHooks hooks_;
};

// Validators shared by tools.
// "-" or an existing file.
extern const CLI::Validator ExistingFileOrStdin;

// Refuses to overwrite `path` without --force (DESIGN 3.6); "-" (stdout) always passes.
void check_output_path(const std::string& path, bool force);

}  // namespace posekd::cli
