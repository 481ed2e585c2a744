#pragma once
// The two teachers behind make_teacher (train/teacher.h).
#include <memory>

#include "posekd/train/teacher.h"

namespace posekd::train {

// --teacher-heatmaps: stored maps warped into the student's crops by the loader.
std::unique_ptr<Teacher> make_stored_teacher(const TeacherOptions& options, const TeacherRequirements& needs);
// --teacher: the checkpoint run on the student's batches.
std::unique_ptr<Teacher> make_live_teacher(const TeacherOptions& options, const TeacherRequirements& needs,
                                           const torch::Device& device);

// The frame teacher maps are delivered in: the student's crop at the requested map size.
CropFrame teacher_target_frame(const TargetOptions& student, const Affine2D& student_crop, const TeacherInfo& teacher,
                               TeacherMapResolution resolution);

// Chains a loader hook after the one already installed (another objective's extra targets).
void add_extra_targets(LoaderOptions& options, ExtraTargetFn fn);
void add_epoch_order(LoaderOptions& options, EpochOrderFn fn);

}  // namespace posekd::train
