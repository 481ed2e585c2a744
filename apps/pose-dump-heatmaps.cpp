// pose-dump-heatmaps: run a model once over a dataset and store its heatmaps, decoded
// keypoints and (on request) features, tokens and COCO results.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "posekd/cli/tool.h"
#include "posekd/core/error.h"
#include "posekd/train/dump.h"
#include "posekd/train/runtime.h"

int main(int argc, char** argv) {
  posekd::cli::Tool tool("pose-dump-heatmaps",
                         "Run a checkpoint over a dataset once: teacher heatmaps (.hm.h5) and/or COCO results");
  tool.set_runtime_hooks(posekd::torch_runtime_hooks());
  posekd::train::DumpOptions o;
  std::vector<std::string> inputs;
  std::string shard, flip_shift = "auto";
  bool no_flip = false, merge = false;
  auto& app = tool.app();
  app.add_option("inputs", inputs, "CHECKPOINT DATASET (annotation file); with --merge: the shard files")->required();
  app.add_option("-o,--output", o.output, "Heatmaps file to write (\"-\": the HDF5 file image on stdout)");
  app.add_option("--predictions", o.predictions, "COCO results JSON to write (\"-\": stdout)");
  app.add_flag("--force", o.force, "Overwrite existing outputs");
  app.add_option("--format", o.dataset_format, "Dataset format: auto, coco, crowdpose, mpii")->capture_default_str();
  app.add_option("--image-dir", o.image_dir, "Image folder (default: the annotation file's folder)");
  app.add_option("--detections", o.detections,
                 "COCO results file of detector boxes (default: ground-truth boxes); sample_id = position in this file");
  app.add_option("--det-threshold", o.detection_threshold, "Keep detector boxes scoring at least this")
      ->capture_default_str();
  app.add_flag("--float32", o.float32, "Store heatmaps and extras as float32 (default float16)");
  app.add_option("--deflate", o.deflate, "gzip level of the stored arrays (0: none)")
      ->check(CLI::Range(0, 9))
      ->capture_default_str();
  app.add_option("--dump-padding", o.padding,
                 "Crop padding around the box (0: 1.25, the crop the model was trained on)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  app.add_flag("--no-flip-test", no_flip, "Run the model once per crop, without the mirrored input");
  app.add_option("--flip-shift", flip_shift,
                 "Shift of the flipped-back heatmaps: hrnet (one column, HRNet's and mmpose's), exact (1 - 1/stride "
                 "columns), none, or auto (exact when writing heatmaps, else hrnet; none for UDP)")
      ->check(CLI::IsMember({"auto", "hrnet", "exact", "none", "on", "off"}))
      ->capture_default_str();
  app.add_option("--decoder", o.decoder, "Heatmap decoder: argmax, quarter-offset, dark, dark-udp (default: the checkpoint's)");
  app.add_option("--blur-kernel", o.blur_kernel, "DARK blur kernel (0: 11 at width 48, scaled with the map)")
      ->check(CLI::Range(0, 99))
      ->capture_default_str();
  app.add_option("--features", o.features, "Also store this named intermediate feature map (repeatable)");
  app.add_flag("--tokens", o.tokens, "Also store keypoint and visual tokens (token-based models)");
  app.add_flag("--rescore", o.results.rescore, "Rescore each prediction: mean keypoint score above the threshold x box score (HRNet)");
  app.add_option("--rescore-threshold", o.results.rescore_threshold, "Keypoint score threshold of --rescore")
      ->capture_default_str();
  app.add_option("--oks-nms", o.results.oks_nms, "OKS-NMS per image at this OKS threshold (HRNet: 0.9; 0: off)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--shard", shard, "Dump only shard i of n (i/n; default from SLURM_ARRAY_TASK_ID/COUNT)");
  app.add_flag("--resume", o.resume, "Continue an interrupted dump from its .partial (same arguments required)");
  app.add_option("--batch-size", o.batch_size, "Crops per forward pass")->check(CLI::Range(1, 1 << 16))->capture_default_str();
  app.add_option("--visualize", o.visualize, "Write PNG overlays (heatmaps and skeleton on the crop) into this folder");
  app.add_option("--limit", o.visualize_limit, "Overlays to write with --visualize")->check(CLI::Range(0, 1 << 30))->capture_default_str();
  app.add_flag("--merge", merge, "Merge shard files (the inputs) into -o FILE through virtual datasets");
  return tool.run(argc, argv, [&] {
    if (merge) return posekd::train::merge_dumps(inputs, o.output, o.force);
    if (inputs.size() != 2)
      throw posekd::UsageError(fmt::format("expected CHECKPOINT DATASET, found {} arguments", inputs.size()));
    o.checkpoint = inputs[0];
    o.dataset = inputs[1];
    o.flip_test = !no_flip;
    // --print-config writes `features=""`, which reads back as one empty name.
    o.features.erase(std::remove(o.features.begin(), o.features.end(), std::string()), o.features.end());
    if (flip_shift != "auto") o.flip_shift = posekd::parse_flip_shift(flip_shift, "--flip-shift");
    if (!shard.empty()) {
      std::tie(o.shard_index, o.shard_count) = posekd::train::parse_shard(shard);
    } else if (auto slurm = posekd::train::shard_from_slurm()) {
      std::tie(o.shard_index, o.shard_count) = *slurm;
    }
    o.workers = tool.common().workers;
    o.device = tool.common().device;
    posekd::train::run_dump(o);
  });
}
