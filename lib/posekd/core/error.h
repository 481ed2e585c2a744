#pragma once
// Typed errors. Library code throws; cli::run_tool() is the only catch (DESIGN 3.6) and maps
// each type to an exit status. Messages are one line: "FILE:PLACE: what, expected X, found Y".
#include <stdexcept>
#include <string>

namespace posekd {

// Bad data or I/O: exit status 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad command line or option values: exit status 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

// SIGINT/SIGTERM arrived and resumable state was saved: exit status 75 (EX_TEMPFAIL), so a
// batch scheduler can requeue the job.
class Interrupted : public Error {
 public:
  using Error::Error;
};

// "file:place: message", dropping empty parts.
std::string located(const std::string& file, const std::string& place, const std::string& message);

[[noreturn]] void fail(const std::string& file, const std::string& place, const std::string& message);

}  // namespace posekd
