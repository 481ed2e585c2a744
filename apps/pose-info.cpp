// pose-info FILE...: what a posekd HDF5 file holds and where it came from.
#include <iostream>

#include "posekd/cli/tool.h"
#include "posekd/io/info.h"

int main(int argc, char** argv) {
  posekd::cli::Tool tool("pose-info",
                         "Describe posekd HDF5 files (checkpoints, heatmaps): format, skeleton, model, sizes, "
                         "datasets and provenance");
  tool.drop_common_options({"--threads", "--workers", "--device", "--seed"});
  posekd::io::InfoOptions opts;
  // No existence check here: a missing file is reported like any unreadable one and the
  // other files are still described.
  tool.app().add_option("files", opts.files, "posekd HDF5 files; - reads one from stdin")->required();
  tool.app().add_flag("--json", opts.json, "One JSON object per file and line, for scripts");
  int failed = 0;
  const int status = tool.run(argc, argv, [&] { failed = posekd::io::run_info(opts, std::cout, std::cerr); });
  return status != posekd::cli::ok ? status : failed > 0 ? posekd::cli::error : posekd::cli::ok;
}
