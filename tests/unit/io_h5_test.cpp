#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "posekd/core/error.h"
#include "posekd/io/h5.h"
#include "test_support.h"

using namespace posekd;
using test::error_of;
namespace fs = std::filesystem;

namespace {

template <typename T>
void round_trip(h5::File& f, const std::string& name, h5::DatasetOptions options = {}) {
  std::vector<T> values(12);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<T>(i * 7 % 11) - static_cast<T>(std::is_signed_v<T> ? 5 : 0);
  h5::Dataset d = f.create_dataset(name, h5::dtype_of<T>(), {3, 4}, options);
  d.write(values);
  const h5::Dataset r = f.open_dataset(name);
  CHECK(r.dtype() == h5::dtype_of<T>());
  CHECK(r.shape() == h5::Shape{3, 4});
  CHECK(r.read_all<T>() == values);
  std::vector<T> rows(4);
  r.read_rows(1, 1, rows.data());
  CHECK(rows == std::vector<T>(values.begin() + 4, values.begin() + 8));
}

// Runs `f` with fd 2 sent to a file and returns what was written there.
std::string stderr_of(const std::function<void()>& f, const std::string& scratch) {
  const int saved = ::dup(2);
  const int fd = ::open(scratch.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(fd, 2);
  ::close(fd);
  try {
    f();
  } catch (...) {
  }
  ::dup2(saved, 2);
  ::close(saved);
  std::ifstream in(scratch);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("h5: every dtype round-trips, contiguous and chunked with deflate") {
  test::ScratchDir dir("io_h5");
  const std::string path = dir.file("types.h5");
  {
    h5::File f = h5::File::create(path);
    round_trip<int8_t>(f, "i8");
    round_trip<int16_t>(f, "i16");
    round_trip<int32_t>(f, "i32");
    round_trip<int64_t>(f, "i64");
    round_trip<uint8_t>(f, "u8");
    round_trip<uint16_t>(f, "u16");
    round_trip<uint32_t>(f, "u32");
    round_trip<uint64_t>(f, "u64");
    round_trip<float>(f, "f32");
    round_trip<double>(f, "f64");
    round_trip<float>(f, "chunked/f32", {{1, 4}, 6});
    round_trip<int64_t>(f, "chunked/i64", {{2, 2}, 1});
    f.write_string_dataset("names", {"nose", "", "left_eye \xc3\xa9"});
  }
  h5::File f = h5::File::open(path);
  CHECK(f.open_dataset("names").read_strings() == std::vector<std::string>{"nose", "", "left_eye \xc3\xa9"});
  CHECK(f.open_dataset("names").dtype() == h5::DType::string);
  CHECK(f.open_dataset("chunked/f32").chunk() == h5::Shape{1, 4});
  CHECK(f.open_dataset("chunked/f32").deflate_level() == 6);
  CHECK(f.open_dataset("f32").chunk().empty());
  CHECK(f.is_group("chunked"));
  CHECK(f.is_dataset("chunked/i64"));
  CHECK_FALSE(f.exists("chunked/nothing/deeper"));
}

TEST_CASE("h5: float16 is stored as IEEE binary16 and converted by posekd") {
  test::ScratchDir dir("io_h5");
  const std::string path = dir.file("half.h5");
  const std::vector<float> values = {0.0f, 1.0f, -2.5f, 65504.0f, 70000.0f, 1e-7f, 0.1f, 1.0f + std::ldexp(1.0f, -11)};
  {
    h5::File f = h5::File::create(path);
    f.create_dataset("h", h5::DType::float16, {8}, {{4}, 4}).write(values);
    std::vector<Half> halves(8);
    floats_to_halves(values.data(), halves.data(), 8);
    f.create_dataset("raw", h5::DType::float16, {8}).write(halves);
    f.create_dataset("f32", h5::DType::float32, {8}).write(halves);
  }
  h5::File f = h5::File::open(path);
  const h5::Dataset h = f.open_dataset("h");
  CHECK(h.dtype() == h5::DType::float16);
  hid_t type = H5Dget_type(h.id());
  CHECK(H5Tget_size(type) == 2);
  CHECK(H5Tget_ebias(type) == 15);
  H5Tclose(type);
  const auto back = h.read_all<float>();
  for (size_t i = 0; i < values.size(); ++i) CHECK(back[i] == half_bits_to_float(float_to_half_bits(values[i])));
  CHECK(std::isinf(back[4]));
  CHECK(back[7] == 1.0f);  // the tie went to even
  const auto raw = f.open_dataset("raw").read_all<Half>();
  for (size_t i = 0; i < values.size(); ++i) CHECK(raw[i].bits == float_to_half_bits(values[i]));
  CHECK(f.open_dataset("f32").read_all<float>() == back);
  CHECK(error_of([&] { f.open_dataset("h").read_all<double>(); }).find("float16 pairs only with float32") != std::string::npos);
}

TEST_CASE("h5: attributes, fixed- and variable-length strings") {
  test::ScratchDir dir("io_h5");
  const std::string path = dir.file("attrs.h5");
  {
    h5::File f = h5::File::create(path);
    f.write_attr("text", "posekd-heatmaps");
    f.write_attr("list", std::vector<std::string>{"a.json", "b with space.json"});
    f.write_attr_int("n", -42);
    f.write_attr_ints("size", {192, 256});
    f.write_attr_double("x", 0.25);
    f.write_attr_doubles("xs", {1.5, -2});
    // A fixed-length, space-padded string as some writers make them.
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 10);
    H5Tset_strpad(type, H5T_STR_SPACEPAD);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(f.id(), "fixed", type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, type, "coco17    ");
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
  }
  h5::File f = h5::File::open(path);
  CHECK(f.attr_string("text") == "posekd-heatmaps");
  CHECK(f.attr_strings("list") == std::vector<std::string>{"a.json", "b with space.json"});
  CHECK(f.attr_int("n") == -42);
  CHECK(f.attr_ints("size") == std::vector<int64_t>{192, 256});
  CHECK(f.attr_double("x") == 0.25);
  CHECK(f.attr_doubles("xs") == std::vector<double>{1.5, -2});
  CHECK(f.attr_double("n") == -42.0);
  CHECK(f.attr_string("fixed") == "coco17");
  CHECK(f.attr_dtype("fixed") == h5::DType::string);
  CHECK(f.attr_shape("size") == h5::Shape{2});
  CHECK(error_of([&] { f.attr_string("missing"); }) == path + ":/: expected attribute 'missing', found none");
  CHECK(error_of([&] { f.attr_int("text"); }) == path + ":/: attribute 'text': expected integer, found string");
  CHECK(error_of([&] { f.attr_string("n"); }) == path + ":/: attribute 'n': expected string, found integer");
  CHECK(error_of([&] { f.attr_int("size"); }) == path + ":/: attribute 'size': expected one integer, found 2 values");
}

TEST_CASE("h5: errors name file, path, expected and found; HDF5 prints nothing") {
  test::ScratchDir dir("io_h5");
  const std::string text = dir.file("notes.txt");
  std::ofstream(text) << "not an HDF5 file\n";
  CHECK(error_of([&] { h5::File::open(text); }) == text + ": expected an HDF5 file, found no HDF5 signature");
  CHECK(error_of([&] { h5::File::open(dir.file("missing.h5")); }) ==
        dir.file("missing.h5") + ": cannot open: No such file or directory");

  const std::string good = dir.file("good.h5");
  {
    h5::File f = h5::File::create(good);
    std::vector<float> big(200000, 1.0f);
    f.create_dataset("maps", h5::DType::float32, {2, 100000}).write(big);
  }
  const std::string cut = dir.file("cut.h5");
  fs::copy_file(good, cut);
  fs::resize_file(cut, fs::file_size(good) / 2);
  const std::string truncated = error_of([&] { h5::File::open(cut); });
  CHECK(truncated.rfind(cut + ": truncated or damaged HDF5 file (HDF5: ", 0) == 0);

  h5::File f = h5::File::open(good);
  const h5::Dataset maps = f.open_dataset("maps");
  CHECK(error_of([&] { maps.expect_shape({-1, 17, 64, 48}); }) == good + ":/maps: expected [N,17,64,48], found [2,100000]");
  CHECK(error_of([&] { maps.expect_shape({-1, 99}); }) == good + ":/maps: expected [N,99], found [N,100000]");
  CHECK(error_of([&] { maps.expect_dtype({h5::DType::float16, h5::DType::int64}); }) ==
        good + ":/maps: expected float16 or int64, found float32");
  CHECK(error_of([&] { f.open_dataset("heatmaps"); }) == good + ":/heatmaps: expected a dataset, found nothing");
  CHECK(error_of([&] { f.open_group("maps"); }) == good + ":/maps: expected a group, found a dataset");
  std::vector<float> row(100000);
  CHECK(error_of([&] { maps.read_rows(1, 2, row.data()); }) == good + ":/maps: rows [1, 3) out of range: the dataset has 2 rows");

  const std::string printed = stderr_of(
      [&] {
        try { h5::File::open(cut); } catch (const Error&) {}
        try { f.open_dataset("nothing/here"); } catch (const Error&) {}
        H5Dopen2(f.id(), "nope", H5P_DEFAULT);  // even a raw call stays quiet on this thread
      },
      dir.file("stderr.txt"));
  CHECK(printed == "");
}

TEST_CASE("h5: a file image goes through a real pipe between two processes") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[1]);
    try {
      h5::OutputFile out("-");
      std::vector<float> values(17 * 64 * 48);
      std::iota(values.begin(), values.end(), 0.0f);
      out.file().create_dataset("maps", h5::DType::float16, {17, 64, 48}, {{1, 64, 48}, 4}).write(values);
      out.file().write_attr("format", "pipe-test");
      out.commit();
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  const int saved_stdin = ::dup(STDIN_FILENO);
  ::dup2(fds[0], STDIN_FILENO);
  ::close(fds[0]);
  std::string error;
  std::vector<float> back;
  std::string format;
  try {
    h5::File f = h5::File::open("-");  // the path that reads stdin
    back = f.open_dataset("maps").read_all<float>();
    format = f.attr_string("format");
    CHECK(f.file_label() == "<stdin>");
  } catch (const Error& e) {
    error = e.what();
  }
  ::dup2(saved_stdin, STDIN_FILENO);
  ::close(saved_stdin);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(error == "");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(format == "pipe-test");
  REQUIRE(back.size() == 17u * 64 * 48);
  for (size_t i = 0; i < back.size(); i += 997) CHECK(back[i] == half_bits_to_float(float_to_half_bits(static_cast<float>(i))));
}

TEST_CASE("h5: two shard files merged by a virtual dataset read back equal, from any folder") {
  test::ScratchDir dir("io_h5");
  fs::create_directories(dir.path() / "shards");
  std::vector<float> all;
  std::vector<h5::VirtualSource> sources;
  for (int s = 0; s < 2; ++s) {
    const int rows = s == 0 ? 3 : 5;
    std::vector<float> values(static_cast<size_t>(rows) * 6);
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(s * 100 + static_cast<int>(i)) * 0.5f;
    all.insert(all.end(), values.begin(), values.end());
    const std::string name = "shards/part" + std::to_string(s) + (s ? "-100%.h5" : ".h5");  // '%' is special to HDF5
    h5::File f = h5::File::create(dir.file(name));
    f.create_dataset("maps", h5::DType::float16, {rows, 2, 3}, {{1, 2, 3}, 0}).write(values);
    sources.push_back({name, "/maps", rows});
  }
  {
    h5::OutputFile out(dir.file("merged.h5"));
    out.file().create_virtual_dataset("maps", h5::DType::float16, {8, 2, 3}, sources);
    out.commit();
  }
  const fs::path cwd = fs::current_path();
  fs::current_path("/");
  std::vector<float> back;
  bool is_virtual = false;
  size_t source_count = 0;
  try {
    h5::File f = h5::File::open(dir.file("merged.h5"));
    const h5::Dataset d = f.open_dataset("maps");
    back = d.read_all<float>();
    is_virtual = d.is_virtual();
    source_count = d.virtual_sources().size();
  } catch (...) {
  }
  fs::current_path(cwd);
  CHECK(is_virtual);
  CHECK(source_count == 2);
  CHECK(h5::File::open(dir.file("merged.h5")).open_dataset("maps").virtual_sources()[1].file == "shards/part1-100%.h5");
  CHECK(back == all);
}

TEST_CASE("h5: output goes to NAME.partial and is renamed on commit; no commit, no file") {
  test::ScratchDir dir("io_h5");
  const std::string target = dir.file("out.h5");
  {
    h5::OutputFile out(target);
    CHECK(fs::exists(target + ".partial"));
    out.file().write_attr("format", "x");
  }
  CHECK_FALSE(fs::exists(target));
  CHECK_FALSE(fs::exists(target + ".partial"));
  {
    h5::OutputFile out(target, {true});
    CHECK_FALSE(out.resumed());
    out.file().write_attr_int("progress", 1);
  }
  CHECK(fs::exists(target + ".partial"));  // a resumable writer keeps its work
  {
    h5::OutputFile out(target, {true});
    CHECK(out.resumed());
    CHECK(out.file().attr_int("progress") == 1);
    out.commit();
  }
  CHECK(fs::exists(target));
  CHECK_FALSE(fs::exists(target + ".partial"));
  CHECK(h5::File::open(target).attr_int("progress") == 1);
}

TEST_CASE("h5: a writer killed with SIGKILL leaves no file at the target") {
  test::ScratchDir dir("io_h5");
  const std::string target = dir.file("killed.h5");
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    h5::OutputFile out(target);
    h5::Dataset d = out.file().create_dataset("rows", h5::DType::float32, {1 << 20, 64}, {{64, 64}, 0});
    std::vector<float> row(64 * 64, 1.0f);
    for (int64_t i = 0;; i = (i + 64) % (1 << 20)) {
      d.write_rows(i, 64, row.data());
      if (i == 64 * 8) {
        char c = 'w';
        (void)!::write(ready[1], &c, 1);
      }
    }
  }
  ::close(ready[1]);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK_FALSE(fs::exists(target));
  CHECK(fs::exists(target + ".partial"));

  {
    h5::OutputFile out(target);  // the next write starts its .partial afresh
    out.file().write_attr("format", "after-kill");
    out.commit();
  }
  CHECK_FALSE(fs::exists(target + ".partial"));
  CHECK(h5::File::open(target).attr_string("format") == "after-kill");
}
