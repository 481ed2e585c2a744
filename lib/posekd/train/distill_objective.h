#pragma once
// The base of pose-distill's objectives: an Objective that owns its Teacher and lets it check
// the training set and hook the loader (train/teacher.h).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "posekd/train/objective.h"
#include "posekd/train/teacher.h"

namespace posekd::train {

class DistillObjective : public Objective {
 public:
  explicit DistillObjective(std::unique_ptr<Teacher> teacher) : teacher_(std::move(teacher)) {}
  void check_training_set(const std::vector<Instance>& instances, const Skeleton& skeleton,
                          const std::string& file) override {
    teacher_->check_training_set(instances, skeleton, file);
  }
  // Subclasses that turn targets on call this after doing so.
  void configure_loader(LoaderOptions& options) override { teacher_->configure_loader(options); }
  Teacher& teacher() { return *teacher_; }

 private:
  std::unique_ptr<Teacher> teacher_;
};

}  // namespace posekd::train
