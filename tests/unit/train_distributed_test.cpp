#include <doctest/doctest.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <future>
#include <map>
#include <thread>

#include "posekd/core/error.h"
#include "posekd/train/distributed.h"
#include "posekd/train/gradient_reducer.h"
#include "test_support.h"

using namespace posekd;
using namespace posekd::train;

namespace {

Environment env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Two ranks of one job as two threads of this process, meeting through a file store: the
// real Gloo process groups, without a second process.
template <typename F>
void run_two_ranks(const std::string& store, double timeout, F&& body) {
  DistributedOptions o;
  o.file = store;
  o.timeout_seconds = timeout;
  auto rank = [&](int r) {
    WorldInfo w;
    w.rank = r;
    w.size = 2;
    w.source = "test";
    auto group = connect_process_group(w, o, torch::kCPU);
    body(*group);
  };
  auto other = std::async(std::launch::async, rank, 1);
  rank(0);
  other.get();
}

}  // namespace

TEST_CASE("distributed: rank and world from torchrun's environment, Slurm's, or none") {
  DistributedOptions o;
  auto w = detect_world(env_of({}), o);
  CHECK(w.size == 1);
  CHECK(w.source.empty());

  w = detect_world(env_of({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "n1"},
                           {"MASTER_PORT", "1234"}, {"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "8"}}),
                   o);
  CHECK(w.source == "torchrun");  // torchrun inside an srun step: torchrun's numbering
  CHECK(w.rank == 3);
  CHECK(w.size == 4);
  CHECK(w.local_rank == 1);
  CHECK(w.master_addr == "n1");
  CHECK(w.master_port == 1234);

  w = detect_world(env_of({{"SLURM_PROCID", "5"}, {"SLURM_STEP_NUM_TASKS", "8"}, {"SLURM_LOCALID", "1"},
                           {"SLURM_STEP_NODELIST", "gpu[07-08,10]"}, {"SLURM_JOB_NODELIST", "other1"},
                           {"SLURM_JOB_ID", "123456"}}),
                   o);
  CHECK(w.source == "slurm");
  CHECK(w.rank == 5);
  CHECK(w.size == 8);
  CHECK(w.local_rank == 1);
  CHECK(w.master_addr == "gpu07");
  CHECK(w.master_port == 29500 + 123456 % 2000);

  // A batch script's own shell (no srun step) is one process whatever it asked for.
  w = detect_world(env_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "8"}, {"SLURM_JOB_NODELIST", "n1"}}), o);
  CHECK(w.size == 1);

  CHECK(test::error_of([&] { detect_world(env_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}}), o); }) ==
        "environment variable MASTER_ADDR: required with RANK and WORLD_SIZE (or use --dist-file)");
  CHECK(test::error_of([&] {
          detect_world(env_of({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}), o);
        }) == "environment variable RANK: expected an integer in [0, 1], found \"2\"");
  CHECK(test::error_of([&] {
          detect_world(env_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "x1"}}), o);
        }) == "environment variable MASTER_PORT: expected an integer in [1, 65535], found \"x1\"");
  CHECK(test::error_of([&] { detect_world(env_of({{"RANK", "0"}}), o); }) ==
        "environment variable WORLD_SIZE: required, not set");

  DistributedOptions file_store;
  file_store.file = "/shared/job.store";
  w = detect_world(env_of({{"RANK", "1"}, {"WORLD_SIZE", "2"}}), file_store);
  CHECK(w.size == 2);
  CHECK(w.master_addr.empty());
}

TEST_CASE("distributed: Slurm node lists expand as scontrol show hostnames does") {
  using V = std::vector<std::string>;
  CHECK(expand_slurm_nodelist("node1") == V{"node1"});
  CHECK(expand_slurm_nodelist("a1,b2") == V{"a1", "b2"});
  CHECK(expand_slurm_nodelist("node[01-03,7]") == V{"node01", "node02", "node03", "node7"});
  CHECK(expand_slurm_nodelist("n[8-10]-ib,x") == V{"n8-ib", "n9-ib", "n10-ib", "x"});
  CHECK(expand_slurm_nodelist("r[1-2]n[1-2]") == V{"r1n1", "r1n2", "r2n1", "r2n2"});
  CHECK(test::error_of([] { expand_slurm_nodelist("node[1-3"); }) == "Slurm node list \"node[1-3\": unbalanced '['");
  CHECK(test::error_of([] { expand_slurm_nodelist("node[3-1]"); }) ==
        "Slurm node list \"node[3-1]\": bad range \"3-1\" in \"node[3-1]\"");
  CHECK(test::error_of([] { expand_slurm_nodelist("a]"); }) == "Slurm node list \"a]\": unbalanced ']'");
}

TEST_CASE("distributed: bucketed gradient averaging over two Gloo ranks") {
  REQUIRE(distributed_available());
  test::ScratchDir dir("dist-reduce");
  run_two_ranks(dir.file("store"), 20, [](ProcessGroup& group) {
    const double r = group.rank();
    // Three parameters of 4 KiB each and buckets of 6 KiB: three all-reduces, the last also
    // carrying the statistics.
    std::vector<at::Tensor> params;
    for (int i = 0; i < 3; ++i) {
      params.push_back(torch::zeros({1024}, torch::requires_grad()));
      params.back().mutable_grad() = torch::full({1024}, 10.0 * i + r);
    }
    GradientReducer reducer(group, params, 6.0 / 1024);
    CHECK(reducer.buckets() == 3);
    std::vector<double> stats{1.5 + r, 1.0};
    reducer.average(stats, "test step");
    for (int i = 0; i < 3; ++i) CHECK(params[size_t(i)].grad().allclose(torch::full({1024}, 10.0 * i + 0.5)));
    CHECK(stats == std::vector<double>{4.0, 2.0});
    CHECK(reducer.reductions() == 1);

    // A parameter without a gradient on one rank only: the ranks ran different objectives.
    if (group.rank() == 1) params[1].mutable_grad() = at::Tensor();
    std::vector<double> none;
    CHECK(test::error_of([&] { reducer.average(none, "step 7"); }) ==
          fmt::format("step 7: the ranks disagree on which parameters have gradients ({} here, 5 summed over 2 ranks): "
                      "every rank must run the same objective on the same model",
                      group.rank() == 1 ? 2 : 3));
  });
}

TEST_CASE("distributed: a rank that stops answering fails the other within --dist-timeout, naming it") {
  REQUIRE(distributed_available());
  test::ScratchDir dir("dist-timeout");
  run_two_ranks(dir.file("store"), 1, [](ProcessGroup& group) {
    std::vector<at::Tensor> t{torch::ones({4})};
    group.all_reduce_sum(t, "warm-up");
    CHECK(t[0].equal(torch::full({4}, 2.0)));
    if (group.rank() == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    const std::string message = test::error_of([&] { group.all_reduce_sum(t, "averaging the gradients of step 3"); });
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(message.rfind("distributed (gloo rank 0 of 2): averaging the gradients of step 3 failed (no answer within "
                        "--dist-timeout 1 s: another rank hung or stopped): ",
                        0) == 0);
    CHECK(waited < 2.0);
  });
}
