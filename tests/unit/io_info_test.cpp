#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "posekd/core/error.h"
#include "posekd/io/checkpoint.h"
#include "posekd/io/info.h"
#include "test_support.h"

using namespace posekd;

TEST_CASE("info: a checkpoint is described from its attributes and arrays") {
  test::ScratchDir dir("io_info");
  io::Checkpoint c;
  c.model_spec = "hrnet:width=32";
  c.skeleton = Skeleton::load("mpii16");
  c.input_size = {256, 256};
  c.heatmap_size = {64, 64};
  c.head_type = "heatmap";
  c.decoding = "udp";
  c.params = {{"a.weight", {2, 3}, std::vector<float>(6, 1)}, {"b.bias", {5}, std::vector<float>(5, 0)}};
  Provenance p{"pose-train", "1.2.3", "pose-train x", "lr = 0.001\n", "2026-01-02T03:04:05Z", {{"in \"q\".json", "size=1"}}};
  const std::string path = dir.file("m.ckpt.h5");
  io::write_checkpoint(c, path, p);

  const io::FileDescription d = io::describe_file(path);
  CHECK(d.format == "posekd-checkpoint");
  CHECK(d.format_version == 1);
  CHECK(d.skeleton == "mpii16");
  CHECK(d.joints == 16);
  CHECK(d.params == 11);  // no `params` attribute: the values under /params are counted
  CHECK_FALSE(d.gflops);
  CHECK_FALSE(d.train);
  CHECK(d.datasets.size() == 6);
  CHECK(d.datasets[0].path == "/params/a.weight");
  CHECK(d.datasets[0].shape == h5::Shape{2, 3});

  const std::string text = io::describe_text(d);
  CHECK(text.rfind(path + ": posekd-checkpoint, format_version 1\n", 0) == 0);
  CHECK(text.find("  params        11\n") != std::string::npos);
  CHECK(text.find("    tool        pose-train 1.2.3\n") != std::string::npos);
  CHECK(text.find("      lr = 0.001\n") != std::string::npos);
  const std::string json = io::describe_json(d);
  CHECK(json.find("\"inputs\":[{\"path\":\"in \\\"q\\\".json\",\"fingerprint\":\"size=1\"}]") != std::string::npos);
  CHECK(json.find("\"config\":\"lr = 0.001\\n\"") != std::string::npos);
  CHECK(json.find('\n') == std::string::npos);
}

TEST_CASE("info: run_info describes the good files and counts the bad ones") {
  test::ScratchDir dir("io_info");
  io::Checkpoint c;
  c.model_spec = "m";
  c.skeleton = Skeleton::load("coco17");
  c.head_type = "heatmap";
  io::write_checkpoint(c, dir.file("a.ckpt.h5"));
  std::ofstream(dir.file("b.txt")) << "text";
  std::ostringstream out, err;
  const int failed = io::run_info({{dir.file("b.txt"), dir.file("a.ckpt.h5"), dir.file("none.h5")}, true}, out, err);
  CHECK(failed == 2);
  CHECK(out.str().rfind("{\"file\":\"" + dir.file("a.ckpt.h5") + "\",\"format\":\"posekd-checkpoint\"", 0) == 0);
  CHECK(err.str() == "posekd: error: " + dir.file("b.txt") + ": expected an HDF5 file, found no HDF5 signature\n" +
                         "posekd: error: " + dir.file("none.h5") + ": cannot open: No such file or directory\n");
  CHECK_THROWS_AS(io::run_info({{"-", "-"}, false}, out, err), UsageError);
}
