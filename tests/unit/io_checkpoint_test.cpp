#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "posekd/core/error.h"
#include "posekd/io/checkpoint.h"
#include "posekd/io/format.h"
#include "test_support.h"

using namespace posekd;
using test::error_of;
namespace fs = std::filesystem;

namespace {

io::NamedArray array(const std::string& name, h5::Shape shape, float start) {
  io::NamedArray a{name, shape, std::vector<float>(static_cast<size_t>(h5::element_count(shape)))};
  for (size_t i = 0; i < a.values.size(); ++i) a.values[i] = start + 0.25f * static_cast<float>(i);
  return a;
}

io::Checkpoint sample_checkpoint() {
  io::Checkpoint c;
  c.model_spec = "hourglass:stacks=2,channels=64";
  c.skeleton = Skeleton::load("coco17");
  c.input_size = {192, 256};
  c.heatmap_size = {48, 64};
  c.head_type = "heatmap";
  c.decoding = "dark";
  c.param_count = 6731;
  c.gflops = 1.25;
  c.params = {array("stem.conv1.weight", {8, 3, 3, 3}, -1), array("stem.bn1.weight", {8}, 1),
              array("head.final.bias", {17}, 0)};
  c.buffers = {array("stem.bn1.running_mean", {8}, 0), array("stem.bn1.num_batches_tracked", {}, 12)};
  c.extra = {array("dsr/relative_location", {17, 17, 2}, 3)};
  io::TrainState t;
  t.epoch = 7;
  t.step = 7000;
  t.best_metric = 0.625;
  t.best_metric_name = "AP";
  t.rng_state = {1, 2, 3, 250, 0, 9};
  t.optimizer = {array("state/0/exp_avg", {8, 3, 3, 3}, 0), array("param_groups/0/lr", {}, 0.001f)};
  c.train = t;
  return c;
}

Provenance test_provenance() {
  Provenance p{"pose-train", "0.1.0-test", "pose-train --epochs 7 -o 'a b.ckpt.h5'", "epochs = 7\n", "2026-11-22T10:00:00Z", {}};
  p.inputs = {{"train.json", "size=10 mtime=1 fnv1a64=00000000000000ff"}};
  return p;
}

void check_arrays(const std::vector<io::NamedArray>& a, const std::vector<io::NamedArray>& b) {
  REQUIRE(a.size() == b.size());
  for (const auto& x : a) {
    const io::NamedArray* y = io::find_array(b, x.name);
    REQUIRE_MESSAGE(y, x.name);
    CHECK(x.shape == y->shape);
    CHECK(x.values == y->values);
  }
}

}  // namespace

TEST_CASE("checkpoint: writer -> reader round trip") {
  test::ScratchDir dir("io_ckpt");
  const std::string path = dir.file("model.ckpt.h5");
  const io::Checkpoint c = sample_checkpoint();
  io::write_checkpoint(c, path, test_provenance());
  CHECK_FALSE(fs::exists(path + ".partial"));

  const io::Checkpoint r = io::read_checkpoint(path);
  CHECK(r.model_spec == c.model_spec);
  CHECK(r.skeleton == c.skeleton);
  CHECK(r.input_size == c.input_size);
  CHECK(r.heatmap_size == c.heatmap_size);
  CHECK(r.head_type == "heatmap");
  CHECK(r.decoding == "dark");
  CHECK(r.param_count == 6731);
  CHECK(r.gflops == 1.25);
  check_arrays(r.params, c.params);
  check_arrays(r.buffers, c.buffers);
  check_arrays(r.extra, c.extra);
  REQUIRE(r.train);
  CHECK(r.train->epoch == 7);
  CHECK(r.train->step == 7000);
  CHECK(r.train->best_metric == 0.625);
  CHECK(r.train->best_metric_name == "AP");
  CHECK(r.train->rng_state == c.train->rng_state);
  check_arrays(r.train->optimizer, c.train->optimizer);
  CHECK(r.provenance.tool == "pose-train");
  CHECK(r.provenance.argv == "pose-train --epochs 7 -o 'a b.ckpt.h5'");
  CHECK(r.provenance.config == "epochs = 7\n");
  CHECK(r.provenance.utc_time == "2026-11-22T10:00:00Z");
  CHECK(r.provenance.inputs == test_provenance().inputs);

  const io::Checkpoint shapes_only = io::read_checkpoint(path, false);
  CHECK(shapes_only.params.size() == 3);
  CHECK(shapes_only.params[0].values.empty());

  io::Checkpoint minimal = c;
  minimal.train.reset();
  minimal.param_count.reset();
  minimal.gflops.reset();
  minimal.extra.clear();
  io::write_checkpoint(minimal, dir.file("min.ckpt.h5"));
  const io::Checkpoint m = io::read_checkpoint(dir.file("min.ckpt.h5"));
  CHECK_FALSE(m.train);
  CHECK_FALSE(m.param_count);
  CHECK_FALSE(m.gflops);
  CHECK(m.provenance.tool == Provenance::current().tool);
}

TEST_CASE("checkpoint: the writer refuses arrays whose values do not fit their shape") {
  test::ScratchDir dir("io_ckpt");
  io::Checkpoint c = sample_checkpoint();
  c.params[1].values.pop_back();
  const std::string path = dir.file("bad.ckpt.h5");
  CHECK(error_of([&] { io::write_checkpoint(c, path); }) ==
        path + ":/params/stem.bn1.weight: expected 8 values for shape [8], found 7");
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".partial"));
}

TEST_CASE("checkpoint: the reader refuses what is not a checkpoint of this version") {
  test::ScratchDir dir("io_ckpt");
  const std::string good = dir.file("good.ckpt.h5");
  io::write_checkpoint(sample_checkpoint(), good, test_provenance());

  const std::string text = dir.file("notes.ckpt.h5");
  std::ofstream(text) << "{\"not\": \"hdf5\"}\n";
  CHECK(error_of([&] { io::read_checkpoint(text); }) == text + ": expected an HDF5 file, found no HDF5 signature");

  const std::string cut = dir.file("cut.ckpt.h5");
  fs::copy_file(good, cut);
  fs::resize_file(cut, fs::file_size(good) * 2 / 3);
  CHECK(error_of([&] { io::read_checkpoint(cut); }).rfind(cut + ": truncated or damaged HDF5 file", 0) == 0);

  const std::string foreign = dir.file("foreign.h5");
  {
    h5::File f = h5::File::create(foreign);
    f.create_dataset("weights", h5::DType::float32, {3}).write(std::vector<float>{1, 2, 3});
  }
  CHECK(error_of([&] { io::read_checkpoint(foreign); }) ==
        foreign + ":/: expected a posekd-checkpoint file, found an HDF5 file without a 'format' attribute");

  const std::string other = dir.file("other.h5");
  {
    h5::File f = h5::File::create(other);
    f.write_attr("format", "posekd-heatmaps");
    f.write_attr_int("format_version", 1);
  }
  CHECK(error_of([&] { io::read_checkpoint(other); }) == other + ":/@format: expected posekd-checkpoint, found posekd-heatmaps");

  const auto edited = [&](const std::string& name, const std::function<void(h5::File&)>& edit) {
    const std::string path = dir.file(name);
    fs::copy_file(good, path);
    h5::File f = h5::File::open(path, true);
    edit(f);
    return path;
  };
  const std::string newer = edited("newer.ckpt.h5", [](h5::File& f) { f.write_attr_int("format_version", 2); });
  CHECK(error_of([&] { io::read_checkpoint(newer); }) ==
        newer + ":/@format_version: expected 1 or older, found 2 (written by a newer posekd)");

  const std::string int_param = edited("int.ckpt.h5", [](h5::File& f) {
    f.open_group("params").remove("head.final.bias");
    f.create_dataset("params/head.final.bias", h5::DType::int64, {17}).write(std::vector<int64_t>(17, 0));
  });
  CHECK(error_of([&] { io::read_checkpoint(int_param); }) ==
        int_param + ":/params/head.final.bias: expected float32 or float16 or float64, found int64");

  const std::string no_params = edited("noparams.ckpt.h5", [](h5::File& f) { f.remove("params"); });
  CHECK(error_of([&] { io::read_checkpoint(no_params); }) == no_params + ":/params: expected a group, found nothing");

  const std::string bad_sigmas = edited("sigmas.ckpt.h5", [](h5::File& f) {
    f.open_group("skeleton").remove("sigmas");
    f.create_dataset("skeleton/sigmas", h5::DType::float64, {16}).write(std::vector<double>(16, 0.1));
  });
  CHECK(error_of([&] { io::read_checkpoint(bad_sigmas); }) == bad_sigmas + ":/skeleton/sigmas: expected [17], found [16]");

  const std::string bad_size = edited("size.ckpt.h5", [](h5::File& f) { f.write_attr_ints("input_size", {192}); });
  CHECK(error_of([&] { io::read_checkpoint(bad_size); }) == bad_size + ":/@input_size: expected [width, height], found 1 values");

  const std::string no_spec = edited("spec.ckpt.h5", [](h5::File& f) { H5Adelete(f.id(), "model_spec"); });
  CHECK(error_of([&] { io::read_checkpoint(no_spec); }) == no_spec + ":/: expected attribute 'model_spec', found none");
}
