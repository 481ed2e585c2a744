#pragma once
// simdjson On-Demand helpers shared by the dataset readers (internal header). On-Demand is
// used rather than the DOM because it skips what a reader does not ask for (COCO's
// segmentation polygons are most of the bytes) without building a tape for it: measured by
// tests/bench/bench_json_load.cpp.
//
// Every reader collects problems as `Issue`s instead of throwing at once, because the place
// of an annotation in an error message includes its id, and COCO writes "id" as the last
// field of each annotation.
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace posekd::json {

using simdjson::ondemand::value;

struct Issue {
  std::string field;    // "keypoints", "keypoints[5]", "" for the element itself
  std::string message;  // "expected a number, found \"x\""
  bool syntax = false;  // the JSON itself is broken: reading cannot go on
  explicit operator bool() const { return !message.empty(); }
};

// A JSON file's bytes followed by simdjson's zero padding. A regular file is mapped read-only
// and populated in one call rather than copied: on a 240 MB file the copy and its page-by-page
// faults were a third of the load time. Anything else (a pipe) is read into memory. An Error
// names the file when it cannot be read.
class Text {
 public:
  explicit Text(const std::string& path);
  ~Text();
  Text(const Text&) = delete;
  Text& operator=(const Text&) = delete;

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  simdjson::padded_string_view view() const { return simdjson::padded_string_view(data_, size_, size_ + simdjson::SIMDJSON_PADDING); }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
  void* mapping_ = nullptr;
  size_t mapped_bytes_ = 0;
  std::vector<char> owned_;
};

// Type errors can be reported later; anything else means the text is not JSON.
bool is_type_error(simdjson::error_code e);

// "found" half of a message: the token itself for scalars ("\"12\"", "null", "4.5"),
// "an array" / "an object" for containers.
std::string describe(value& v);

Issue type_issue(value& v, simdjson::error_code e, std::string_view expected, std::string field = {});
Issue syntax_issue(simdjson::error_code e, std::string field = {});

Issue read_int64(value v, int64_t& out);
Issue read_double(value v, double& out);
Issue read_bool_or_int(value v, bool& out);  // COCO's iscrowd is 0/1; JSON booleans are accepted too
Issue read_string(value v, std::string& out);
// Every element of an array of numbers; a non-number is reported with its index and the
// rest are still counted, so the caller can also report how many there were.
Issue read_numbers(value v, std::vector<double>& out);

// The start of the text, for "found ..." when the top level is not what a reader expects.
std::string opening(const Text& text);

// "line L, column C" of a pointer into the loaded text, for syntax errors.
std::string position(const Text& text, const char* at);

// Throws the Error for a syntax issue: "FILE:PLACE: not valid JSON (...) at line L, column C".
[[noreturn]] void fail_syntax(const std::string& file, const std::string& place, const Issue& issue,
                              const Text& text, simdjson::ondemand::document& doc);

// After the top-level value: anything but whitespace left is an error naming its position.
void expect_end(const std::string& file, const Text& text, simdjson::ondemand::document& doc);

// "PLACE:FIELD" with either part possibly empty.
std::string join_place(const std::string& place, const std::string& field);

}  // namespace posekd::json
