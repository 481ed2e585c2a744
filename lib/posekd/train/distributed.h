#pragma once
// Data-parallel training on PyTorch's own engine (c10d, DESIGN 3.7): who this process is in
// the job (from torchrun's or Slurm's environment) and a process group to talk to the others.
//
//   const WorldInfo world = detect_world(environment(), options);   // world.size 1: no job
//   auto group = connect_process_group(world, options, device);      // Gloo on CPU, NCCL on CUDA
//   group->all_reduce_sum(tensors, "gradients of step 12");
//
// The c10d headers stay in distributed_c10d.cpp, so nothing else pays for them. A build
// without them (POSEKD_WITH_C10D off, or libgloo-dev missing) still runs one process and
// refuses a job of more.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace posekd::train {

struct DistributedOptions {
  std::string backend = "auto";  // auto (NCCL for CUDA devices, else Gloo), gloo, nccl
  std::string file;              // a shared file store instead of MASTER_ADDR:MASTER_PORT
  double timeout_seconds = 1800;  // rendezvous and every collective (PyTorch's default); a hung rank fails the job
  double bucket_mb = 25;         // gradient all-reduce bucket size (PyTorch DDP's default)
  bool sync_bn = false;          // batch-norm statistics over the whole job's batch (sync_batch_norm.h)
};

// Where this process stands. size 1 with source "" when no launcher set anything.
struct WorldInfo {
  int rank = 0, size = 1, local_rank = 0;
  std::string master_addr;  // "" with a file store
  int master_port = 0;
  std::string source;  // "torchrun", "slurm" (the variables that defined rank and size), ""
};

using Environment = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment.
Environment process_environment();

// torchrun's RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT win over Slurm's
// SLURM_PROCID / SLURM_STEP_NUM_TASKS / SLURM_LOCALID (only inside an srun step: a batch
// script's own shell is one process even when it asked for many tasks), whose master is the
// first host of SLURM_STEP_NODELIST (else SLURM_JOB_NODELIST, SLURM_NODELIST) and whose port is
// MASTER_PORT or 29500 + SLURM_JOB_ID % 2000 (jobs sharing a node do not collide). With
// options.file no address is needed. Throws UsageError naming the variable that is missing or
// malformed.
WorldInfo detect_world(const Environment& env, const DistributedOptions& options);

// Slurm's compressed host lists: "node[01-03,7],gpu-a1" -> node01 node02 node03 node7 gpu-a1
// (zero padding kept, several bracket groups per name expand as a product). Throws UsageError
// for unbalanced brackets or a bad range.
std::vector<std::string> expand_slurm_nodelist(const std::string& list);

// False when posekd was built without c10d.
bool distributed_available();
// Why not, for error messages and --version.
std::string distributed_build_description();

// The collectives the trainer uses. Every rank must call them in the same order. Errors
// (a peer that died, no answer within the timeout) are thrown as posekd::Error naming
// `what`, this rank, and what to look for.
class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;
  // In place, element-wise sum over ranks.
  virtual void all_reduce_sum(std::vector<at::Tensor>& tensors, const std::string& what) = 0;
  // In place, rank `root`'s values everywhere.
  virtual void broadcast(std::vector<at::Tensor>& tensors, int root, const std::string& what) = 0;
};

// Rendezvous (TCP store on MASTER_ADDR:MASTER_PORT served by rank 0, or the file store) and
// the backend's process group. Throws UsageError when posekd was built without c10d, and
// Error when the rendezvous times out.
std::unique_ptr<ProcessGroup> connect_process_group(const WorldInfo& world, const DistributedOptions& options,
                                                    const c10::Device& device);

}  // namespace posekd::train
