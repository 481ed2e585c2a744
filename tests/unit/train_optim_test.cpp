#include <doctest/doctest.h>

#include <cmath>

#include "posekd/core/error.h"
#include "posekd/nn/model.h"
#include "posekd/nn/state_arrays.h"
#include "posekd/train/optim.h"
#include "posekd/train/runtime.h"
#include "posekd/train/schedule.h"

using namespace posekd;
using namespace posekd::train;

namespace {

const char* tiny = "resnet:depth=18,width=2,deconvs=1,deconv_channels=4,joints=3,input=32x32";

void train_steps(nn::PoseModelImpl& model, torch::optim::Optimizer& opt, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    torch::manual_seed(100 + i);
    auto x = torch::randn({2, 3, 32, 32});
    opt.zero_grad();
    model.forward(x).final_heatmaps().square().mean().backward();
    opt.step();
  }
}

bool same_parameters(const torch::nn::Module& a, const torch::nn::Module& b) {
  auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    if (!torch::equal(pa[i], pb[i])) return false;
  return true;
}

}  // namespace

TEST_CASE("schedule: warmup by iteration times multistep or cosine by epoch (mmpose's param_scheduler), refusals") {
  ScheduleOptions o;
  o.milestones = {170, 200};
  o.gamma = 0.1;
  o.warmup_iters = 500;
  o.warmup_start_factor = 0.001;
  const LrSchedule s(5e-4, o);
  CHECK(s.lr(0, 0) == doctest::Approx(5e-7));
  CHECK(s.lr(0, 250) == doctest::Approx(5e-4 * (0.001 + 0.999 * 0.5)));
  CHECK(s.lr(0, 499) == doctest::Approx(5e-4 * (0.001 + 0.999 * 499 / 500.0)));
  CHECK(s.lr(1, 500) == doctest::Approx(5e-4));
  CHECK(s.lr(169, 99999) == doctest::Approx(5e-4));
  CHECK(s.lr(170, 99999) == doctest::Approx(5e-5));
  CHECK(s.lr(199, 99999) == doctest::Approx(5e-5));
  CHECK(s.lr(200, 99999) == doctest::Approx(5e-6));
  // A milestone reached during warmup multiplies, as chained schedulers do.
  ScheduleOptions early = o;
  early.milestones = {1};
  CHECK(LrSchedule(1.0, early).lr(1, 250) == doctest::Approx(0.1 * (0.001 + 0.999 * 0.5)));

  ScheduleOptions cos;
  cos.policy = "cosine";
  cos.epochs = 10;
  cos.min_lr = 1e-5;
  const LrSchedule cosine(1e-3, cos);
  CHECK(cosine.lr(0, 0) == doctest::Approx(1e-3));
  CHECK(cosine.lr(5, 0) == doctest::Approx(1e-5 + (1e-3 - 1e-5) * 0.5));
  CHECK(cosine.lr(10, 0) == doctest::Approx(1e-5));
  CHECK(cosine.lr(12, 0) == doctest::Approx(1e-5));
  ScheduleOptions c;
  c.policy = "constant";
  c.warmup_iters = 4;
  c.warmup_start_factor = 0.5;
  CHECK(LrSchedule(2.0, c).lr(0, 2) == doctest::Approx(1.5));
  CHECK(LrSchedule(2.0, c).lr(0, 4) == doctest::Approx(2.0));

  ScheduleOptions bad;
  bad.milestones = {200, 170};
  CHECK_THROWS_WITH_AS(LrSchedule(1, bad), "milestones: expected increasing epochs >= 0, found 170 after 200",
                       UsageError);
  bad = {};
  bad.policy = "poly";
  CHECK_THROWS_WITH_AS(LrSchedule(1, bad), "lr policy \"poly\": expected one of multistep, cosine, constant",
                       UsageError);
  bad = {};
  bad.policy = "cosine";
  CHECK_THROWS_WITH_AS(LrSchedule(1, bad), "cosine schedule: epochs=0: expected >= 1", UsageError);
}

TEST_CASE("optimizers: built from options, lr set per group, bad options refused") {
  auto model = nn::make_model(tiny);
  for (const char* name : {"adam", "adamw", "sgd", "rmsprop"}) {
    OptimizerOptions o;
    o.name = name;
    auto opt = make_optimizer(o, *model);
    set_learning_rate(*opt, 0.123);
    CHECK(opt->param_groups().front().options().get_lr() == doctest::Approx(0.123));
  }
  OptimizerOptions bad;
  bad.name = "lamb";
  CHECK_THROWS_WITH_AS(make_optimizer(bad, *model), "optimizer \"lamb\": expected one of adam, adamw, sgd, rmsprop",
                       UsageError);
  bad = {};
  bad.nesterov = true;
  CHECK_THROWS_WITH_AS(make_optimizer(bad, *model), "nesterov: needs optimizer sgd with momentum > 0", UsageError);
}

TEST_CASE("optimizers: state export/import continues a run identically, bad state refused") {
  for (const char* name : {"adam", "adamw", "sgd", "rmsprop"}) {
    CAPTURE(name);
    OptimizerOptions o;
    o.name = name;
    o.lr = 1e-2;
    o.nesterov = o.name == "sgd";
    o.weight_decay = 1e-4;
    // Reference: six steps without interruption.
    auto ref = nn::make_model(tiny, 3);
    auto ref_opt = make_optimizer(o, *ref);
    train_steps(*ref, *ref_opt, 0, 6);

    // Three steps, export model and optimizer, import into fresh objects, three more steps.
    auto first = nn::make_model(tiny, 3);
    auto first_opt = make_optimizer(o, *first);
    train_steps(*first, *first_opt, 0, 3);
    const auto params = nn::named_arrays(*first);
    const auto state = optimizer_state_arrays(*first_opt, o, *first);
    CHECK(!state.empty());
    auto resumed = nn::make_model(tiny, 99);
    nn::load_named_arrays(*resumed, params, "resume.ckpt.h5");
    auto resumed_opt = make_optimizer(o, *resumed);
    load_optimizer_state(*resumed_opt, o, *resumed, state, "resume.ckpt.h5");
    train_steps(*resumed, *resumed_opt, 3, 3);
    CHECK(same_parameters(*ref, *resumed));

    // Without the optimizer state the continuation differs (the test can fail).
    auto fresh = nn::make_model(tiny, 99);
    nn::load_named_arrays(*fresh, params, "resume.ckpt.h5");
    auto fresh_opt = make_optimizer(o, *fresh);
    train_steps(*fresh, *fresh_opt, 3, 3);
    CHECK_FALSE(same_parameters(*ref, *fresh));
  }

  // State names, and what a resume refuses.
  OptimizerOptions o;  // adam
  auto model = nn::make_model(tiny);
  auto opt = make_optimizer(o, *model);
  train_steps(*model, *opt, 0, 1);
  auto state = optimizer_state_arrays(*opt, o, *model);
  bool has_exp_avg = false, has_step = false;
  for (const auto& a : state) {
    has_exp_avg = has_exp_avg || a.name == "exp_avg/layer1.0.conv1.weight";
    if (a.name == "step/final_layer.bias") has_step = a.values == std::vector<float>{1} && a.shape.empty();
  }
  CHECK(has_exp_avg);
  CHECK(has_step);

  OptimizerOptions sgd;
  sgd.name = "sgd";
  auto sgd_opt = make_optimizer(sgd, *model);
  CHECK_THROWS_WITH_AS(load_optimizer_state(*sgd_opt, sgd, *model, state, "a.ckpt.h5"),
                       "a.ckpt.h5:/train/optimizer/step/conv1.weight: not state of optimizer sgd (it keeps: "
                       "momentum_buffer)",
                       Error);
  auto shaped = state;
  for (auto& a : shaped)
    if (a.name == "exp_avg/final_layer.bias") a.shape = {4}, a.values.push_back(0);
  CHECK_THROWS_WITH_AS(load_optimizer_state(*opt, o, *model, shaped, "a.ckpt.h5"),
                       "a.ckpt.h5:/train/optimizer/exp_avg/final_layer.bias: expected [3], found [4]", Error);
  auto renamed = state;
  renamed.front().name = "step/head.weight";
  CHECK_THROWS_WITH_AS(load_optimizer_state(*opt, o, *model, renamed, "a.ckpt.h5"),
                       "a.ckpt.h5:/train/optimizer/step/head.weight: the model has no parameter \"head.weight\"",
                       Error);
  auto partial = state;
  partial.erase(std::remove_if(partial.begin(), partial.end(),
                               [](const nn::NamedArray& a) { return a.name == "exp_avg_sq/final_layer.bias"; }),
                partial.end());
  CHECK_THROWS_WITH_AS(load_optimizer_state(*opt, o, *model, partial, "a.ckpt.h5"),
                       "a.ckpt.h5:/train/optimizer/exp_avg_sq/final_layer.bias: missing", Error);
}

TEST_CASE("runtime: devices, threads and the version report") {
  CHECK(resolve_device("cpu").is_cpu());
  CHECK_THROWS_WITH_AS(resolve_device("gpu"), "--device gpu: expected cpu, cuda, cuda:N or auto", UsageError);
  CHECK_THROWS_AS(resolve_device("cuda:x"), UsageError);
  if (torch::cuda::is_available()) {
    CHECK(resolve_device("auto").is_cuda());
    CHECK(resolve_device("cuda:0").index() == 0);
  } else {
    CHECK(resolve_device("auto").is_cpu());
    CHECK_THROWS_AS(resolve_device("cuda"), Error);
  }
  CHECK(default_threads() >= 1);
  CHECK(default_threads() <= 2);
  set_threads(1);
  CHECK(at::get_num_threads() == 1);
  set_threads(0);
  CHECK(at::get_num_threads() == default_threads());
  CHECK_THROWS_AS(set_threads(-1), UsageError);

  const std::string v = version_details();
  CHECK(v.find("LibTorch " + std::to_string(TORCH_VERSION_MAJOR) + ".") == 0);
  CHECK(v.find("\nBLAS: ") != std::string::npos);
  CHECK(v.find("\nOMP_WAIT_POLICY: ") != std::string::npos);
  // LibTorch links libblas.so.3, so some BLAS file is loaded and named.
  CHECK(blas_library_path().find("libblas.so") != std::string::npos);

  cli::CommonOptions common;
  common.threads = 1;
  auto hooks = torch_runtime_hooks();
  hooks.configure(common);
  CHECK(at::get_num_threads() == 1);
  common.device = "tpu";
  CHECK_THROWS_AS(hooks.configure(common), UsageError);

  // Through a tool, as every LibTorch tool registers them.
  cli::Tool tool("pose-test", "runtime hooks");
  tool.set_runtime_hooks(torch_runtime_hooks());
  int threads_seen = 0;
  CHECK(tool.run({"--threads", "2"}, [&] { threads_seen = at::get_num_threads(); }) == cli::ok);
  CHECK(threads_seen == 2);
  cli::Tool bad("pose-test", "runtime hooks");
  bad.set_runtime_hooks(torch_runtime_hooks());
  bool ran = false;
  CHECK(bad.run({"--device", "gpu"}, [&] { ran = true; }) == cli::usage);
  CHECK_FALSE(ran);
}
