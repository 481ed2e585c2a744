// The only translation unit that includes c10d (and through it Gloo's headers): CMake defines
// POSEKD_HAVE_C10D for it alone when the headers were found.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "posekd/core/error.h"
#include "posekd/core/log.h"
#include "posekd/train/distributed.h"

#if POSEKD_HAVE_C10D
#include <glog/logging.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace posekd::train {

#if POSEKD_HAVE_C10D

namespace {

std::string first_line(std::string text) {
  if (const size_t nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  return text;
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

class C10dGroup final : public ProcessGroup {
 public:
  C10dGroup(c10::intrusive_ptr<c10d::ProcessGroup> group, const WorldInfo& world, double timeout_seconds)
      : group_(std::move(group)), world_(world), timeout_seconds_(timeout_seconds) {}

  int rank() const override { return world_.rank; }
  int size() const override { return world_.size; }
  std::string backend() const override { return group_->getBackendName(); }

  void all_reduce_sum(std::vector<at::Tensor>& tensors, const std::string& what) override {
    guarded(what, [&] { group_->allreduce(tensors)->wait(); });
  }
  void broadcast(std::vector<at::Tensor>& tensors, int root, const std::string& what) override {
    c10d::BroadcastOptions options;
    options.rootRank = root;
    guarded(what, [&] { group_->broadcast(tensors, options)->wait(); });
  }

 private:
  template <typename F>
  void guarded(const std::string& what, F&& f) {
    try {
      f();
    } catch (const c10::Error& e) {
      throw Error(explain(what, e.what_without_backtrace()));
    } catch (const std::exception& e) {
      throw Error(explain(what, e.what()));
    }
  }

  // Gloo's own text says which socket failed; the rank and the likely cause help more.
  std::string explain(const std::string& what, const std::string& reason) const {
    const std::string r = first_line(reason);
    std::string cause;
    if (contains(r, "Timed out") || contains(r, "timed out") || contains(r, "Timeout"))
      cause = fmt::format("no answer within --dist-timeout {:g} s: another rank hung or stopped", timeout_seconds_);
    else if (contains(r, "reset by peer") || contains(r, "Connection closed") || contains(r, "Broken pipe") ||
             contains(r, "Connection refused") || contains(r, "EOF"))
      cause = "another rank ended (failed or was killed); its log has the reason";
    return fmt::format("distributed ({} rank {} of {}): {} failed{}: {}", group_->getBackendName(), world_.rank,
                       world_.size, what, cause.empty() ? "" : " (" + cause + ")", r);
  }

  c10::intrusive_ptr<c10d::ProcessGroup> group_;
  WorldInfo world_;
  double timeout_seconds_;
};

std::string rendezvous_failure(const WorldInfo& world, const DistributedOptions& o, const std::string& reason) {
  const std::string where = o.file.empty() ? fmt::format("{}:{}", world.master_addr, world.master_port) : o.file;
  return fmt::format("distributed rendezvous at {} (rank {} of {}, from {}) failed within --dist-timeout {:g} s: {}", where,
                     world.rank, world.size, o.file.empty() ? world.source : "--dist-file", o.timeout_seconds,
                     first_line(reason));
}

c10::intrusive_ptr<c10d::Store> make_store(const WorldInfo& world, const DistributedOptions& o,
                                           std::chrono::milliseconds timeout) {
  c10::intrusive_ptr<c10d::Store> store;
  try {
    if (!o.file.empty()) {
      store = c10::make_intrusive<c10d::FileStore>(o.file, world.size);
    } else {
      c10d::TCPStoreOptions so;
      so.port = uint16_t(world.master_port);
      so.isServer = world.rank == 0;
      so.numWorkers = size_t(world.size);
      so.waitWorkers = true;
      so.timeout = timeout;
      store = c10::make_intrusive<c10d::TCPStore>(world.master_addr, so);
    }
    store->setTimeout(timeout);
  } catch (const c10::Error& e) {
    throw Error(rendezvous_failure(world, o, e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Error(rendezvous_failure(world, o, e.what()));
  }
  return c10::make_intrusive<c10d::PrefixStore>("posekd", store);
}

}  // namespace

bool distributed_available() { return true; }

std::string distributed_build_description() {
#ifdef USE_C10D_NCCL
  return "c10d (Gloo, NCCL)";
#else
  return "c10d (Gloo)";
#endif
}

std::unique_ptr<ProcessGroup> connect_process_group(const WorldInfo& world, const DistributedOptions& o,
                                                    const c10::Device& device) {
  // c10d logs its connection retries and socket errors through glog on stderr; the one-line
  // error posekd throws carries the reason, so they show only with -v.
  if (log::level() < log::Level::debug) FLAGS_minloglevel = google::GLOG_FATAL;
  const auto timeout = std::chrono::milliseconds(int64_t(o.timeout_seconds * 1000));
  std::string backend = o.backend;
  if (backend == "auto") backend = device.is_cuda() ? "nccl" : "gloo";
#ifndef USE_C10D_NCCL
  if (backend == "nccl" && o.backend == "auto") backend = "gloo";
#endif
  if (backend != "gloo" && backend != "nccl")
    throw UsageError(fmt::format("--dist-backend: expected auto, gloo or nccl, found \"{}\"", o.backend));
  auto store = make_store(world, o, timeout);
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  try {
    if (backend == "nccl") {
#ifdef USE_C10D_NCCL
      // Without it NCCL waits forever on a dead peer; with it the watchdog aborts after the timeout.
      setenv("NCCL_ASYNC_ERROR_HANDLING", "1", /*overwrite=*/0);
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, world.rank, world.size, options);
#else
      throw UsageError("--dist-backend nccl: this LibTorch has no NCCL (CPU build); use gloo");
#endif
    } else {
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      // PyTorch's choice: GLOO_SOCKET_IFNAME names the interface, else this host's address.
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, world.rank, world.size, options);
    }
  } catch (const c10::Error& e) {
    throw Error(fmt::format("distributed: connecting the {} process group (rank {} of {}) failed within --dist-timeout "
                            "{:g} s: {}",
                            backend, world.rank, world.size, o.timeout_seconds, first_line(e.what_without_backtrace())));
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(fmt::format("distributed: connecting the {} process group (rank {} of {}) failed: {}", backend,
                            world.rank, world.size, first_line(e.what())));
  }
  return std::make_unique<C10dGroup>(group, world, o.timeout_seconds);
}

#else  // built without c10d

bool distributed_available() { return false; }

std::string distributed_build_description() {
  return "none (built without c10d: install libgloo-dev and reconfigure with POSEKD_WITH_C10D=ON)";
}

std::unique_ptr<ProcessGroup> connect_process_group(const WorldInfo& world, const DistributedOptions&,
                                                    const c10::Device&) {
  throw UsageError(fmt::format("a job of {} processes ({}): this posekd was built without c10d, so it runs one "
                               "process only (install libgloo-dev and reconfigure with POSEKD_WITH_C10D=ON)",
                               world.size, world.source.empty() ? "--dist-file" : world.source));
}

#endif

}  // namespace posekd::train
