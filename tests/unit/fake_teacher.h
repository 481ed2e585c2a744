#pragma once
// A live teacher for objective tests: a real model run under no-grad on the batch's images,
// with joints given by the test, and a record of the calls the objective makes; and reading
// an objective's logged loss terms.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "posekd/nn/model.h"
#include "posekd/train/objective.h"
#include "posekd/train/teacher.h"

namespace posekd::test {

class FakeTeacher : public train::Teacher {
 public:
  explicit FakeTeacher(const std::string& spec, bool live = true) : live_(live) {
    model_ = nn::make_model(spec, 3);
    model_->eval();
    info_.source = "fake-teacher.ckpt.h5";
    info_.model_spec = model_->info().spec.str();
    info_.input = model_->info().input;
    info_.heatmap = model_->info().heatmap;
  }
  bool online() const override { return live_; }
  const train::TeacherInfo& info() const override { return info_; }
  void check_training_set(const std::vector<Instance>&, const Skeleton& skeleton, const std::string&) override {
    checked_skeleton = skeleton.name;
  }
  void configure_loader(LoaderOptions& options) override { configured_heatmap_w = options.targets.heatmap_w; }
  train::TeacherBatch run(const Batch& batch, const torch::Device& device) override {
    torch::NoGradGuard no_grad;
    ++runs;
    train::TeacherBatch t;
    auto out = model_->forward(batch.images.to(device));
    if (!out.heatmaps.empty()) t.heatmaps = out.final_heatmaps();
    t.joints = joints.defined() ? joints : torch::zeros({batch.images.size(0), model_->info().joints, 3});
    if (live_) t.outputs = std::move(out);
    return t;
  }
  nn::PoseModelImpl& model() { return *model_; }

  torch::Tensor joints;  // [B,K,3] handed out by run()
  int runs = 0;
  std::string checked_skeleton;
  int configured_heatmap_w = 0;

 private:
  bool live_;
  nn::PoseModel model_;
  train::TeacherInfo info_;
};

// The names of an objective's logged loss terms, in order.
inline std::vector<std::string> term_names(const train::LossTerms& t) {
  std::vector<std::string> n;
  for (const auto& [name, value] : t.terms) n.push_back(name);
  return n;
}

// One logged term's value; fails the test when the objective did not log it.
inline double term_value(const train::LossTerms& t, const std::string& name) {
  for (const auto& [n, value] : t.terms)
    if (n == name) return value.item<double>();
  FAIL("no term " << name);
  return 0;
}

}  // namespace posekd::test
