#pragma once
// The teacher of a distillation run (DESIGN 1, 3.3), stored or live, behind one interface that
// every distillation objective uses (pose-distill's fpd, skd, two-stage, distilpose;
// pose-refine-gcn's igp takes its poses).
//
//   TeacherRequirements needs;  needs.method = "fpd";  needs.heatmaps = true;
//   auto teacher = make_teacher(teacher_options, needs);        // refuses what it cannot give
//   teacher->check_training_set(instances, skeleton, file);      // before training: ids, skeleton
//   teacher->configure_loader(loader_options);                  // from Objective::configure_loader
//   TeacherBatch t = teacher->run(batch, device);               // from Objective::loss, no grad
//
// Offline (--teacher-heatmaps FILE|-): the loader's extra-target hook joins each sample to its
// stored record by sample_id and warps the stored map from the dump's crop into the student's
// augmented crop (codec/teacher_warp) on the loader's worker threads; one reader thread streams
// the records in the epoch's order into a bounded cache, so memory does not grow with the file.
// Online (--teacher CKPT): the teacher model runs in eval mode under no-grad on the same
// augmented samples; when its input size or crop geometry differs from the student's, the
// loader renders its own crop of the same AugParams.
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "posekd/codec/teacher_warp.h"
#include "posekd/core/skeleton.h"
#include "posekd/data/loader.h"
#include "posekd/nn/model.h"

namespace posekd::train {

// Where the teacher's maps are sampled: always over the student's (augmented) crop, at the
// student's heatmap size or at the teacher's own (DDSR's cross-resolution distillation).
enum class TeacherMapResolution { student, teacher };

// What a method needs from its teacher; make_teacher refuses, before any data is read, a
// teacher that cannot give it, naming the method and the missing part.
struct TeacherRequirements {
  std::string method;  // for messages: "skd needs ..."
  bool heatmaps = true;
  TeacherMapResolution resolution = TeacherMapResolution::student;
  bool joints = false;  // teacher joint positions (TeacherBatch::joints)
  // The model outputs below exist only for a live teacher: they are not warp-invariant
  // (DESIGN 3.3). A method asking for any of them refuses --teacher-heatmaps.
  std::vector<std::string> features;  // named features (nn::ModelOutputs::features)
  bool all_features = false;          // every feature the teacher has
  bool tokens = false;                // keypoint and visual tokens (a token-based teacher)
  bool simcc = false;                 // SimCC logits (a SimCC teacher)

  bool needs_online() const { return all_features || !features.empty() || tokens || simcc; }
};

struct TeacherOptions {
  std::string heatmaps;    // --teacher-heatmaps FILE, "-" = an HDF5 file image on stdin
  std::string checkpoint;  // --teacher CKPT
  TeacherWarpOptions warp;
  // Offline: records read ahead of the batches being built, at most (the reader's cache).
  // 0: (loader prefetch + workers + 1) batches.
  int64_t cache_samples = 0;
};

// Describes the teacher in the student's terms.
struct TeacherInfo {
  std::string source;      // the file given (for messages and logs)
  std::string model_spec;  // the teacher model's spec (stored in a heatmaps file too)
  nn::InputSize input;     // the teacher's crop size
  nn::InputSize heatmap;   // the teacher's own map size
  HeatmapCodec codec = HeatmapCodec::unbiased;  // its target convention (crop geometry)
  Skeleton skeleton;
};

// One batch's teacher side, on the requested device, without autograd history.
struct TeacherBatch {
  // [B,K,h,w] teacher maps over the student's crop, flip pairs in the student's order, at the
  // student's heatmap size or at TeacherInfo::heatmap (TeacherRequirements::resolution).
  // Map pixels relate to student input pixels by input_to_heatmap of that size and the
  // student's crop geometry. Undefined unless TeacherRequirements::heatmaps.
  torch::Tensor heatmaps;
  // [B,K,3] teacher joints: x, y in student input pixels, score (the decoded maximum; offline:
  // the stored /coords taken through the student's crop; online: the teacher checkpoint's own
  // decoder on its own output, as pose-dump-heatmaps decodes).
  torch::Tensor joints;
  // Live teacher only: everything its forward returned (features, tokens, SimCC, its own
  // heatmaps), on the teacher's crop, which covers the student's crop region at the teacher's
  // input size.
  std::optional<nn::ModelOutputs> outputs;
  // [B,2,3] float64: teacher input pixels -> student input pixels (identity when they share
  // input size and geometry). Maps positions in `outputs` (SimCC, regression) to the student.
  torch::Tensor teacher_to_student;
};

class Teacher {
 public:
  virtual ~Teacher() = default;
  virtual bool online() const = 0;
  virtual const TeacherInfo& info() const = 0;
  // Before training: the teacher's skeleton equals the training set's, and (offline) every
  // training sample_id has a completed record; refusals name both files and the missing ids.
  virtual void check_training_set(const std::vector<Instance>& instances, const Skeleton& skeleton,
                                  const std::string& training_file) = 0;
  // Reads the student's geometry from `options.targets` and installs what run() needs on
  // every batch (offline: the warped maps; online: the teacher's own crop when it differs).
  // Chains any extra-target hook already installed.
  virtual void configure_loader(LoaderOptions& options) = 0;
  // The teacher side of `batch` (as the loader built it, possibly already on `device`).
  virtual TeacherBatch run(const Batch& batch, const torch::Device& device) = 0;
};

// --teacher-heatmaps xor --teacher (UsageError otherwise, and when `needs` asks a stored
// teacher for what only a live one has). Opens the file or loads the checkpoint (eval mode, on
// `device`) and refuses one that lacks what `needs` asks for.
std::unique_ptr<Teacher> make_teacher(const TeacherOptions& options, const TeacherRequirements& needs,
                                      const torch::Device& device);

// The names TeacherBatch's tensors travel under in Batch::extra (offline and online hooks).
inline constexpr const char* kTeacherHeatmapsExtra = "teacher.heatmaps";
inline constexpr const char* kTeacherJointsExtra = "teacher.joints";
inline constexpr const char* kTeacherImagesExtra = "teacher.images";
inline constexpr const char* kTeacherAffinesExtra = "teacher.affines";

}  // namespace posekd::train
