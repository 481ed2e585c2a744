#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include "posekd/cli/tool.h"
#include "posekd/core/error.h"
#include "posekd/core/provenance.h"
#include "test_support.h"

using namespace posekd;

namespace {

// Captures what a callable writes to a stdio stream (fd level, so fprintf is seen too).
template <typename F>
std::string capture_fd(int fd, F&& f) {
  std::fflush(nullptr);
  char path[] = "/tmp/posekd-capture-XXXXXX";
  const int tmp = mkstemp(path);
  const int saved = dup(fd);
  dup2(tmp, fd);
  f();
  std::fflush(nullptr);
  std::cout.flush();
  dup2(saved, fd);
  close(saved);
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  close(tmp);
  unlink(path);
  return s.str();
}

}  // namespace

TEST_CASE("run_tool: exit statuses follow DESIGN 3.6") {
  auto run = [](std::vector<std::string> args, std::function<void()> body) {
    cli::Tool tool("pose-test", "test tool");
    int n = 0;
    tool.app().add_option("-n", n, "a number")->check(CLI::Range(1, 5));
    return tool.run(std::move(args), body);
  };
  int code = -1;
  std::string err = capture_fd(2, [&] { code = run({}, [] {}); });
  CHECK(code == 0);
  err = capture_fd(2, [&] { code = run({}, [] { throw Error("data.json:annotations[3]:bbox: expected 4 numbers, found 3"); }); });
  CHECK(code == 1);
  CHECK(err == "pose-test: error: data.json:annotations[3]:bbox: expected 4 numbers, found 3\n");
  err = capture_fd(2, [&] { code = run({"-n", "9"}, [] {}); });
  CHECK(code == 2);
  CHECK(err == "pose-test: error: -n: Value 9 not in range 1 to 5\npose-test: run 'pose-test --help' for usage\n");
  err = capture_fd(2, [&] { code = run({"--bogus"}, [] {}); });
  CHECK(code == 2);
  err = capture_fd(2, [&] { code = run({}, [] { throw UsageError("bad value"); }); });
  CHECK(code == 2);
  err = capture_fd(2, [&] { code = run({}, [] { throw Interrupted("saved run.ckpt.h5"); }); });
  CHECK(code == 75);
  CHECK(err == "pose-test: interrupted: saved run.ckpt.h5\n");
  // Multi-line messages (LibTorch backtraces) are cut to their first line.
  err = capture_fd(2, [&] { code = run({}, [] { throw std::runtime_error("shape mismatch\nframe #0 ..."); }); });
  CHECK(code == 1);
  CHECK(err == "pose-test: error: shape mismatch\n");
}

TEST_CASE("run_tool: --help and --version print to stdout and exit 0") {
  cli::Tool tool("pose-test", "test tool");
  int code = -1;
  std::string out = capture_fd(1, [&] { code = tool.run({"--version"}, [] {}); });
  CHECK(code == 0);
  CHECK(out.find("pose-test (posekd) ") == 0);
  cli::Tool tool2("pose-test", "test tool");
  out = capture_fd(1, [&] { code = tool2.run({"--help"}, [] { FAIL("body must not run"); }); });
  CHECK(code == 0);
  CHECK(out.find("--threads") != std::string::npos);
}

TEST_CASE("run_tool: --print-config shows TOML that --config reads back") {
  test::ScratchDir dir("cli");
  int epochs = 10;
  std::string out;
  {
    cli::Tool tool("pose-test", "test tool");
    tool.app().add_option("--epochs", epochs, "epochs")->capture_default_str();
    std::vector<double> range;
    tool.app().add_option("--range", range, "two numbers")->expected(2);
    int code = -1;
    out = capture_fd(1, [&] { code = tool.run({"--epochs", "7", "--print-config"}, [] { FAIL("must not run"); }); });
    CHECK(code == 0);
    CHECK(out.find("epochs=7") != std::string::npos);
    CHECK(out.find("range") == std::string::npos);
  }
  const std::string cfg = dir.file("run.toml");
  std::ofstream(cfg) << out;
  cli::Tool tool("pose-test", "test tool");
  int read_back = 0;
  std::vector<double> range;  // no default: left out of the TOML rather than written as ""
  tool.app().add_option("--epochs", read_back, "epochs");
  tool.app().add_option("--range", range, "two numbers")->expected(2);
  CHECK(tool.run({"--config", cfg}, [] {}) == 0);
  CHECK(read_back == 7);
  CHECK(range.empty());
  CHECK(Provenance::current().tool == "pose-test");
  CHECK(Provenance::current().argv == "pose-test --config " + shell_quote(cfg));
}

TEST_CASE("check_output_path: refuses to overwrite without --force, and missing directories") {
  test::ScratchDir dir("out");
  const std::string f = dir.file("x.h5");
  CHECK_NOTHROW(cli::check_output_path(f, false));
  std::ofstream(f) << "x";
  CHECK_THROWS_WITH_AS(cli::check_output_path(f, false), (f + ": output exists (use --force to overwrite)").c_str(),
                       UsageError);
  CHECK_NOTHROW(cli::check_output_path(f, true));
  CHECK_THROWS_WITH_AS(cli::check_output_path(dir.file("nope/x.h5"), true), doctest::Contains("does not exist"), UsageError);
  CHECK_NOTHROW(cli::check_output_path("-", false));
}
