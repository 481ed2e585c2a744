// How fast and how lean posekd reads a COCO-sized keypoints file, against Python's json.load
// (what pycocotools, HRNet and mmpose do first) and against a plain simdjson DOM parse (the
// alternative to the On-Demand reader).
//
//   bench_json_load [FILE.json]
//   bench_json_load --write FILE.json     (only write the synthetic file, to reuse it)
//
// Without FILE it writes a deterministic COCO-like file the size of
// person_keypoints_train2017.json (~118k images, 150k people with polygons, ~240 MB) into a
// temporary directory and removes it afterwards. Each contender runs in its own child process
// and its peak memory is that child's ru_maxrss (wait4), so all three are measured the same way.
#include <fmt/format.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "posekd/core/error.h"
#include "posekd/data/dataset.h"

namespace {

// Counts from person_keypoints_train2017.json's scale; the polygon length makes the size.
constexpr int kImages = 118287;
constexpr int kAnnotations = 150000;

class Lcg {
 public:
  explicit Lcg(uint64_t seed) : state_(seed) {}
  uint32_t next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state_ >> 33);
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * (next() / 2147483648.0); }
  int below(int n) { return static_cast<int>(next() % static_cast<uint32_t>(n)); }

 private:
  uint64_t state_;
};

void generate(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  Lcg rng(20171);
  fmt::memory_buffer buf;
  auto flush = [&] {
    std::fwrite(buf.data(), 1, buf.size(), f);
    buf.clear();
  };
  fmt::format_to(std::back_inserter(buf),
                 R"({{"info": {{"description": "posekd synthetic COCO-like keypoints", "year": 2017}}, "licenses": [)"
                 R"({{"url": "http://creativecommons.org/licenses/by-nc-sa/2.0/", "id": 1, "name": "Attribution"}}], "images": [)");
  for (int i = 0; i < kImages; ++i) {
    const int id = 100000 + i * 7;
    fmt::format_to(std::back_inserter(buf),
                   R"({}{{"license": {}, "file_name": "{:012d}.jpg", "coco_url": "http://images.cocodataset.org/train2017/{:012d}.jpg", )"
                   R"("height": {}, "width": 640, "date_captured": "2013-11-14 16:28:13", )"
                   R"("flickr_url": "http://farm4.staticflickr.com/3153/2970773875_164f0c0b83_z.jpg", "id": {}}})",
                   i ? ", " : "", 1 + rng.below(8), id, id, 360 + rng.below(120), id);
    if (buf.size() > (1 << 20)) flush();
  }
  fmt::format_to(std::back_inserter(buf), R"(], "annotations": [)");
  for (int a = 0; a < kAnnotations; ++a) {
    const int image = 100000 + rng.below(kImages) * 7;
    const bool crowd = rng.below(100) == 0;
    const double x = rng.uniform(0, 500), y = rng.uniform(0, 300), w = rng.uniform(10, 140), h = rng.uniform(20, 180);
    fmt::format_to(std::back_inserter(buf), R"({}{{"segmentation": )", a ? ", " : "");
    if (crowd) {
      fmt::format_to(std::back_inserter(buf), R"({{"counts": [)");
      for (int c = 0, n = 150 + rng.below(200); c < n; ++c) fmt::format_to(std::back_inserter(buf), "{}{}", c ? "," : "", rng.below(600));
      fmt::format_to(std::back_inserter(buf), R"(], "size": [480, 640]}})");
    } else {
      fmt::format_to(std::back_inserter(buf), "[[");
      for (int c = 0, n = 2 * (50 + rng.below(50)); c < n; ++c)
        fmt::format_to(std::back_inserter(buf), "{}{:.2f}", c ? "," : "", c % 2 ? y + rng.uniform(0, h) : x + rng.uniform(0, w));
      fmt::format_to(std::back_inserter(buf), "]]");
    }
    int labelled = 0;
    fmt::format_to(std::back_inserter(buf), R"(, "keypoints": [)");
    for (int j = 0; j < 17; ++j) {
      const int v = crowd ? 0 : rng.below(3);
      labelled += v > 0;
      if (v == 0)
        fmt::format_to(std::back_inserter(buf), "{}0,0,0", j ? "," : "");
      else
        fmt::format_to(std::back_inserter(buf), "{}{},{},{}", j ? "," : "", static_cast<int>(x + rng.uniform(0, w)),
                       static_cast<int>(y + rng.uniform(0, h)), v);
    }
    fmt::format_to(std::back_inserter(buf),
                   R"(], "num_keypoints": {}, "area": {:.5f}, "iscrowd": {}, "image_id": {}, "bbox": [{:.2f},{:.2f},{:.2f},{:.2f}], )"
                   R"("category_id": 1, "id": {}}})",
                   labelled, w * h * 0.6, crowd ? 1 : 0, image, x, y, w, h, 200000 + a);
    if (buf.size() > (1 << 20)) flush();
  }
  fmt::format_to(std::back_inserter(buf),
                 R"(], "categories": [{{"supercategory": "person", "id": 1, "name": "person", "keypoints": ["nose", "left_eye", )"
                 R"("right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", )"
                 R"("right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"], "skeleton": )"
                 R"([[16,14],[14,12],[17,15],[15,13],[12,13],[6,12],[7,13],[6,7],[6,8],[7,9],[8,10],[9,11],[2,3],[1,2],[1,3],[2,4],[3,5],[4,6],[5,7]]}}]}})");
  flush();
  if (std::fclose(f) != 0) throw std::runtime_error("cannot write " + path);
}

struct Measured {
  double seconds = 0;
  double cpu_seconds = 0;  // user + system: what the shared build machine cannot steal
  double peak_bytes = 0;
  int status = -1;
};

// Runs `child` in a forked process; its exit status, wall time and peak resident set.
Measured in_child(const std::function<int()>& child) {
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) _exit(child());
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) != pid) throw std::runtime_error("wait4 failed");
  Measured m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.cpu_seconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  m.peak_bytes = static_cast<double>(usage.ru_maxrss) * 1024.0;  // Linux reports KiB
  m.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return m;
}

void report(const char* name, const Measured& m, double file_bytes) {
  if (m.status != 0) {
    fmt::print("{:<44} failed (exit status {})\n", name, m.status);
    return;
  }
  fmt::print("{:<42} {:6.2f} s wall {:6.2f} s cpu {:6.0f} MB/s  peak RSS {:5.0f} MB = {:4.1f}x file\n", name, m.seconds,
             m.cpu_seconds, file_bytes / 1e6 / m.seconds, m.peak_bytes / 1e6, m.peak_bytes / file_bytes);
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  std::filesystem::path temp_dir;
  try {
    if (argc > 2 && std::string(argv[1]) == "--write") {
      generate(argv[2]);
      return 0;
    }
    if (argc > 1) {
      path = argv[1];
    } else {
      std::string tmpl = (std::filesystem::temp_directory_path() / "posekd-bench-json-XXXXXX").string();
      if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
      temp_dir = tmpl;
      path = (temp_dir / "person_keypoints_synthetic.json").string();
      const auto start = std::chrono::steady_clock::now();
      generate(path);
      fmt::print("generated {} in {:.1f} s\n", path,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    const double file_bytes = static_cast<double>(std::filesystem::file_size(path));
    fmt::print("file: {} ({:.1f} MB)\n", path, file_bytes / 1e6);

    const Measured ours = in_child([&] {
      try {
        const posekd::Dataset d = posekd::read_dataset(path);
        fmt::print("posekd: {} images, {} annotations, format {}\n", d.images.size(), d.instances.size(), posekd::to_string(d.format));
        std::fflush(stdout);
        return 0;
      } catch (const std::exception& e) {
        fmt::print(stderr, "posekd: {}\n", e.what());
        return 1;
      }
    });
    const Measured dom = in_child([&] {
      simdjson::dom::parser parser;
      simdjson::dom::element doc;
      return parser.load(path).get(doc) == simdjson::SUCCESS ? 0 : 1;
    });
    const char* python = "/usr/bin/python3";
    const bool have_python = access(python, X_OK) == 0;
    Measured py;
    if (have_python)
      py = in_child([&] {
        execl(python, "python3", "-c", "import json, sys; json.load(open(sys.argv[1]))", path.c_str(), static_cast<char*>(nullptr));
        return 127;
      });

    fmt::print("\n");
    report("posekd read_dataset (simdjson On-Demand)", ours, file_bytes);
    report("simdjson DOM parse only (no conversion)", dom, file_bytes);
    if (have_python) {
      report("python3 json.load", py, file_bytes);
      if (ours.status == 0 && py.status == 0)
        fmt::print("\nposekd vs python3 json.load: {:.1f}x faster in wall time, {:.1f}x in cpu time (goal >= 5x); "
                   "peak memory {:.1f}x smaller\n",
                   py.seconds / ours.seconds, py.cpu_seconds / ours.cpu_seconds, py.peak_bytes / ours.peak_bytes);
    } else {
      fmt::print("{} not found: no Python comparison\n", python);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_json_load: {}\n", e.what());
    if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir);
    return 1;
  }
  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir);
  return 0;
}
