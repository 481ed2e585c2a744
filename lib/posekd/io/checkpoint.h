#pragma once
// Checkpoint files (`*.ckpt.h5`, format "posekd-checkpoint", DESIGN 3.4; man 5
// posekd-checkpoint). Plain C++: a model's state is a list of named float32 arrays; turning
// a LibTorch module into such arrays is the torch side's job.
//
//   /              format, format_version, provenance, model_spec, skeleton, input_size,
//                  heatmap_size, head_type, decoding, [params], [gflops], [refiner_spec]
//   /skeleton      names, flip_pairs, edges, sigmas
//   /params/<name>, /buffers/<name>, /extra/<name>     float32 arrays
//   /train         @epoch @step @best_metric @best_metric_name, rng_state [n] uint8,
//                  optimizer/<name> float32 arrays
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "posekd/core/provenance.h"
#include "posekd/core/skeleton.h"
#include "posekd/io/h5.h"

namespace posekd::io {

struct NamedArray {
  std::string name;  // "backbone.layer1.0.conv1.weight"; '/' makes subgroups
  h5::Shape shape;   // empty: a scalar
  std::vector<float> values;
};

struct TrainState {
  int64_t epoch = 0;
  int64_t step = 0;
  // Samples of the current epoch already trained, over all ranks of a data-parallel job, so a
  // run resumes mid-epoch with another world size or batch size. -1: not recorded (older files).
  int64_t epoch_samples = -1;
  double best_metric = 0;
  std::string best_metric_name;  // "AP"; empty when no evaluation ran yet
  std::vector<uint8_t> rng_state;
  std::vector<NamedArray> optimizer;
};

struct Checkpoint {
  std::string model_spec;  // "hourglass:stacks=4,channels=128"
  Skeleton skeleton;
  std::array<int64_t, 2> input_size{0, 0};    // width, height, as mmpose's input_size
  std::array<int64_t, 2> heatmap_size{0, 0};  // width, height
  std::string head_type;                      // "heatmap", "simcc", "regression"
  std::string decoding;                       // the codec's default decoding spec
  // A refiner trained on top of the model (pose-refine-gcn), "igp:hidden=128,features=auto";
  // its arrays are /params/refiner.* and /buffers/refiner.*. Empty: none.
  std::string refiner_spec;
  std::optional<int64_t> param_count;
  std::optional<double> gflops;
  std::vector<NamedArray> params;
  std::vector<NamedArray> buffers;
  std::vector<NamedArray> extra;
  std::optional<TrainState> train;
  Provenance provenance;  // filled by read_checkpoint; write_checkpoint takes its own
};

// Temp-file-then-rename; "-" writes the file image to stdout.
void write_checkpoint(const Checkpoint& checkpoint, const std::string& path,
                      const Provenance& provenance = Provenance::current());

// Validates format, version, attributes, skeleton and that every array's values match its
// shape. Without `values`, arrays come back with shapes only (pose-info).
Checkpoint read_checkpoint(const std::string& path, bool values = true);
Checkpoint read_checkpoint(const h5::File& file, bool values = true);

// nullptr when absent.
const NamedArray* find_array(const std::vector<NamedArray>& arrays, const std::string& name);

}  // namespace posekd::io
