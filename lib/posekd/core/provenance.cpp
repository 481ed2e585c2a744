#include "posekd/core/provenance.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <vector>

#include "posekd/core/version.h"

namespace posekd {

Provenance& Provenance::current() {
  static Provenance p{"libposekd", posekd::version(), "", "", utc_now_iso8601(), {}};
  return p;
}

void Provenance::add_input(const std::string& path) {
  for (const auto& in : inputs)
    if (in.first == path) return;
  inputs.emplace_back(path, file_fingerprint(path));
}

std::string file_fingerprint(const std::string& path) {
  if (path.empty() || path == "-") return "stdin";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&hash](const std::vector<unsigned char>& buf, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      hash ^= buf[i];
      hash *= 1099511628211ull;
    }
  };
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    const size_t mib = 1 << 20;
    std::vector<unsigned char> buf(mib);
    mix(buf, std::fread(buf.data(), 1, mib, f));
    if (static_cast<uint64_t>(st.st_size) > 2 * mib && std::fseek(f, -static_cast<long>(mib), SEEK_END) == 0)
      mix(buf, std::fread(buf.data(), 1, mib, f));
    std::fclose(f);
  }
  return fmt::format("size={} mtime={} fnv1a64={:016x}", static_cast<long long>(st.st_size),
                     static_cast<long long>(st.st_mtime), hash);
}

std::string utc_now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string shell_quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_") ==
                          std::string::npos)
    return arg;
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace posekd
