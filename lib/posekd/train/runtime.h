#pragma once
// How a LibTorch tool runs on this machine (DESIGN 3.7): compute threads, device, and what
// --version reports about the BLAS and OpenMP actually loaded.
#include <c10/core/Device.h>

#include <string>

#include "posekd/cli/tool.h"

namespace posekd::train {

// Physical cores (distinct package/core ids in sysfs; hardware threads when sysfs is absent).
int physical_cores();
// --threads 0: the physical cores, at most 2, when OMP_WAIT_POLICY=PASSIVE; 1 otherwise.
// Measured with bench_torch_threads on this 2-core machine while it was shared (load 5-8): with
// libgomp's default spin-waiting a second thread made a training step 4-7x slower; with
// PASSIVE, 2 threads ran within 0.9-1.1x of one. libgomp reads the policy once, when it is
// loaded, so a running tool cannot change it; it only chooses the thread count that suits it.
int default_threads();
// OMP_WAIT_POLICY as libgomp read it at start-up ("" when unset).
std::string omp_wait_policy();
// Applies --threads (0: default_threads()) to LibTorch's intra-op pool.
void set_threads(int threads);

// "cpu", "cuda", "cuda:N" or "auto" (cuda when LibTorch sees a GPU). Throws UsageError for
// anything else and Error for cuda on a build or machine without CUDA.
c10::Device resolve_device(const std::string& text);

// The file of the BLAS library in this process (the target of Debian's libblas.so.3
// alternative), or "" when none is loaded.
std::string blas_library_path();
// "OpenBLAS 0.3.21 (OpenMP) /usr/lib/.../openblas-openmp/libblas.so.3", "reference BLAS
// (netlib, slow) /usr/lib/.../blas/libblas.so.3", ...
std::string blas_description();

// Lines for --version: LibTorch version, BLAS, OpenMP threads, OMP_WAIT_POLICY, CUDA.
std::string version_details();

}  // namespace posekd::train

namespace posekd {

// What every LibTorch tool registers: tool.set_runtime_hooks(posekd::torch_runtime_hooks()).
cli::RuntimeHooks torch_runtime_hooks();

}  // namespace posekd
