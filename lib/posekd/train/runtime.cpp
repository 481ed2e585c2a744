#include "posekd/train/runtime.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <fmt/format.h>
#include <link.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "posekd/core/error.h"

namespace posekd::train {
namespace {

std::string read_first_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

int collect_blas(struct dl_phdr_info* info, size_t, void* data) {
  const std::string name = info->dlpi_name ? info->dlpi_name : "";
  const auto base = std::filesystem::path(name).filename().string();
  if (base.rfind("libblas.so", 0) == 0 || base.rfind("libopenblas", 0) == 0 || base.rfind("libmkl_rt", 0) == 0) {
    auto* found = static_cast<std::vector<std::string>*>(data);
    found->push_back(name);
  }
  return 0;
}

}  // namespace

int physical_cores() {
  std::set<std::pair<std::string, std::string>> cores;
  const std::filesystem::path cpus = "/sys/devices/system/cpu";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(cpus, ec)) {
    const auto name = entry.path().filename().string();
    if (name.size() < 4 || name.rfind("cpu", 0) != 0 || !std::isdigit(static_cast<unsigned char>(name[3]))) continue;
    const auto topo = entry.path() / "topology";
    if (!std::filesystem::exists(topo / "core_id")) continue;
    cores.insert({read_first_line(topo / "physical_package_id"), read_first_line(topo / "core_id")});
  }
  if (!cores.empty()) return int(cores.size());
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string omp_wait_policy() {
  const char* wait = std::getenv("OMP_WAIT_POLICY");
  std::string policy = wait ? wait : "";
  for (auto& c : policy) c = char(std::toupper(static_cast<unsigned char>(c)));
  return policy;
}

int default_threads() { return omp_wait_policy() == "PASSIVE" ? std::min(physical_cores(), 2) : 1; }

void set_threads(int threads) {
  if (threads < 0) throw UsageError(fmt::format("--threads {}: expected >= 0 (0: {} on this machine)", threads,
                                                default_threads()));
  at::set_num_threads(threads > 0 ? threads : default_threads());
}

c10::Device resolve_device(const std::string& text) {
  if (text == "auto") return torch::cuda::is_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (text == "cpu") return c10::Device(c10::kCPU);
  int index = -1;
  if (text == "cuda") {
    index = 0;
  } else if (text.rfind("cuda:", 0) == 0 && text.size() > 5 &&
             text.find_first_not_of("0123456789", 5) == std::string::npos && text.size() < 9) {
    index = std::stoi(text.substr(5));
  } else {
    throw UsageError(fmt::format("--device {}: expected cpu, cuda, cuda:N or auto", text));
  }
  if (!torch::cuda::is_available())
    throw Error(fmt::format("--device {}: this LibTorch {} sees no CUDA device (use --device cpu or auto)", text,
                            TORCH_VERSION));
  if (index >= int(torch::cuda::device_count()))
    throw Error(fmt::format("--device {}: only {} CUDA device(s) visible", text, torch::cuda::device_count()));
  return c10::Device(c10::kCUDA, c10::DeviceIndex(index));
}

std::string blas_library_path() {
  std::vector<std::string> found;
  dl_iterate_phdr(collect_blas, &found);
  // libblas.so.3 is the interface LibTorch links; Debian's alternatives decide its file.
  for (const auto& f : found)
    if (std::filesystem::path(f).filename().string().rfind("libblas.so", 0) == 0) {
      std::error_code ec;
      auto real = std::filesystem::canonical(f, ec);
      return ec ? f : real.string();
    }
  return found.empty() ? "" : found.front();
}

std::string blas_description() {
  const std::string path = blas_library_path();
  if (path.empty()) return "none loaded";
  std::string kind;
  if (path.find("openblas") != std::string::npos) {
    // OpenBLAS answers with its version and build; the reference BLAS has no such symbol.
    using ConfigFn = char* (*)();
    auto config = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
    kind = config ? config() : "OpenBLAS";
    if (path.find("openmp") != std::string::npos) kind += " (OpenMP)";
    if (path.find("pthread") != std::string::npos) kind += " (pthreads)";
  } else if (path.find("mkl") != std::string::npos) {
    kind = "Intel MKL";
  } else if (path.find("/blas/") != std::string::npos) {
    kind = "reference BLAS (netlib; matrix products ~17x slower than OpenBLAS: apt install libopenblas0-openmp)";
  } else {
    kind = "unknown BLAS";
  }
  return kind + " " + path;
}

std::string version_details() {
  const std::string wait = omp_wait_policy();
  std::string out;
  out += fmt::format("LibTorch {}.{}.{}\n", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH);
  out += fmt::format("BLAS: {}\n", blas_description());
  out += fmt::format("threads: {} (default {}: physical cores {}, at most 2, and 1 unless OMP_WAIT_POLICY=PASSIVE)\n",
                     at::get_num_threads(), default_threads(), physical_cores());
  out += fmt::format("OMP_WAIT_POLICY: {}\n",
                     wait.empty() ? "unset (libgomp spin-waits; set PASSIVE before starting to use 2 threads)" : wait);
  out += fmt::format("CUDA: {}", torch::cuda::is_available()
                                     ? fmt::format("{} device(s)", torch::cuda::device_count())
                                     : std::string("not available"));
  return out;
}

}  // namespace posekd::train

namespace posekd {

cli::RuntimeHooks torch_runtime_hooks() {
  cli::RuntimeHooks hooks;
  hooks.version_details = [] { return train::version_details(); };
  hooks.configure = [](const cli::CommonOptions& common) {
    train::set_threads(common.threads);
    train::resolve_device(common.device);  // refuse a bad --device before any work
  };
  return hooks;
}

}  // namespace posekd
