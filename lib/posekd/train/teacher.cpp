#include "posekd/train/teacher.h"

#include "posekd/core/error.h"
#include "posekd/train/teacher_sources.h"

namespace posekd::train {

std::unique_ptr<Teacher> make_teacher(const TeacherOptions& options, const TeacherRequirements& needs,
                                      const torch::Device& device) {
  if (!options.heatmaps.empty() && !options.checkpoint.empty())
    throw UsageError("--teacher-heatmaps and --teacher exclude each other: give one teacher");
  if (options.heatmaps.empty() && options.checkpoint.empty())
    throw UsageError(needs.method + " needs a teacher: --teacher-heatmaps FILE (stored) or --teacher CKPT (live)");
  if (!options.heatmaps.empty()) return make_stored_teacher(options, needs);
  return make_live_teacher(options, needs, device);
}

CropFrame teacher_target_frame(const TargetOptions& student, const Affine2D& student_crop, const TeacherInfo& teacher,
                               TeacherMapResolution resolution) {
  CropFrame frame{student_crop, student.input_w, student.input_h, student.heatmap_w, student.heatmap_h,
                  student.geometry()};
  if (resolution == TeacherMapResolution::teacher) {
    frame.heatmap_w = teacher.heatmap.width;
    frame.heatmap_h = teacher.heatmap.height;
  }
  return frame;
}

void add_extra_targets(LoaderOptions& options, ExtraTargetFn fn) {
  ExtraTargetFn before = std::move(options.extra_targets);
  if (!before) {
    options.extra_targets = std::move(fn);
    return;
  }
  options.extra_targets = [before = std::move(before), fn = std::move(fn)](const ExtraTargetRequest& req) {
    auto out = before(req);
    auto more = fn(req);
    out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    return out;
  };
}

void add_epoch_order(LoaderOptions& options, EpochOrderFn fn) {
  EpochOrderFn before = std::move(options.on_epoch_order);
  if (!before) {
    options.on_epoch_order = std::move(fn);
    return;
  }
  options.on_epoch_order = [before = std::move(before), fn = std::move(fn)](int64_t epoch, const std::vector<size_t>& order,
                                                                            size_t first) {
    before(epoch, order, first);
    fn(epoch, order, first);
  };
}

}  // namespace posekd::train
