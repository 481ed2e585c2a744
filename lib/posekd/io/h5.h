#pragma once
// A thin RAII layer over the HDF5 C API (DESIGN 3.4): the C++ API lacks virtual datasets and
// file images. Every error is a posekd::Error naming the file, the path inside it, what was
// expected and what was found; HDF5's own error stack is never printed (its innermost message
// is appended to ours where it says more).
//
// float16 datasets are stored as IEEE binary16 (h5py reads them as numpy.float16), and the
// float32 <-> float16 conversion is always done by posekd (io/float16.h), never by HDF5.
#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "posekd/io/float16.h"

namespace posekd::h5 {

enum class DType { int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64, string, other };

// numpy's names ("float16", "int64"); "string" for strings, "other" for compound etc.
const char* dtype_name(DType type);

using Shape = std::vector<int64_t>;
// "[2,17,64,48]"; a negative extent is printed as "N" (a wildcard in expectations).
std::string shape_text(const Shape& shape);
int64_t element_count(const Shape& shape);

template <typename T>
constexpr DType dtype_of();

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Id {
 public:
  Id() = default;
  Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Id(Id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Id& operator=(Id&& o) noexcept;
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() { reset(); }
  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  void reset();

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

// Turns HDF5's automatic error printing off for the calling thread (the setting is per
// thread in the thread-safe build); every entry point of this layer calls it.
void silence_errors();
// The innermost message of the calling thread's HDF5 error stack ("" when empty); clears it.
std::string take_error_message();

// Something inside a file that carries attributes: a group (the root too) or a dataset.
class Node {
 public:
  const std::string& file_label() const { return file_; }
  const std::string& path() const { return path_; }
  hid_t id() const { return id_.get(); }
  // Throws posekd::Error "file:path: message".
  [[noreturn]] void fail(const std::string& message) const;
  // The same with HDF5's innermost message appended.
  [[noreturn]] void fail_hdf5(const std::string& message) const;

  bool has_attr(const std::string& name) const;
  std::vector<std::string> attr_names() const;
  DType attr_dtype(const std::string& name) const;
  Shape attr_shape(const std::string& name) const;

  // Strings are written variable-length UTF-8, as h5py writes them.
  void write_attr(const std::string& name, const std::string& value);
  void write_attr(const std::string& name, const char* value) { write_attr(name, std::string(value)); }
  void write_attr(const std::string& name, const std::vector<std::string>& values);
  void write_attr_int(const std::string& name, int64_t value);
  void write_attr_ints(const std::string& name, const std::vector<int64_t>& values);
  void write_attr_double(const std::string& name, double value);
  void write_attr_doubles(const std::string& name, const std::vector<double>& values);

  // Readers accept fixed- and variable-length strings; numbers convert between integer and
  // float classes, never from strings. Missing attributes and wrong classes are errors
  // naming the attribute.
  std::string attr_string(const std::string& name) const;
  std::vector<std::string> attr_strings(const std::string& name) const;
  int64_t attr_int(const std::string& name) const;
  std::vector<int64_t> attr_ints(const std::string& name) const;
  double attr_double(const std::string& name) const;
  std::vector<double> attr_doubles(const std::string& name) const;

 protected:
  Node() = default;
  Node(Id id, std::string file, std::string path) : id_(std::move(id)), file_(std::move(file)), path_(std::move(path)) {}
  std::string attr_place(const std::string& name) const;
  std::string child_path(const std::string& name) const;

  Id id_;
  std::string file_;
  std::string path_;
};

struct DatasetOptions {
  Shape chunk;      // empty: contiguous storage
  int deflate = 0;  // 0: none, 1..9: gzip level (needs chunks)
  // Allocate all storage when the dataset is created and never write fill values: later
  // writes of raw data then change no metadata, so a killed writer leaves a file that a
  // resumed one can still open.
  bool allocate_early = false;
};

// One source of a virtual dataset that concatenates sources along the first dimension.
struct VirtualSource {
  std::string file;     // as HDF5 should resolve it: relative to the virtual file's folder
  std::string dataset;  // path inside that file
  int64_t rows = 0;
};

class Dataset : public Node {
 public:
  Dataset() = default;
  Shape shape() const;
  DType dtype() const;
  std::string dtype_text() const;  // dtype_name, or HDF5's class for "other"
  Shape chunk() const;             // empty when not chunked
  int deflate_level() const;       // 0 when not compressed
  bool is_virtual() const;
  // The mappings of a virtual dataset, file names as stored (rows: the extent of the
  // source's first dimension).
  std::vector<VirtualSource> virtual_sources() const;

  // Whole dataset; `data` holds element_count(shape()) values (float16 data as Half or float).
  template <typename T>
  void write(const T* data) {
    transfer(true, dtype_of<T>(), 0, -1, const_cast<T*>(data));
  }
  template <typename T>
  void write(const std::vector<T>& data) {
    check_size(data.size(), -1);
    write(data.data());
  }
  template <typename T>
  void read(T* data) const {
    const_cast<Dataset*>(this)->transfer(false, dtype_of<T>(), 0, -1, data);
  }
  template <typename T>
  std::vector<T> read_all() const {
    std::vector<T> out(static_cast<size_t>(element_count(shape())));
    read(out.data());
    return out;
  }
  // Rows [first, first + count) along the first dimension.
  template <typename T>
  void write_rows(int64_t first, int64_t count, const T* data) {
    transfer(true, dtype_of<T>(), first, count, const_cast<T*>(data));
  }
  template <typename T>
  void read_rows(int64_t first, int64_t count, T* data) const {
    const_cast<Dataset*>(this)->transfer(false, dtype_of<T>(), first, count, data);
  }

  void write_strings(const std::vector<std::string>& values);
  std::vector<std::string> read_strings() const;

  // Validation with the message format of DESIGN 3.4: "file:/heatmaps: expected
  // [N,17,64,48], found [N,16,64,48]"; a negative expected extent matches any extent.
  void expect_shape(const Shape& expected) const;
  void expect_rank(int rank) const;
  void expect_dtype(std::initializer_list<DType> allowed) const;

 private:
  friend class Group;
  Dataset(Id id, std::string file, std::string path) : Node(std::move(id), std::move(file), std::move(path)) {}
  void transfer(bool write, DType memory, int64_t first, int64_t count, void* data);
  void check_size(size_t values, int64_t rows) const;
};

class Group : public Node {
 public:
  Group() = default;
  bool exists(const std::string& name) const;  // also for nested "a/b/c"
  bool is_group(const std::string& name) const;
  bool is_dataset(const std::string& name) const;
  std::vector<std::string> children() const;  // in name order

  Group create_group(const std::string& name);
  Group require_group(const std::string& name);  // open or create
  Group open_group(const std::string& name) const;

  // Intermediate groups in `name` are created.
  Dataset create_dataset(const std::string& name, DType type, const Shape& shape, const DatasetOptions& options = {});
  Dataset open_dataset(const std::string& name) const;
  Dataset create_virtual_dataset(const std::string& name, DType type, const Shape& shape,
                                 const std::vector<VirtualSource>& sources);
  void remove(const std::string& name);

  template <typename T>
  void write_dataset(const std::string& name, const std::vector<T>& values, const Shape& shape) {
    create_dataset(name, dtype_of<T>(), shape).write(values);
  }
  void write_string_dataset(const std::string& name, const std::vector<std::string>& values);

  // Every dataset below this group, depth first in name order, with its path relative to
  // this group ("layer1.0.conv1.weight", "optimizer/state/0/exp_avg").
  void visit_datasets(const std::function<void(const std::string& relative, const Dataset&)>& visit) const;

 protected:
  friend class File;
  Group(Id id, std::string file, std::string path) : Node(std::move(id), std::move(file), std::move(path)) {}
};

// An open HDF5 file, on disk or in memory. The object is the root group.
class File : public Group {
 public:
  File() = default;
  File(File&&) = default;
  File& operator=(File&&) = default;
  ~File();

  // "-" reads the whole of stdin and opens it as a file image. Errors say whether the file
  // is missing, not HDF5 at all, or truncated/damaged.
  // `label` names the file in errors (the target of an OutputFile rather than its .partial).
  static File open(const std::string& path, bool writable = false, const std::string& label = "");
  static File open_image(std::vector<unsigned char> bytes, const std::string& label);
  static File create(const std::string& path, const std::string& label = "");  // truncates
  static File create_in_memory(const std::string& label);

  std::vector<unsigned char> image();  // the file's bytes (flushes first)
  void flush();
  void close();  // errors when HDF5 cannot finish writing
  bool in_memory() const { return in_memory_; }

 private:
  File(Id id, std::string label, bool in_memory) : Group(std::move(id), std::move(label), "/"), in_memory_(in_memory) {}
  bool in_memory_ = false;
};

// The first bytes of an HDF5 file, at offset 0, 512, 1024, 2048, ... (the user block).
bool has_hdf5_signature(const unsigned char* data, size_t size);
std::vector<unsigned char> read_all_stdin();

// Writes a file to a temporary name beside the target (`NAME.partial`) and renames it on
// commit, so a crash never leaves a file that looks complete (DESIGN 3.4). "-" builds the
// file in memory and writes its image to stdout on commit.
struct OutputOptions {
  // Keep NAME.partial when destroyed without commit, and reopen it when it exists.
  bool resumable = false;
};

class OutputFile {
 public:
  explicit OutputFile(std::string target, OutputOptions options = {});
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();

  File& file() { return file_; }
  const std::string& target() const { return target_; }
  const std::string& temp_path() const { return temp_; }
  bool to_stdout() const { return target_ == "-"; }
  bool resumed() const { return resumed_; }  // an existing NAME.partial was reopened
  void commit();

 private:
  std::string target_;
  std::string temp_;
  OutputOptions options_;
  File file_;
  bool resumed_ = false;
  bool committed_ = false;
};

std::string partial_path(const std::string& target);

// ---- type mapping

template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, int8_t>) return DType::int8;
  else if constexpr (std::is_same_v<T, int16_t>) return DType::int16;
  else if constexpr (std::is_same_v<T, int32_t>) return DType::int32;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::int64;
  else if constexpr (std::is_same_v<T, uint8_t>) return DType::uint8;
  else if constexpr (std::is_same_v<T, uint16_t>) return DType::uint16;
  else if constexpr (std::is_same_v<T, uint32_t>) return DType::uint32;
  else if constexpr (std::is_same_v<T, uint64_t>) return DType::uint64;
  else if constexpr (std::is_same_v<T, Half>) return DType::float16;
  else if constexpr (std::is_same_v<T, float>) return DType::float32;
  else if constexpr (std::is_same_v<T, double>) return DType::float64;
  else static_assert(sizeof(T) == 0, "no HDF5 type for this C++ type");
}

}  // namespace posekd::h5
