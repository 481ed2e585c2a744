#pragma once

namespace posekd {
// "git describe" of the build when built from git, else the release version.
const char* version();
}  // namespace posekd
