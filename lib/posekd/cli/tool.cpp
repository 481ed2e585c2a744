#include "posekd/cli/tool.h"

#include <fmt/format.h>
#include <opencv2/core/version.hpp>
#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/core/provenance.h"
#include "posekd/core/version.h"

namespace posekd::cli {

const CLI::Validator ExistingFileOrStdin(
    [](std::string& path) -> std::string {
      if (path == "-") return {};
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) return "File does not exist: " + path;
      if (S_ISDIR(st.st_mode)) return "File is a directory: " + path;
      return {};
    },
    "FILE|-", "existing file or - for stdin");

void check_output_path(const std::string& path, bool force) {
  if (path.empty() || path == "-") return;
  struct stat st {};
  if (!force && ::stat(path.c_str(), &st) == 0)
    throw UsageError(fmt::format("{}: output exists (use --force to overwrite)", path));
  const auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = path.substr(0, slash);
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw UsageError(fmt::format("{}: output directory {} does not exist", path, dir));
  }
}

Tool::Tool(std::string name, std::string description) : name_(std::move(name)), app_(std::move(description), name_) {
  log::set_program(name_);
  app_.set_config("--config", "", "Read options from a TOML file (keys are long option names)");
  app_.add_flag("--print-config", common_.print_config,
                "Print the effective configuration as TOML (usable with --config) and exit")
      ->configurable(false);
  app_.add_flag("-q,--quiet", common_.quiet, "Only errors on stderr");
  app_.add_flag("-v,--verbose", common_.verbose, "More detail on stderr (repeat for more)");
  app_.add_option("--threads", common_.threads, "Compute threads (0: a default for this machine)")
                     ->check(CLI::Range(0, 1024))
                     ->capture_default_str();
  app_.add_option("--workers", common_.workers, "Data-loading worker threads")
                     ->check(CLI::Range(0, 256))
                     ->capture_default_str();
  app_.add_option("--device", common_.device, "cpu, cuda, cuda:N or auto")
                    ->check([](const std::string& d) -> std::string {
                      if (d == "cpu" || d == "cuda" || d == "auto" || d.rfind("cuda:", 0) == 0) return {};
                      return "expected cpu, cuda, cuda:N or auto, found " + d;
                    })
                    ->capture_default_str();
  app_.add_option("--seed", common_.seed, "Random seed")->capture_default_str();
  app_.add_flag("--no-catch", common_.no_catch, "Let exceptions escape (for debugging with a backtrace)")
      ->group("")
      ->configurable(false);
  app_.set_version_flag("--version", [this] { return version_text(); });
}

void Tool::drop_common_options(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    CLI::Option* option = app_.get_option_no_throw(name);
    if (!option) throw std::logic_error(std::string("not a common option: ") + name);
    app_.remove_option(option);
  }
}

std::string Tool::version_text() const {
  std::string text = fmt::format("{} (posekd) {}\nOpenCV {}", name_, version(), CV_VERSION);
  if (hooks_.version_details) text += "\n" + hooks_.version_details();
  return text;
}

int Tool::run(std::vector<std::string> args, const std::function<void()>& body) {
  std::vector<char*> argv;
  args.insert(args.begin(), name_);
  for (auto& a : args) argv.push_back(a.data());
  return run(static_cast<int>(argv.size()), argv.data(), body);
}

int Tool::run(int argc, char** argv, const std::function<void()>& body) {
  try {
    return execute(argc, argv, body);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      app_.exit(e);
      return ok;
    }
    std::fprintf(stderr, "%s: error: %s\n%s: run '%s --help' for usage\n", name_.c_str(), e.what(), name_.c_str(),
                 name_.c_str());
    return usage;
  } catch (const UsageError& e) {
    if (common_.no_catch) throw;
    std::fprintf(stderr, "%s: error: %s\n", name_.c_str(), e.what());
    return usage;
  } catch (const Interrupted& e) {
    if (common_.no_catch) throw;
    std::fprintf(stderr, "%s: interrupted: %s\n", name_.c_str(), e.what());
    return interrupted;
  } catch (const std::bad_alloc&) {
    if (common_.no_catch) throw;
    std::fprintf(stderr, "%s: error: out of memory\n", name_.c_str());
    return error;
  } catch (const std::exception& e) {
    if (common_.no_catch) throw;
    std::string what = e.what();
    // LibTorch's messages carry a multi-line C++ backtrace; the user gets the first line.
    if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    std::fprintf(stderr, "%s: error: %s\n", name_.c_str(), what.c_str());
    return error;
  }
}

// The effective configuration as TOML that --config reads back: every option with its value
// or default, leaving out the options that were not given and have no default (CLI11 writes
// them as `name=""`, which does not parse back for numbers and lists).
static std::string effective_config(const CLI::App& app) {
  std::istringstream in(app.config_to_str(true, false));
  std::string out, line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos && line.compare(eq, std::string::npos, "=\"\"") == 0) {
      const CLI::Option* option = app.get_option_no_throw("--" + line.substr(0, eq));
      if (option && option->count() == 0) continue;
    }
    out += line + "\n";
  }
  return out;
}

int Tool::execute(int argc, char** argv, const std::function<void()>& body) {
  app_.parse(argc, argv);
  if (common_.quiet) log::set_level(log::Level::quiet);
  else if (common_.verbose > 0) log::set_level(log::Level::debug);

  Provenance& prov = Provenance::current();
  prov.tool = name_;
  prov.version = version();
  prov.argv.clear();
  for (int i = 0; i < argc; ++i) prov.argv += (i ? " " : "") + shell_quote(argv[i]);
  prov.config = effective_config(app_);
  prov.utc_time = utc_now_iso8601();

  if (common_.print_config) {
    std::cout << prov.config;
    return ok;
  }
  if (hooks_.configure) hooks_.configure(common_);
  body();
  return ok;
}

}  // namespace posekd::cli
