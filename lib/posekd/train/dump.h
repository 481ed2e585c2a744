#pragma once
// pose-dump-heatmaps as a library call (STYLE 1): run a checkpoint once over a dataset and
// store what distillation and evaluation need (DESIGN 3.3, 3.4).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "posekd/train/predict.h"

namespace posekd::train {

struct DumpOptions {
  std::string checkpoint;
  std::string dataset;  // annotation file: its images, its ground-truth boxes
  std::string dataset_format = "auto";
  std::string image_dir;  // "" = the annotation file's folder
  // COCO results file of detector boxes; "" = the ground-truth boxes. A detection's
  // sample_id is its 0-based position in this file (all entries counted, before the score
  // threshold), since detections have no annotation id.
  std::string detections;
  double detection_threshold = 0.0;  // keep boxes whose score is >= this (mmpose's det_bbox_thr)

  std::string output;       // heatmaps file; "-" = stdout; "" = none
  std::string predictions;  // COCO results JSON; "-" = stdout; "" = none
  bool force = false;
  bool float32 = false;  // /heatmaps and extras in float32 instead of float16
  int deflate = 0;
  // Crop padding. 0: 1.25, the crop teachers are trained and validated on. Joints lie inside
  // the box, so any padding >= 1 keeps their peaks in the stored map (doc/DECISIONS.md).
  double padding = 0;
  bool flip_test = true;
  // nullopt: exact when a heatmaps file is written (stored maps and /coords without HRNet's
  // 1/8-column bias: they are targets), else HRNet's as validation (codec/flip_test.h).
  std::optional<FlipShift> flip_shift;
  std::string decoder;  // "" = the checkpoint's default
  int blur_kernel = 0;
  std::vector<std::string> features;  // named intermediate feature maps to store
  bool tokens = false;                // keypoint and visual tokens of token-based models
  ResultOptions results;

  int shard_index = 0, shard_count = 1;  // contiguous, batch-aligned ranges of the samples
  bool resume = false;
  int batch_size = 32;
  int workers = 2;
  std::string device = "cpu";

  std::string visualize;  // folder for PNG overlays; "" = none
  int visualize_limit = 16;
};

// "i/n" -> (i, n); throws UsageError.
std::pair<int, int> parse_shard(const std::string& text);
// From SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN, when set) and SLURM_ARRAY_TASK_COUNT;
// nullopt when they are not set.
std::optional<std::pair<int, int>> shard_from_slurm();

// The instances a dump runs over, in dump order: the dataset's annotations, or the
// detections at or above the threshold (keypoints all unlabelled).
std::vector<Instance> dump_instances(const DumpOptions& options, Skeleton* skeleton = nullptr);

// Throws Error (bad data), UsageError (bad options), Interrupted (SIGINT/SIGTERM: the
// .partial is kept for --resume).
void run_dump(const DumpOptions& options);

// One logical file over the shards' rows (io::merge_heatmap_shards), after checking that
// they are shards of one dump: the same arguments apart from --shard, every shard once.
void merge_dumps(const std::vector<std::string>& shards, const std::string& output, bool force);

}  // namespace posekd::train
