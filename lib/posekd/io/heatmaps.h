#pragma once
// Teacher heatmap files (`*.hm.h5`, format "posekd-heatmaps", DESIGN 3.4; man 5
// posekd-heatmaps): a streaming writer that resumes an interrupted dump, a random-access
// reader that holds only the sample ids in memory, and the merge of shards through virtual
// datasets.
//
//   /sample_id [N] int64   /image_id [N] int64   /crop [N,2,3] float32 (the dump's affine)
//   /heatmaps  [N,K,h,w] float16 or float32, one chunk per sample
//   /coords    [N,K,3] float32 (x, y, score in image pixels)
//   /done      [N] uint8, 1 once a sample is written (the chunk of completion is a sample)
//   optional   /features/<name>, /tokens/keypoint, /tokens/visual, /simcc/x, /simcc/y [N,...]
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "posekd/core/provenance.h"
#include "posekd/core/skeleton.h"
#include "posekd/io/h5.h"

namespace posekd::io {

// An optional per-sample array: "features/<name>", "tokens/keypoint", "tokens/visual",
// "simcc/x" or "simcc/y".
struct ExtraArray {
  std::string path;
  h5::Shape sample_shape;  // the shape of one sample's part ([K, 2*w] for simcc/x)
  h5::DType dtype = h5::DType::float32;  // float32 or float16
};

struct HeatmapsLayout {
  int64_t samples = 0;  // N
  int64_t joints = 0;   // K
  int64_t height = 0;   // h
  int64_t width = 0;    // w
  h5::DType dtype = h5::DType::float16;
  int deflate = 0;  // gzip level, 0 for none
  Skeleton skeleton;
  std::string model_spec;
  std::array<int64_t, 2> input_size{0, 0};  // width, height of the dump's crops
  std::vector<ExtraArray> extras;
  // More root string attributes (decoding, flip test, padding ...), written and read back.
  std::map<std::string, std::string> attributes;

  int64_t map_values() const { return joints * height * width; }
};

// One sample's data; heatmaps hold K*h*w values, coords K*3, crop the 2x3 affine row-major.
struct HeatmapSample {
  int64_t sample_id = 0;
  int64_t image_id = 0;
  std::array<float, 6> crop{};
  std::vector<float> heatmaps;
  std::vector<float> coords;
  std::map<std::string, std::vector<float>> extras;  // by ExtraArray::path
};

// `count` consecutive samples in contiguous arrays (a batch from the model).
struct HeatmapBlock {
  int64_t count = 0;
  const int64_t* sample_ids = nullptr;
  const int64_t* image_ids = nullptr;
  const float* crops = nullptr;     // [count,2,3]
  const float* heatmaps = nullptr;  // [count,K,h,w]
  const float* coords = nullptr;    // [count,K,3]
  std::map<std::string, const float*> extras;  // [count, sample_shape...] by path
};

class HeatmapsWriter {
 public:
  // With `resumable`, an existing PATH.partial of the same layout is continued (its /done
  // tells what is left) and kept when the writer is destroyed without commit.
  HeatmapsWriter(const std::string& path, HeatmapsLayout layout, bool resumable = false,
                 const Provenance& provenance = Provenance::current());
  ~HeatmapsWriter();

  const HeatmapsLayout& layout() const { return layout_; }
  bool resumed() const { return out_.resumed(); }
  bool is_done(int64_t index) const { return done_.at(static_cast<size_t>(index)) != 0; }
  int64_t done_count() const;

  void write(int64_t index, const HeatmapSample& sample);
  void write_block(int64_t first, const HeatmapBlock& block);
  // Records samples [first, first + count) as complete and flushes, so that a killed dump
  // resumes after them.
  void mark_done(int64_t first, int64_t count = 1);
  // Refuses while samples are not done; then renames PATH.partial to PATH.
  void commit();

 private:
  void open_datasets();
  HeatmapsLayout layout_;
  h5::OutputFile out_;
  std::vector<uint8_t> done_;
  h5::Dataset sample_id_, image_id_, crop_, heatmaps_, coords_, done_set_;
  std::map<std::string, h5::Dataset> extras_;
};

class HeatmapsReader {
 public:
  // "-" reads stdin. Validates format, version, every dataset's shape and dtype, the
  // skeleton and unique sample ids.
  explicit HeatmapsReader(const std::string& path);
  explicit HeatmapsReader(h5::File file);

  const std::string& path() const { return file_.file_label(); }
  const HeatmapsLayout& layout() const { return layout_; }
  int64_t size() const { return layout_.samples; }
  const Provenance& provenance() const { return provenance_; }
  const std::vector<int64_t>& sample_ids() const { return sample_ids_; }
  int64_t index_of(int64_t sample_id) const;  // -1 when absent
  int64_t done_count() const;
  bool complete() const { return done_count() == size(); }

  // One sample's K*h*w map as float32, read without touching the other samples. Rows not
  // yet done (an unfinished dump) are refused.
  void read_heatmaps(int64_t index, float* out) const;
  std::vector<float> heatmaps(int64_t index) const;
  HeatmapSample sample(int64_t index) const;
  // Throws naming the file and the id when absent.
  HeatmapSample sample_by_id(int64_t sample_id) const;
  std::vector<float> extra(const std::string& path, int64_t index) const;
  const h5::File& file() const { return file_; }

 private:
  void check_index(int64_t index) const;
  h5::File file_;
  HeatmapsLayout layout_;
  Provenance provenance_;
  std::vector<int64_t> sample_ids_;
  std::unordered_map<int64_t, int64_t> index_by_id_;
  h5::Dataset image_id_, crop_, heatmaps_, coords_;
  std::vector<uint8_t> done_;
  std::map<std::string, h5::Dataset> extras_;
};

// Writes `output`, one logical file over complete shards of the same dump (same K, h, w,
// dtype, skeleton, model spec and extras) whose datasets are virtual views of the shards'
// rows in the given order; the shards must stay where they are (paths are stored relative
// to the output's folder). Refuses different dumps and sample ids present twice.
void merge_heatmap_shards(const std::vector<std::string>& shards, const std::string& output,
                          const Provenance& provenance = Provenance::current());

}  // namespace posekd::io
