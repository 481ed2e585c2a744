#include "posekd/data/json_util.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "posekd/core/error.h"

namespace posekd::json {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

Text::Text(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "", fmt::format("cannot open ({})", std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    fail(path, "", fmt::format("cannot stat ({})", std::strerror(err)));
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    fail(path, "", "is a directory, expected a JSON file");
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    size_ = static_cast<size_t>(st.st_size);
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t file_bytes = (size_ + page - 1) / page * page;
    mapped_bytes_ = (size_ + simdjson::SIMDJSON_PADDING + page - 1) / page * page;
    // Reserve zeroed pages for file + padding, then map the file over their start: touching
    // a file mapping past its last page would raise SIGBUS, the anonymous page does not.
    mapping_ = mmap(nullptr, mapped_bytes_, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping_ == MAP_FAILED) {
      const int err = errno;
      close(fd);
      mapping_ = nullptr;
      fail(path, "", fmt::format("cannot map {} bytes ({})", mapped_bytes_, std::strerror(err)));
    }
    if (mmap(mapping_, file_bytes, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0) == MAP_FAILED) {
      const int err = errno;
      close(fd);
      munmap(mapping_, mapped_bytes_);
      mapping_ = nullptr;
      fail(path, "", fmt::format("cannot map ({})", std::strerror(err)));
    }
    close(fd);
    data_ = static_cast<const char*>(mapping_);
    return;
  }
  // Pipes, character devices and files that report size 0 (procfs) are read to the end.
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      fail(path, "", fmt::format("read error ({})", std::strerror(err)));
    }
    owned_.insert(owned_.end(), chunk, chunk + n);
  }
  close(fd);
  size_ = owned_.size();
  owned_.resize(size_ + simdjson::SIMDJSON_PADDING, '\0');
  data_ = owned_.data();
}

Text::~Text() {
  if (mapping_) munmap(mapping_, mapped_bytes_);
}

bool is_type_error(simdjson::error_code e) {
  return e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_OUT_OF_RANGE;
}

std::string describe(value& v) {
  simdjson::ondemand::json_type t;
  if (v.type().get(t)) return "invalid JSON";
  switch (t) {
    case simdjson::ondemand::json_type::array: return "an array";
    case simdjson::ondemand::json_type::object: return "an object";
    default: break;
  }
  std::string_view token = v.raw_json_token();
  while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
  constexpr size_t kShown = 40;
  if (token.size() > kShown) return std::string(token.substr(0, kShown)) + "...";
  return std::string(token);
}

Issue type_issue(value& v, simdjson::error_code e, std::string_view expected, std::string field) {
  if (!is_type_error(e)) return syntax_issue(e, std::move(field));
  return {std::move(field), fmt::format("expected {}, found {}", expected, describe(v)), false};
}

Issue syntax_issue(simdjson::error_code e, std::string field) {
  return {std::move(field), fmt::format("not valid JSON ({})", simdjson::error_message(e)), true};
}

Issue read_int64(value v, int64_t& out) {
  if (auto e = v.get_int64().get(out)) return type_issue(v, e, "an integer");
  return {};
}

Issue read_double(value v, double& out) {
  if (auto e = v.get_double().get(out)) return type_issue(v, e, "a number");
  return {};
}

Issue read_bool_or_int(value v, bool& out) {
  simdjson::ondemand::json_type t;
  if (auto e = v.type().get(t)) return syntax_issue(e);
  if (t == simdjson::ondemand::json_type::boolean) {
    if (auto e = v.get_bool().get(out)) return syntax_issue(e);
    return {};
  }
  int64_t i = 0;
  if (auto e = v.get_int64().get(i)) return type_issue(v, e, "0, 1 or a boolean");
  if (i != 0 && i != 1) return {"", fmt::format("expected 0, 1 or a boolean, found {}", i), false};
  out = i != 0;
  return {};
}

Issue read_string(value v, std::string& out) {
  std::string_view s;
  if (auto e = v.get_string().get(s)) return type_issue(v, e, "a string");
  out.assign(s);
  return {};
}

Issue read_numbers(value v, std::vector<double>& out) {
  out.clear();
  simdjson::ondemand::array arr;
  if (auto e = v.get_array().get(arr)) return type_issue(v, e, "an array of numbers");
  Issue first;
  for (auto element : arr) {
    value x;
    if (auto e = element.get(x)) return syntax_issue(e, fmt::format("[{}]", out.size()));
    double d = 0;
    if (auto e = x.get_double().get(d)) {
      if (!is_type_error(e)) return syntax_issue(e, fmt::format("[{}]", out.size()));
      if (!first) first = type_issue(x, e, "a number", fmt::format("[{}]", out.size()));
    }
    out.push_back(d);
  }
  return first;
}

std::string opening(const Text& text) {
  constexpr size_t kShown = 40;
  std::string_view t(text.data(), text.size());
  while (!t.empty() && is_space(t.front())) t.remove_prefix(1);
  const size_t line_end = t.find('\n');
  std::string_view head = t.substr(0, std::min({line_end, kShown, t.size()}));
  while (!head.empty() && is_space(head.back())) head.remove_suffix(1);
  return std::string(head) + (head.size() < t.size() ? "..." : "");
}

std::string position(const Text& text, const char* at) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (at < begin || at >= end) return "at the end of the file";
  size_t line = 1;
  const char* line_start = begin;
  for (const char* p = begin; (p = static_cast<const char*>(std::memchr(p, '\n', at - p))) != nullptr; ++p) {
    ++line;
    line_start = p + 1;
  }
  return fmt::format("at line {}, column {}", line, at - line_start + 1);
}

void fail_syntax(const std::string& file, const std::string& place, const Issue& issue,
                 const Text& text, simdjson::ondemand::document& doc) {
  // After some errors simdjson rewinds to the document's start, which says nothing: the
  // position is shown only when it points past the first token.
  const char* at = nullptr;
  const char* first = text.data();
  while (first < text.data() + text.size() && is_space(*first)) ++first;
  std::string message = issue.message;
  if (doc.current_location().get(at) == simdjson::SUCCESS && at > first) message += " " + position(text, at);
  fail(file, join_place(place, issue.field), message);
}

void expect_end(const std::string& file, const Text& text, simdjson::ondemand::document& doc) {
  const char* at = nullptr;
  if (doc.current_location().get(at)) return;  // OUT_OF_BOUNDS: nothing left
  fail(file, "", "not valid JSON (trailing content after the top-level value) " + position(text, at));
}

std::string join_place(const std::string& place, const std::string& field) {
  if (place.empty()) return field;
  if (field.empty()) return place;
  if (field.front() == '[') return place + field;
  return place + ":" + field;
}

}  // namespace posekd::json
