#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "posekd/core/error.h"
#include "posekd/io/format.h"
#include "posekd/io/heatmaps.h"
#include "posekd/io/heatmaps_layout.h"
#include "test_support.h"

using namespace posekd;
using test::error_of;
namespace fs = std::filesystem;

namespace {

io::HeatmapsLayout small_layout(int64_t n, h5::DType dtype = h5::DType::float16) {
  io::HeatmapsLayout l;
  l.samples = n;
  l.skeleton = Skeleton::load("coco17");
  l.joints = 17;
  l.height = 8;
  l.width = 6;
  l.dtype = dtype;
  l.model_spec = "hourglass:stacks=1,channels=16";
  l.input_size = {24, 32};
  l.attributes["decoding"] = "dark";
  return l;
}

io::HeatmapSample make_sample(const io::HeatmapsLayout& l, int64_t index, int64_t id_base = 1000) {
  io::HeatmapSample s;
  s.sample_id = id_base + index * 3;
  s.image_id = 500 + index / 2;
  s.crop = {0.5f, 0, static_cast<float>(index), 0, 0.5f, -1};
  s.heatmaps.resize(static_cast<size_t>(l.map_values()));
  for (size_t i = 0; i < s.heatmaps.size(); ++i) s.heatmaps[i] = static_cast<float>((i * 37 + index * 11) % 101) / 100.0f;
  s.coords.resize(static_cast<size_t>(l.joints * 3));
  for (size_t i = 0; i < s.coords.size(); ++i) s.coords[i] = static_cast<float>(index) + 0.125f * static_cast<float>(i);
  for (const auto& e : l.extras) {
    std::vector<float> v(static_cast<size_t>(h5::element_count(e.sample_shape)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(index * 1000 + static_cast<int64_t>(i));
    s.extras[e.path] = v;
  }
  return s;
}

std::vector<float> stored(std::vector<float> v, h5::DType dtype) {
  if (dtype == h5::DType::float16)
    for (auto& x : v) x = half_bits_to_float(float_to_half_bits(x));
  return v;
}

void write_dump(const std::string& path, const io::HeatmapsLayout& l, int64_t id_base = 1000) {
  io::HeatmapsWriter w(path, l);
  for (int64_t i = 0; i < l.samples; ++i) {
    w.write(i, make_sample(l, i, id_base));
    w.mark_done(i);
  }
  w.commit();
}

}  // namespace

TEST_CASE("heatmaps: writer -> reader round trip, float16 and float32, with optional arrays") {
  test::ScratchDir dir("io_hm");
  for (h5::DType dtype : {h5::DType::float16, h5::DType::float32}) {
    CAPTURE(h5::dtype_name(dtype));
    io::HeatmapsLayout l = small_layout(5, dtype);
    l.deflate = dtype == h5::DType::float32 ? 4 : 0;
    l.extras = {{"simcc/x", {17, 12}, h5::DType::float32}, {"features/stage2", {4, 2, 2}, h5::DType::float16}};
    const std::string path = dir.file(std::string("dump-") + h5::dtype_name(dtype) + ".hm.h5");
    write_dump(path, l);
    CHECK_FALSE(fs::exists(path + ".partial"));

    io::HeatmapsReader r(path);
    CHECK(r.size() == 5);
    CHECK(r.complete());
    CHECK(r.layout().joints == 17);
    CHECK(r.layout().height == 8);
    CHECK(r.layout().width == 6);
    CHECK(r.layout().dtype == dtype);
    CHECK(r.layout().deflate == l.deflate);
    CHECK(r.layout().skeleton == l.skeleton);
    CHECK(r.layout().model_spec == l.model_spec);
    CHECK(r.layout().input_size == l.input_size);
    CHECK(r.layout().attributes.at("decoding") == "dark");
    REQUIRE(r.layout().extras.size() == 2);
    CHECK(r.file().open_dataset("heatmaps").chunk() == h5::Shape{1, 17, 8, 6});
    CHECK(r.provenance().tool == Provenance::current().tool);
    for (int64_t i = 0; i < 5; ++i) {
      const io::HeatmapSample want = make_sample(l, i);
      const io::HeatmapSample got = r.sample_by_id(want.sample_id);
      CHECK(r.index_of(want.sample_id) == i);
      CHECK(got.image_id == want.image_id);
      CHECK(got.crop == want.crop);
      CHECK(got.heatmaps == stored(want.heatmaps, dtype));
      CHECK(got.coords == want.coords);
      CHECK(got.extras.at("simcc/x") == want.extras.at("simcc/x"));
      CHECK(got.extras.at("features/stage2") == stored(want.extras.at("features/stage2"), h5::DType::float16));
    }
    CHECK(r.index_of(4) == -1);
    CHECK(error_of([&] { r.sample_by_id(4); }) == path + ":/sample_id: expected sample_id 4, found no such sample");
    CHECK(error_of([&] { r.heatmaps(5); }) == path + ":/heatmaps: expected a sample index in [0, 5), found 5");
  }
}

TEST_CASE("heatmaps: block writes, commit refuses missing samples") {
  test::ScratchDir dir("io_hm");
  const io::HeatmapsLayout l = small_layout(4);
  const std::string path = dir.file("block.hm.h5");
  {
    io::HeatmapsWriter w(path, l);
    std::vector<int64_t> ids, images;
    std::vector<float> crops, maps, coords;
    for (int64_t i = 0; i < 3; ++i) {
      const auto s = make_sample(l, i);
      ids.push_back(s.sample_id);
      images.push_back(s.image_id);
      crops.insert(crops.end(), s.crop.begin(), s.crop.end());
      maps.insert(maps.end(), s.heatmaps.begin(), s.heatmaps.end());
      coords.insert(coords.end(), s.coords.begin(), s.coords.end());
    }
    io::HeatmapBlock b;
    b.count = 3;
    b.sample_ids = ids.data();
    b.image_ids = images.data();
    b.crops = crops.data();
    b.heatmaps = maps.data();
    b.coords = coords.data();
    w.write_block(0, b);
    w.mark_done(0, 3);
    CHECK(error_of([&] { w.write_block(2, b); }) == path + ": samples [2, 5) out of range: the dump has 4");
    CHECK(error_of([&] { w.commit(); }) == path + ":/done: expected all 4 samples written, found 1 missing (first: index 3)");
  }
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".partial"));
}

TEST_CASE("heatmaps: an interrupted resumable dump continues where it stopped") {
  test::ScratchDir dir("io_hm");
  const io::HeatmapsLayout l = small_layout(6);
  const std::string path = dir.file("resume.hm.h5");
  {
    io::HeatmapsWriter w(path, l, true);
    CHECK_FALSE(w.resumed());
    for (int64_t i : {0, 1, 4}) {
      w.write(i, make_sample(l, i));
      w.mark_done(i);
    }
    w.write(2, make_sample(l, 2));  // written but not marked: must be redone
  }
  CHECK(fs::exists(path + ".partial"));
  CHECK_FALSE(fs::exists(path));
  {
    const io::HeatmapsReader partial(path + ".partial");
    CHECK(partial.done_count() == 3);
    CHECK_FALSE(partial.complete());
    CHECK(partial.index_of(make_sample(l, 4).sample_id) == 4);
    CHECK(partial.index_of(make_sample(l, 2).sample_id) == -1);
    CHECK(error_of([&] { partial.sample(2); }) ==
          path + ".partial:/done: expected sample 2 written, found it not done (an unfinished dump)");
  }

  io::HeatmapsLayout other = small_layout(6, h5::DType::float32);
  CHECK(error_of([&] { io::HeatmapsWriter(path, other, true); }).rfind(path + ".partial: cannot resume: expected a dump with N=6 heatmaps=[6,17,8,6] float32", 0) == 0);
  {
    io::HeatmapsWriter w(path, l, true);
    CHECK(w.resumed());
    CHECK(w.done_count() == 3);
    std::vector<int64_t> redo;
    for (int64_t i = 0; i < 6; ++i)
      if (!w.is_done(i)) redo.push_back(i);
    CHECK(redo == std::vector<int64_t>{2, 3, 5});
    for (int64_t i : redo) {
      w.write(i, make_sample(l, i));
      w.mark_done(i);
    }
    w.commit();
  }
  io::HeatmapsReader r(path);
  CHECK(r.complete());
  for (int64_t i = 0; i < 6; ++i) CHECK(r.heatmaps(i) == stored(make_sample(l, i).heatmaps, l.dtype));
}

TEST_CASE("heatmaps: shards merge into one logical file through virtual datasets") {
  test::ScratchDir dir("io_hm");
  fs::create_directories(dir.path() / "parts");
  io::HeatmapsLayout a = small_layout(3);
  a.extras = {{"tokens/keypoint", {17, 4}, h5::DType::float32}};
  io::HeatmapsLayout b = a;
  b.samples = 2;
  write_dump(dir.file("parts/a.hm.h5"), a, 1000);
  write_dump(dir.file("parts/b.hm.h5"), b, 2000);
  const std::string merged = dir.file("all.hm.h5");
  io::merge_heatmap_shards({dir.file("parts/a.hm.h5"), dir.file("parts/b.hm.h5")}, merged);

  io::HeatmapsReader r(merged);
  CHECK(r.size() == 5);
  CHECK(r.complete());
  CHECK(r.file().open_dataset("heatmaps").is_virtual());
  CHECK(r.file().open_dataset("heatmaps").virtual_sources()[0].file == "parts/a.hm.h5");
  CHECK(r.layout().attributes.at("shards") == "2");
  CHECK(r.provenance().inputs.size() == 2);
  for (int64_t i = 0; i < 3; ++i) {
    const auto s = r.sample_by_id(1000 + 3 * i);
    CHECK(s.heatmaps == stored(make_sample(a, i, 1000).heatmaps, a.dtype));
    CHECK(s.extras.at("tokens/keypoint") == make_sample(a, i, 1000).extras.at("tokens/keypoint"));
  }
  for (int64_t i = 0; i < 2; ++i) CHECK(r.sample(3 + i).coords == make_sample(b, i, 2000).coords);

  // The pair moves together.
  fs::rename(dir.path() / "parts", dir.path() / "moved");
  fs::create_directories(dir.path() / "elsewhere");
  CHECK(error_of([&] { io::HeatmapsReader{merged}; }) ==
        merged + ":/heatmaps: expected shard parts/a.hm.h5 of this merged file, found it missing");
}

TEST_CASE("heatmaps: merge refuses shards of different dumps, duplicates and unfinished shards") {
  test::ScratchDir dir("io_hm");
  const io::HeatmapsLayout base = small_layout(2);
  const std::string a = dir.file("a.hm.h5");
  write_dump(a, base, 1000);
  const auto variant = [&](const std::string& name, io::HeatmapsLayout l, int64_t id_base = 5000) {
    write_dump(dir.file(name), l, id_base);
    return dir.file(name);
  };
  io::HeatmapsLayout k16 = base;
  k16.skeleton = Skeleton::load("mpii16");
  k16.joints = 16;
  const std::string b16 = variant("k16.hm.h5", k16);
  CHECK(error_of([&] { io::merge_heatmap_shards({a, b16}, dir.file("m.hm.h5")); }) ==
        b16 + ":/heatmaps: expected [N,17,8,6] float16 as in " + a + ", found [N,16,8,6] float16");
  io::HeatmapsLayout f32 = base;
  f32.dtype = h5::DType::float32;
  const std::string b32 = variant("f32.hm.h5", f32);
  CHECK(error_of([&] { io::merge_heatmap_shards({a, b32}, dir.file("m.hm.h5")); }) ==
        b32 + ":/heatmaps: expected [N,17,8,6] float16 as in " + a + ", found [N,17,8,6] float32");
  io::HeatmapsLayout spec = base;
  spec.model_spec = "hrnet:width=32";
  const std::string bspec = variant("spec.hm.h5", spec);
  CHECK(error_of([&] { io::merge_heatmap_shards({a, bspec}, dir.file("m.hm.h5")); }) ==
        bspec + ":/@model_spec: expected hourglass:stacks=1,channels=16 as in " + a + ", found hrnet:width=32");
  io::HeatmapsLayout size = base;
  size.height = 16;
  const std::string bsize = variant("size.hm.h5", size);
  CHECK(error_of([&] { io::merge_heatmap_shards({a, bsize}, dir.file("m.hm.h5")); }) ==
        bsize + ":/heatmaps: expected [N,17,8,6] float16 as in " + a + ", found [N,17,16,6] float16");
  const std::string dup = variant("dup.hm.h5", base, 1000);
  CHECK(error_of([&] { io::merge_heatmap_shards({a, dup}, dir.file("m.hm.h5")); }) ==
        dup + ":/sample_id: expected ids unique across shards, found 1000 also in " + a);
  {
    io::HeatmapsWriter w(dir.file("half.hm.h5"), base, true);
    w.write(0, make_sample(base, 0, 7000));
    w.mark_done(0);
  }
  fs::rename(dir.file("half.hm.h5.partial"), dir.file("half.hm.h5"));
  CHECK(error_of([&] { io::merge_heatmap_shards({a, dir.file("half.hm.h5")}, dir.file("m.hm.h5")); }) ==
        dir.file("half.hm.h5") + ":/done: expected a complete shard, found 1 of 2 samples written");
  CHECK_FALSE(fs::exists(dir.file("m.hm.h5")));
}

TEST_CASE("heatmaps: the reader refuses foreign, damaged, newer and misshapen files") {
  test::ScratchDir dir("io_hm");
  const io::HeatmapsLayout l = small_layout(3);
  const std::string good = dir.file("good.hm.h5");
  write_dump(good, l);

  const std::string text = dir.file("text.hm.h5");
  std::ofstream(text) << "sample_id,heatmap\n1,0.5\n";
  CHECK(error_of([&] { io::HeatmapsReader{text}; }) == text + ": expected an HDF5 file, found no HDF5 signature");

  const std::string cut = dir.file("cut.hm.h5");
  fs::copy_file(good, cut);
  fs::resize_file(cut, fs::file_size(good) / 2);
  CHECK(error_of([&] { io::HeatmapsReader{cut}; }).rfind(cut + ": truncated or damaged HDF5 file", 0) == 0);

  const std::string foreign = dir.file("foreign.h5");
  h5::File::create(foreign).create_dataset("heatmaps", h5::DType::float32, {1, 17, 8, 6});
  CHECK(error_of([&] { io::HeatmapsReader{foreign}; }) ==
        foreign + ":/: expected a posekd-heatmaps file, found an HDF5 file without a 'format' attribute");

  const auto edited = [&](const std::string& name, const std::function<void(h5::File&)>& edit) {
    const std::string path = dir.file(name);
    fs::copy_file(good, path);
    h5::File f = h5::File::open(path, true);
    edit(f);
    return path;
  };
  const std::string newer = edited("newer.hm.h5", [](h5::File& f) { f.write_attr_int("format_version", 3); });
  CHECK(error_of([&] { io::HeatmapsReader{newer}; }) ==
        newer + ":/@format_version: expected 1 or older, found 3 (written by a newer posekd)");
  const std::string ckpt = edited("ckpt.hm.h5", [](h5::File& f) { f.write_attr("format", "posekd-checkpoint"); });
  CHECK(error_of([&] { io::HeatmapsReader{ckpt}; }) == ckpt + ":/@format: expected posekd-heatmaps, found posekd-checkpoint");
  const std::string k16 = edited("k16.hm.h5", [](h5::File& f) {
    f.remove("heatmaps");
    f.create_dataset("heatmaps", h5::DType::float16, {3, 16, 8, 6});
  });
  CHECK(error_of([&] { io::HeatmapsReader{k16}; }) ==
        k16 + ":/heatmaps: expected [N,17,8,6] as skeleton coco17 has 17 joints, found [N,16,8,6]");
  const std::string f64 = edited("f64.hm.h5", [](h5::File& f) {
    f.remove("heatmaps");
    f.create_dataset("heatmaps", h5::DType::float64, {3, 17, 8, 6});
  });
  CHECK(error_of([&] { io::HeatmapsReader{f64}; }) == f64 + ":/heatmaps: expected float16 or float32, found float64");
  const std::string coords = edited("coords.hm.h5", [](h5::File& f) {
    f.remove("coords");
    f.create_dataset("coords", h5::DType::float32, {3, 17, 2});
  });
  CHECK(error_of([&] { io::HeatmapsReader{coords}; }) == coords + ":/coords: expected [3,17,3], found [3,17,2]");
  const std::string ids = edited("ids.hm.h5", [](h5::File& f) {
    f.remove("sample_id");
    f.create_dataset("sample_id", h5::DType::int32, {3});
  });
  CHECK(error_of([&] { io::HeatmapsReader{ids}; }) == ids + ":/sample_id: expected int64, found int32");
  const std::string dup = edited("dup.hm.h5", [](h5::File& f) {
    f.open_dataset("sample_id").write(std::vector<int64_t>{7, 8, 7});
  });
  CHECK(error_of([&] { io::HeatmapsReader{dup}; }) == dup + ":/sample_id: expected unique ids, found 7 at rows 0 and 2");
  const std::string stray = edited("stray.hm.h5", [](h5::File& f) {
    f.create_dataset("tokens/other", h5::DType::float32, {3, 2});
  });
  CHECK(error_of([&] { io::HeatmapsReader{stray}; }) ==
        stray + ":/tokens/other: expected features/<name>, tokens/keypoint, tokens/visual, simcc/x or simcc/y");
}

TEST_CASE("heatmaps: a resumable dump killed with SIGKILL resumes from its .partial") {
  test::ScratchDir dir("io_hm");
  const io::HeatmapsLayout l = small_layout(40);
  const std::string path = dir.file("killed.hm.h5");
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    io::HeatmapsWriter w(path, l, true);
    for (int64_t i = 0; i < 10; ++i) {
      w.write(i, make_sample(l, i));
      w.mark_done(i);
    }
    char c = 'w';
    (void)!::write(ready[1], &c, 1);
    for (int64_t i = 10;; i = i + 1 < 40 ? i + 1 : 10) w.write(i, make_sample(l, i));  // killed in here
  }
  ::close(ready[1]);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);
  ::usleep(20000);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK_FALSE(fs::exists(path));
  {
    io::HeatmapsWriter w(path, l, true);
    CHECK(w.resumed());
    CHECK(w.done_count() == 10);
    for (int64_t i = 10; i < 40; ++i) {
      w.write(i, make_sample(l, i));
      w.mark_done(i);
    }
    w.commit();
  }
  io::HeatmapsReader r(path);
  for (int64_t i = 0; i < 40; ++i) CHECK(r.heatmaps(i) == stored(make_sample(l, i).heatmaps, l.dtype));
}

TEST_CASE("heatmaps: one reader serves several threads") {
  test::ScratchDir dir("io_hm");
  const io::HeatmapsLayout l = small_layout(16);
  const std::string path = dir.file("threads.hm.h5");
  write_dump(path, l);
  const io::HeatmapsReader r(path);
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round)
        for (int64_t i = t; i < 16; i += 4)
          wrong[static_cast<size_t>(t)] += r.sample(i).heatmaps != stored(make_sample(l, i).heatmaps, l.dtype);
    });
  for (auto& th : threads) th.join();
  CHECK(wrong == std::vector<int>(4, 0));
}
