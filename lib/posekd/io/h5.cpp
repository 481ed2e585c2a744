#include "posekd/io/h5.h"

#include <H5FDcore.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "posekd/core/error.h"

namespace posekd::h5 {
namespace {

// HDF5's IEEE binary16, built as h5py builds it, so h5py reads numpy.float16.
hid_t half_type() {
  static const hid_t type = [] {
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(t, 15, 10, 5, 0, 10);
    H5Tset_size(t, 2);
    H5Tset_ebias(t, 15);
    H5Tlock(t);
    return t;
  }();
  return type;
}

Id make_vlen_string_type() {
  Id t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

// The in-memory type for a DType (the file type too, except strings).
hid_t memory_type(DType type) {
  switch (type) {
    case DType::int8: return H5T_NATIVE_INT8;
    case DType::int16: return H5T_NATIVE_INT16;
    case DType::int32: return H5T_NATIVE_INT32;
    case DType::int64: return H5T_NATIVE_INT64;
    case DType::uint8: return H5T_NATIVE_UINT8;
    case DType::uint16: return H5T_NATIVE_UINT16;
    case DType::uint32: return H5T_NATIVE_UINT32;
    case DType::uint64: return H5T_NATIVE_UINT64;
    case DType::float16: return half_type();
    case DType::float32: return H5T_NATIVE_FLOAT;
    case DType::float64: return H5T_NATIVE_DOUBLE;
    default: return -1;
  }
}

hid_t file_type(DType type) {
  switch (type) {
    case DType::int8: return H5T_STD_I8LE;
    case DType::int16: return H5T_STD_I16LE;
    case DType::int32: return H5T_STD_I32LE;
    case DType::int64: return H5T_STD_I64LE;
    case DType::uint8: return H5T_STD_U8LE;
    case DType::uint16: return H5T_STD_U16LE;
    case DType::uint32: return H5T_STD_U32LE;
    case DType::uint64: return H5T_STD_U64LE;
    case DType::float16: return half_type();
    case DType::float32: return H5T_IEEE_F32LE;
    case DType::float64: return H5T_IEEE_F64LE;
    default: return -1;
  }
}

DType classify(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      switch (H5Tget_size(type)) {
        case 1: return is_signed ? DType::int8 : DType::uint8;
        case 2: return is_signed ? DType::int16 : DType::uint16;
        case 4: return is_signed ? DType::int32 : DType::uint32;
        case 8: return is_signed ? DType::int64 : DType::uint64;
        default: return DType::other;
      }
    }
    case H5T_FLOAT: {
      size_t spos, epos, esize, mpos, msize;
      H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize);
      switch (H5Tget_size(type)) {
        case 2: return esize == 5 && msize == 10 && H5Tget_ebias(type) == 15 ? DType::float16 : DType::other;
        case 4: return esize == 8 && msize == 23 ? DType::float32 : DType::other;
        case 8: return esize == 11 && msize == 52 ? DType::float64 : DType::other;
        default: return DType::other;
      }
    }
    case H5T_STRING: return DType::string;
    default: return DType::other;
  }
}

const char* class_name(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_VLEN: return "vlen";
    case H5T_ARRAY: return "array";
    case H5T_OPAQUE: return "opaque";
    case H5T_REFERENCE: return "reference";
    case H5T_BITFIELD: return "bitfield";
    default: return "unknown";
  }
}

Shape space_shape(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

Id simple_space(const Shape& shape) {
  if (shape.empty()) return Id(H5Screate(H5S_SCALAR), H5Sclose);
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  return Id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
}

// Strings read from a dataset or an attribute of any string type (fixed or variable).
template <typename Read>
std::vector<std::string> read_string_values(hid_t stored_type, size_t count, Read&& read, const std::function<void()>& fail) {
  std::vector<std::string> out;
  if (count == 0) return out;
  out.reserve(count);
  if (H5Tis_variable_str(stored_type) > 0) {
    Id mem = make_vlen_string_type();
    std::vector<char*> ptrs(count, nullptr);
    if (read(mem.get(), ptrs.data()) < 0) fail();
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    Id space = simple_space({static_cast<int64_t>(count)});
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
    return out;
  }
  const size_t width = H5Tget_size(stored_type);
  Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), width);
  H5Tset_strpad(mem.get(), H5Tget_strpad(stored_type));
  std::vector<char> buf(width * count + 1, '\0');
  if (read(mem.get(), buf.data()) < 0) fail();
  const bool space_padded = H5Tget_strpad(stored_type) == H5T_STR_SPACEPAD;
  for (size_t i = 0; i < count; ++i) {
    std::string s(buf.data() + i * width, width);
    if (auto nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
    if (space_padded) s.erase(s.find_last_not_of(' ') + 1);
    out.push_back(std::move(s));
  }
  return out;
}

std::atomic<unsigned> image_counter{0};

// Virtual dataset source names are printf-like patterns in HDF5 ("%b" is a block number):
// a literal '%' is written "%%".
std::string escape_percent(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

std::string unescape_percent(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    out += name[i];
    if (name[i] == '%' && i + 1 < name.size() && name[i + 1] == '%') ++i;
  }
  return out;
}

}  // namespace

const char* dtype_name(DType type) {
  switch (type) {
    case DType::int8: return "int8";
    case DType::int16: return "int16";
    case DType::int32: return "int32";
    case DType::int64: return "int64";
    case DType::uint8: return "uint8";
    case DType::uint16: return "uint16";
    case DType::uint32: return "uint32";
    case DType::uint64: return "uint64";
    case DType::float16: return "float16";
    case DType::float32: return "float32";
    case DType::float64: return "float64";
    case DType::string: return "string";
    default: return "other";
  }
}

std::string shape_text(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? "," : "") + (shape[i] < 0 ? std::string("N") : std::to_string(shape[i]));
  return out + "]";
}

int64_t element_count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Id& Id::operator=(Id&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    close_ = o.close_;
    o.id_ = -1;
  }
  return *this;
}

void Id::reset() {
  if (id_ >= 0 && close_) {
    silence_errors();
    close_(id_);
  }
  id_ = -1;
}

void silence_errors() {
  thread_local bool silenced = false;
  if (!silenced) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
  }
}

std::string take_error_message() {
  std::string message;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* data) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(data) = e->desc;
        return 0;
      },
      &message);
  H5Eclear2(H5E_DEFAULT);
  return message;
}

// ---- Node

void Node::fail(const std::string& message) const { posekd::fail(file_, path_, message); }

void Node::fail_hdf5(const std::string& message) const {
  const std::string detail = take_error_message();
  posekd::fail(file_, path_, detail.empty() ? message : message + " (HDF5: " + detail + ")");
}

std::string Node::child_path(const std::string& name) const {
  if (!name.empty() && name[0] == '/') return name;
  return path_ == "/" ? "/" + name : path_ + "/" + name;
}

std::string Node::attr_place(const std::string& name) const { return path_ == "/" ? "/@" + name : path_ + "@" + name; }

bool Node::has_attr(const std::string& name) const {
  silence_errors();
  return H5Aexists(id(), name.c_str()) > 0;
}

std::vector<std::string> Node::attr_names() const {
  silence_errors();
  std::vector<std::string> names;
  H5Aiterate2(
      id(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->push_back(name);
        return 0;
      },
      &names);
  return names;
}

namespace {

Id open_attr(const Node& node, const std::string& name) {
  silence_errors();
  if (H5Aexists(node.id(), name.c_str()) <= 0)
    posekd::fail(node.file_label(), node.path(), fmt::format("expected attribute '{}', found none", name));
  Id attr(H5Aopen(node.id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  if (!attr) node.fail_hdf5(fmt::format("cannot open attribute '{}'", name));
  return attr;
}

void write_attr_raw(Node& node, const std::string& name, hid_t type, const Shape& shape, const void* data) {
  silence_errors();
  if (H5Aexists(node.id(), name.c_str()) > 0) H5Adelete(node.id(), name.c_str());
  Id space = simple_space(shape);
  Id attr(H5Acreate2(node.id(), name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const int64_t empty = 0;  // HDF5 refuses a null buffer even for zero elements
  if (!attr || H5Awrite(attr.get(), type, data ? data : &empty) < 0)
    node.fail_hdf5(fmt::format("cannot write attribute '{}'", name));
}

// Attribute values converted by HDF5 between integer and float classes only.
template <typename T>
std::vector<T> read_numeric_attr(const Node& node, const std::string& name, hid_t mem, const char* wanted) {
  Id attr = open_attr(node, name);
  Id type(H5Aget_type(attr.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT)
    posekd::fail(node.file_label(), node.path(),
                 fmt::format("attribute '{}': expected {}, found {}", name, wanted, class_name(type.get())));
  Id space(H5Aget_space(attr.get()), H5Sclose);
  std::vector<T> out(static_cast<size_t>(H5Sget_simple_extent_npoints(space.get())));
  if (out.empty()) return out;
  if (H5Aread(attr.get(), mem, out.data()) < 0) node.fail_hdf5(fmt::format("cannot read attribute '{}'", name));
  return out;
}

}  // namespace

DType Node::attr_dtype(const std::string& name) const {
  Id attr = open_attr(*this, name);
  Id type(H5Aget_type(attr.get()), H5Tclose);
  return classify(type.get());
}

Shape Node::attr_shape(const std::string& name) const {
  Id attr = open_attr(*this, name);
  Id space(H5Aget_space(attr.get()), H5Sclose);
  return space_shape(space.get());
}

void Node::write_attr(const std::string& name, const std::string& value) {
  Id type = make_vlen_string_type();
  const char* ptr = value.c_str();
  write_attr_raw(*this, name, type.get(), {}, &ptr);
}

void Node::write_attr(const std::string& name, const std::vector<std::string>& values) {
  Id type = make_vlen_string_type();
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  write_attr_raw(*this, name, type.get(), {static_cast<int64_t>(values.size())}, ptrs.data());
}

void Node::write_attr_int(const std::string& name, int64_t value) {
  write_attr_raw(*this, name, H5T_NATIVE_INT64, {}, &value);
}

void Node::write_attr_ints(const std::string& name, const std::vector<int64_t>& values) {
  write_attr_raw(*this, name, H5T_NATIVE_INT64, {static_cast<int64_t>(values.size())}, values.data());
}

void Node::write_attr_double(const std::string& name, double value) {
  write_attr_raw(*this, name, H5T_NATIVE_DOUBLE, {}, &value);
}

void Node::write_attr_doubles(const std::string& name, const std::vector<double>& values) {
  write_attr_raw(*this, name, H5T_NATIVE_DOUBLE, {static_cast<int64_t>(values.size())}, values.data());
}

std::vector<std::string> Node::attr_strings(const std::string& name) const {
  Id attr = open_attr(*this, name);
  Id type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING)
    fail(fmt::format("attribute '{}': expected string, found {}", name, class_name(type.get())));
  Id space(H5Aget_space(attr.get()), H5Sclose);
  const auto count = static_cast<size_t>(H5Sget_simple_extent_npoints(space.get()));
  return read_string_values(
      type.get(), count, [&](hid_t mem, void* buf) { return H5Aread(attr.get(), mem, buf); },
      [&] { fail_hdf5(fmt::format("cannot read attribute '{}'", name)); });
}

std::string Node::attr_string(const std::string& name) const {
  auto values = attr_strings(name);
  if (values.size() != 1) fail(fmt::format("attribute '{}': expected one string, found {}", name, values.size()));
  return values[0];
}

int64_t Node::attr_int(const std::string& name) const {
  auto v = attr_ints(name);
  if (v.size() != 1) fail(fmt::format("attribute '{}': expected one integer, found {} values", name, v.size()));
  return v[0];
}

std::vector<int64_t> Node::attr_ints(const std::string& name) const {
  return read_numeric_attr<int64_t>(*this, name, H5T_NATIVE_INT64, "integer");
}

double Node::attr_double(const std::string& name) const {
  auto v = attr_doubles(name);
  if (v.size() != 1) fail(fmt::format("attribute '{}': expected one number, found {} values", name, v.size()));
  return v[0];
}

std::vector<double> Node::attr_doubles(const std::string& name) const {
  return read_numeric_attr<double>(*this, name, H5T_NATIVE_DOUBLE, "number");
}

// ---- Dataset

Shape Dataset::shape() const {
  silence_errors();
  Id space(H5Dget_space(id()), H5Sclose);
  return space_shape(space.get());
}

DType Dataset::dtype() const {
  silence_errors();
  Id type(H5Dget_type(id()), H5Tclose);
  return classify(type.get());
}

std::string Dataset::dtype_text() const {
  const DType t = dtype();
  if (t != DType::other) return dtype_name(t);
  Id type(H5Dget_type(id()), H5Tclose);
  return class_name(type.get());
}

Shape Dataset::chunk() const {
  silence_errors();
  Id plist(H5Dget_create_plist(id()), H5Pclose);
  if (H5Pget_layout(plist.get()) != H5D_CHUNKED) return {};
  std::vector<hsize_t> dims(32);
  const int rank = H5Pget_chunk(plist.get(), static_cast<int>(dims.size()), dims.data());
  return Shape(dims.begin(), dims.begin() + std::max(rank, 0));
}

int Dataset::deflate_level() const {
  silence_errors();
  Id plist(H5Dget_create_plist(id()), H5Pclose);
  const int n = H5Pget_nfilters(plist.get());
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, values[8];
    size_t nvalues = 8;
    char name[64];
    unsigned config = 0;
    if (H5Pget_filter2(plist.get(), static_cast<unsigned>(i), &flags, &nvalues, values, sizeof name, name, &config) ==
        H5Z_FILTER_DEFLATE)
      return nvalues > 0 ? static_cast<int>(values[0]) : 1;
  }
  return 0;
}

bool Dataset::is_virtual() const {
  silence_errors();
  Id plist(H5Dget_create_plist(id()), H5Pclose);
  return H5Pget_layout(plist.get()) == H5D_VIRTUAL;
}

std::vector<VirtualSource> Dataset::virtual_sources() const {
  silence_errors();
  std::vector<VirtualSource> out;
  Id plist(H5Dget_create_plist(id()), H5Pclose);
  if (H5Pget_layout(plist.get()) != H5D_VIRTUAL) return out;
  size_t count = 0;
  H5Pget_virtual_count(plist.get(), &count);
  for (size_t i = 0; i < count; ++i) {
    VirtualSource src;
    std::string buf(static_cast<size_t>(std::max<ssize_t>(H5Pget_virtual_filename(plist.get(), i, nullptr, 0), 0)) + 1, '\0');
    H5Pget_virtual_filename(plist.get(), i, buf.data(), buf.size());
    src.file = unescape_percent(buf.c_str());
    buf.assign(static_cast<size_t>(std::max<ssize_t>(H5Pget_virtual_dsetname(plist.get(), i, nullptr, 0), 0)) + 1, '\0');
    H5Pget_virtual_dsetname(plist.get(), i, buf.data(), buf.size());
    src.dataset = unescape_percent(buf.c_str());
    Id space(H5Pget_virtual_srcspace(plist.get(), i), H5Sclose);
    const Shape s = space_shape(space.get());
    src.rows = s.empty() ? 0 : s[0];
    out.push_back(std::move(src));
  }
  return out;
}

void Dataset::check_size(size_t values, int64_t rows) const {
  Shape s = shape();
  if (rows >= 0 && !s.empty()) s[0] = rows;
  if (static_cast<int64_t>(values) != element_count(s))
    fail(fmt::format("expected {} values for shape {}, found {}", element_count(s), shape_text(s), values));
}

void Dataset::transfer(bool write, DType memory, int64_t first, int64_t count, void* data) {
  silence_errors();
  const Shape full = shape();
  const DType stored = dtype();
  Id file_space(H5Dget_space(id()), H5Sclose);
  Id mem_space;
  Shape slab = full;
  if (count >= 0) {
    if (full.empty()) fail("expected an array to address rows in, found a scalar");
    if (first < 0 || first + count > full[0])
      fail(fmt::format("rows [{}, {}) out of range: the dataset has {} rows", first, first + count, full[0]));
    slab[0] = count;
    std::vector<hsize_t> start(full.size(), 0), extent(slab.begin(), slab.end());
    start[0] = static_cast<hsize_t>(first);
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr);
    mem_space = simple_space(slab);
  } else {
    mem_space = simple_space(full);
  }
  const auto n = static_cast<size_t>(element_count(slab));
  if (n == 0) return;  // HDF5 refuses the null buffer of an empty vector
  if (stored == DType::string || stored == DType::other)
    fail(fmt::format("expected a numeric dataset, found {}", dtype_text()));

  // float16 never goes through HDF5's conversion: convert here, then move raw halves.
  const bool f16_file = stored == DType::float16;
  const bool f16_memory = memory == DType::float16;
  if (f16_file != f16_memory) {
    if (!(f16_file ? memory == DType::float32 : stored == DType::float32))
      fail(fmt::format("cannot convert between {} in the file and {} in memory (float16 pairs only with float32)",
                       dtype_name(stored), dtype_name(memory)));
    if (f16_file) {  // memory holds floats
      std::vector<Half> halves(n);
      if (write) floats_to_halves(static_cast<const float*>(data), halves.data(), n);
      herr_t rc = write ? H5Dwrite(id(), half_type(), mem_space.get(), file_space.get(), H5P_DEFAULT, halves.data())
                        : H5Dread(id(), half_type(), mem_space.get(), file_space.get(), H5P_DEFAULT, halves.data());
      if (rc < 0) fail_hdf5(write ? "cannot write" : "cannot read");
      if (!write) halves_to_floats(halves.data(), static_cast<float*>(data), n);
    } else {  // memory holds halves, the file floats
      std::vector<float> floats(n);
      if (write) halves_to_floats(static_cast<const Half*>(data), floats.data(), n);
      herr_t rc = write ? H5Dwrite(id(), H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), H5P_DEFAULT, floats.data())
                        : H5Dread(id(), H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), H5P_DEFAULT, floats.data());
      if (rc < 0) fail_hdf5(write ? "cannot write" : "cannot read");
      if (!write) floats_to_halves(floats.data(), static_cast<Half*>(data), n);
    }
    return;
  }
  const hid_t mem_type = memory_type(memory);
  herr_t rc = write ? H5Dwrite(id(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data)
                    : H5Dread(id(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data);
  if (rc < 0) fail_hdf5(write ? "cannot write" : "cannot read");
}

void Dataset::write_strings(const std::vector<std::string>& values) {
  silence_errors();
  check_size(values.size(), -1);
  if (values.empty()) return;
  Id type = make_vlen_string_type();
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if (H5Dwrite(id(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) fail_hdf5("cannot write strings");
}

std::vector<std::string> Dataset::read_strings() const {
  silence_errors();
  Id type(H5Dget_type(id()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) fail(fmt::format("expected strings, found {}", dtype_text()));
  const auto count = static_cast<size_t>(element_count(shape()));
  return read_string_values(
      type.get(), count, [&](hid_t mem, void* buf) { return H5Dread(id(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); },
      [&] { fail_hdf5("cannot read strings"); });
}

void Dataset::expect_shape(const Shape& expected) const {
  const Shape found = shape();
  bool ok = found.size() == expected.size();
  for (size_t i = 0; ok && i < found.size(); ++i) ok = expected[i] < 0 || expected[i] == found[i];
  if (ok) return;
  // Show the found shape with the same wildcards, as in "expected [N,17,64,48], found [N,16,64,48]".
  Shape shown = found;
  if (shown.size() == expected.size())
    for (size_t i = 0; i < shown.size(); ++i)
      if (expected[i] < 0) shown[i] = -1;
  fail(fmt::format("expected {}, found {}", shape_text(expected), shape_text(shown)));
}

void Dataset::expect_rank(int rank) const {
  const Shape found = shape();
  if (static_cast<int>(found.size()) != rank)
    fail(fmt::format("expected {} dimensions, found {} ({})", rank, found.size(), shape_text(found)));
}

void Dataset::expect_dtype(std::initializer_list<DType> allowed) const {
  const DType found = dtype();
  std::string names;
  for (DType t : allowed) {
    if (t == found) return;
    names += (names.empty() ? "" : " or ") + std::string(dtype_name(t));
  }
  fail(fmt::format("expected {}, found {}", names, dtype_text()));
}

// ---- Group

bool Group::exists(const std::string& name) const {
  silence_errors();
  // H5Lexists needs every intermediate link to exist, so walk the path.
  std::string prefix;
  size_t start = name[0] == '/' ? 1 : 0;
  if (start) prefix = "/";
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    prefix += (prefix.empty() || prefix == "/" ? "" : "/") + name.substr(start, slash - start);
    if (H5Lexists(id(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    start = slash + 1;
  }
  return true;
}

namespace {
H5O_type_t object_type(hid_t loc, const std::string& name) {
  H5O_info_t info{};
  if (H5Oget_info_by_name2(loc, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    take_error_message();
    return H5O_TYPE_UNKNOWN;
  }
  return info.type;
}
}  // namespace

bool Group::is_group(const std::string& name) const { return exists(name) && object_type(id(), name) == H5O_TYPE_GROUP; }

bool Group::is_dataset(const std::string& name) const {
  return exists(name) && object_type(id(), name) == H5O_TYPE_DATASET;
}

std::vector<std::string> Group::children() const {
  silence_errors();
  std::vector<std::string> names;
  H5Literate(
      id(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->push_back(name);
        return 0;
      },
      &names);
  return names;
}

Group Group::create_group(const std::string& name) {
  silence_errors();
  Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Id g(H5Gcreate2(id(), name.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g) posekd::fail(file_, child_path(name), "cannot create group" + [] {
    std::string m = take_error_message();
    return m.empty() ? std::string() : " (HDF5: " + m + ")";
  }());
  return Group(std::move(g), file_, child_path(name));
}

Group Group::require_group(const std::string& name) { return is_group(name) ? open_group(name) : create_group(name); }

Group Group::open_group(const std::string& name) const {
  silence_errors();
  if (!exists(name)) posekd::fail(file_, child_path(name), "expected a group, found nothing");
  if (!is_group(name)) posekd::fail(file_, child_path(name), "expected a group, found a dataset");
  Id g(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g) posekd::fail(file_, child_path(name), "cannot open group (HDF5: " + take_error_message() + ")");
  return Group(std::move(g), file_, child_path(name));
}

Dataset Group::create_dataset(const std::string& name, DType type, const Shape& shape, const DatasetOptions& options) {
  silence_errors();
  const std::string where = child_path(name);
  Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!options.chunk.empty()) {
    if (options.chunk.size() != shape.size())
      posekd::fail(file_, where, fmt::format("chunk {} does not fit shape {}", shape_text(options.chunk), shape_text(shape)));
    std::vector<hsize_t> chunk(options.chunk.begin(), options.chunk.end());
    for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = std::max<hsize_t>(1, std::min<hsize_t>(chunk[i], std::max<int64_t>(shape[i], 1)));
    H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
    if (options.deflate > 0) H5Pset_deflate(dcpl.get(), static_cast<unsigned>(std::min(options.deflate, 9)));
  } else if (options.deflate > 0) {
    posekd::fail(file_, where, "compression needs a chunked dataset");
  }
  if (options.allocate_early) {
    H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
    H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
  }
  Id ftype;
  hid_t ftype_id;
  if (type == DType::string) {
    ftype = make_vlen_string_type();
    ftype_id = ftype.get();
  } else {
    ftype_id = file_type(type);
    if (ftype_id < 0) posekd::fail(file_, where, "cannot create a dataset of type other");
  }
  Id space = simple_space(shape);
  Id d(H5Dcreate2(id(), name.c_str(), ftype_id, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT), H5Dclose);
  if (!d) {
    std::string m = take_error_message();
    posekd::fail(file_, where, "cannot create dataset" + (m.empty() ? std::string() : " (HDF5: " + m + ")"));
  }
  return Dataset(std::move(d), file_, where);
}

Dataset Group::open_dataset(const std::string& name) const {
  silence_errors();
  const std::string where = child_path(name);
  if (!exists(name)) posekd::fail(file_, where, "expected a dataset, found nothing");
  if (!is_dataset(name)) posekd::fail(file_, where, "expected a dataset, found a group");
  Id d(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d) posekd::fail(file_, where, "cannot open dataset (HDF5: " + take_error_message() + ")");
  return Dataset(std::move(d), file_, where);
}

Dataset Group::create_virtual_dataset(const std::string& name, DType type, const Shape& shape,
                                      const std::vector<VirtualSource>& sources) {
  silence_errors();
  const std::string where = child_path(name);
  if (shape.empty()) posekd::fail(file_, where, "a virtual dataset needs at least one dimension");
  Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  Id vspace = simple_space(shape);
  int64_t row = 0;
  for (const auto& src : sources) {
    Shape src_shape = shape;
    src_shape[0] = src.rows;
    Id src_space = simple_space(src_shape);
    std::vector<hsize_t> start(shape.size(), 0), count(src_shape.begin(), src_shape.end());
    start[0] = static_cast<hsize_t>(row);
    H5Sselect_hyperslab(vspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
    if (H5Pset_virtual(dcpl.get(), vspace.get(), escape_percent(src.file).c_str(), escape_percent(src.dataset).c_str(),
                       src_space.get()) < 0)
      posekd::fail(file_, where, fmt::format("cannot map {}:{} (HDF5: {})", src.file, src.dataset, take_error_message()));
    row += src.rows;
  }
  if (row != shape[0])
    posekd::fail(file_, where, fmt::format("sources hold {} rows, expected {}", row, shape[0]));
  H5Sselect_all(vspace.get());
  Id ftype;
  hid_t ftype_id = file_type(type);
  if (type == DType::string) {
    ftype = make_vlen_string_type();
    ftype_id = ftype.get();
  }
  Id d(H5Dcreate2(id(), name.c_str(), ftype_id, vspace.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT), H5Dclose);
  if (!d) posekd::fail(file_, where, "cannot create virtual dataset (HDF5: " + take_error_message() + ")");
  return Dataset(std::move(d), file_, where);
}

void Group::remove(const std::string& name) {
  silence_errors();
  if (H5Ldelete(id(), name.c_str(), H5P_DEFAULT) < 0)
    posekd::fail(file_, child_path(name), "cannot remove (HDF5: " + take_error_message() + ")");
}

void Group::write_string_dataset(const std::string& name, const std::vector<std::string>& values) {
  create_dataset(name, DType::string, {static_cast<int64_t>(values.size())}).write_strings(values);
}

void Group::visit_datasets(const std::function<void(const std::string&, const Dataset&)>& visit) const {
  std::function<void(const Group&, const std::string&)> walk = [&](const Group& g, const std::string& prefix) {
    for (const auto& child : g.children()) {
      const H5O_type_t type = object_type(g.id(), child);
      if (type == H5O_TYPE_GROUP) walk(g.open_group(child), prefix + child + "/");
      else if (type == H5O_TYPE_DATASET) visit(prefix + child, g.open_dataset(child));
    }
  };
  walk(*this, "");
}

// ---- File

bool has_hdf5_signature(const unsigned char* data, size_t size) {
  static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (size_t offset = 0; offset + 8 <= size; offset = offset ? offset * 2 : 512)
    if (std::memcmp(data + offset, signature, 8) == 0) return true;
  return false;
}

namespace {

// Reads the bytes at the offsets where HDF5 looks for its signature.
bool file_has_hdf5_signature(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  bool found = false;
  for (long offset = 0; !found; offset = offset ? offset * 2 : 512) {
    unsigned char buf[8];
    if (std::fseek(f, offset, SEEK_SET) != 0 || std::fread(buf, 1, 8, f) != 8) break;
    found = std::memcmp(buf, signature, 8) == 0;
  }
  std::fclose(f);
  return found;
}

// File locking stays on where the file system has it and is skipped where it has not
// (some cluster file systems), instead of failing every open there.
Id disk_access() {
  Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_file_locking(fapl.get(), 1, 1);
  return fapl;
}

[[noreturn]] void fail_open(const std::string& label, bool signature_found, const std::string& hdf5_message) {
  if (!signature_found) posekd::fail(label, "", "expected an HDF5 file, found no HDF5 signature");
  posekd::fail(label, "", "truncated or damaged HDF5 file" + (hdf5_message.empty() ? std::string() : " (HDF5: " + hdf5_message + ")"));
}

}  // namespace

File::~File() = default;

File File::open(const std::string& path, bool writable, const std::string& label) {
  silence_errors();
  if (path == "-") {
    if (writable) throw Error("-: stdin cannot be opened for writing");
    if (::isatty(STDIN_FILENO)) throw Error("<stdin>: expected an HDF5 file piped in, found a terminal");
    return open_image(read_all_stdin(), "<stdin>");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) posekd::fail(path, "", std::string("cannot open: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) posekd::fail(path, "", "expected a file, found a directory");
  if (!file_has_hdf5_signature(path)) fail_open(path, false, "");
  // The property list outlives the error check: closing it would clear HDF5's error stack.
  const Id fapl = disk_access();
  Id fid(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!fid) fail_open(path, true, take_error_message());
  return File(std::move(fid), label.empty() ? path : label, false);
}

File File::open_image(std::vector<unsigned char> bytes, const std::string& label) {
  silence_errors();
  if (!has_hdf5_signature(bytes.data(), bytes.size())) fail_open(label, false, "");
  Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_core(fapl.get(), 1 << 20, 0);
  H5Pset_file_image(fapl.get(), bytes.data(), bytes.size());
  // HDF5 identifies open files by name when there is no backing store; every image gets its own.
  const std::string name = fmt::format("posekd-image-{}-{}", ::getpid(), image_counter++);
  Id fid(H5Fopen(name.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!fid) fail_open(label, true, take_error_message());
  return File(std::move(fid), label, true);
}

File File::create(const std::string& path, const std::string& label) {
  silence_errors();
  const std::string& name = label.empty() ? path : label;
  const Id fapl = disk_access();
  Id fid(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!fid) posekd::fail(name, "", "cannot create HDF5 file " + path + " (HDF5: " + take_error_message() + ")");
  return File(std::move(fid), name, false);
}

File File::create_in_memory(const std::string& label) {
  silence_errors();
  Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_core(fapl.get(), 1 << 20, 0);
  const std::string name = fmt::format("posekd-image-{}-{}", ::getpid(), image_counter++);
  Id fid(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!fid) posekd::fail(label, "", "cannot create in-memory HDF5 file (HDF5: " + take_error_message() + ")");
  return File(std::move(fid), label, true);
}

void File::flush() {
  silence_errors();
  if (id_ && H5Fflush(id(), H5F_SCOPE_GLOBAL) < 0) fail_hdf5("cannot flush");
}

std::vector<unsigned char> File::image() {
  flush();
  const ssize_t size = H5Fget_file_image(id(), nullptr, 0);
  if (size < 0) fail_hdf5("cannot take the file image");
  std::vector<unsigned char> bytes(static_cast<size_t>(size));
  if (H5Fget_file_image(id(), bytes.data(), bytes.size()) != size) fail_hdf5("cannot take the file image");
  return bytes;
}

void File::close() {
  if (!id_) return;
  flush();
  id_.reset();
}

std::vector<unsigned char> read_all_stdin() {
  std::vector<unsigned char> bytes;
  unsigned char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(std::string("<stdin>: cannot read: ") + std::strerror(errno));
    }
    bytes.insert(bytes.end(), buf, buf + n);
  }
  return bytes;
}

// ---- OutputFile

std::string partial_path(const std::string& target) { return target + ".partial"; }

OutputFile::OutputFile(std::string target, OutputOptions options) : target_(std::move(target)), options_(options) {
  if (to_stdout()) {
    file_ = File::create_in_memory("<stdout>");
    return;
  }
  temp_ = partial_path(target_);
  struct stat st {};
  if (options_.resumable && ::stat(temp_.c_str(), &st) == 0) {
    file_ = File::open(temp_, true, target_);
    resumed_ = true;
  } else {
    file_ = File::create(temp_, target_);
  }
}

OutputFile::~OutputFile() {
  if (committed_) return;
  file_ = File();
  if (!to_stdout() && !options_.resumable) ::unlink(temp_.c_str());
}

void OutputFile::commit() {
  if (committed_) throw Error(target_ + ": committed twice");
  if (to_stdout()) {
    const auto bytes = file_.image();
    file_ = File();
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(STDOUT_FILENO, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Error(std::string("<stdout>: cannot write: ") + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    committed_ = true;
    return;
  }
  file_.close();
  file_ = File();
  // The data must be on disk before the name says the file is complete.
  if (int fd = ::open(temp_.c_str(), O_RDONLY); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (std::rename(temp_.c_str(), target_.c_str()) != 0)
    throw Error(fmt::format("{}: cannot rename {} to it: {}", target_, temp_, std::strerror(errno)));
  committed_ = true;
}

}  // namespace posekd::h5
