#pragma once
// Running a loaded model over instances for evaluation and dumps: the plain crop (no
// augmentation), optional flip test, the checkpoint's decoding, keypoints back in image pixels.
// The Trainer's validation and pose-dump-heatmaps both call predict() and
// predictions_to_results(), so their numbers agree by construction.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "posekd/codec/flip_test.h"
#include "posekd/codec/heatmap_decode.h"
#include "posekd/core/affine.h"
#include "posekd/core/skeleton.h"
#include "posekd/data/instance.h"
#include "posekd/data/targets.h"
#include "posekd/eval/predictions.h"
#include "posekd/nn/model.h"

namespace posekd::train {

// Where predict()'s time went, for "ms per person" figures.
struct PredictTiming {
  int64_t people = 0;
  double model_seconds = 0;  // forward passes (both with flip test), decoding and copies to the host
  double total_seconds = 0;  // also waiting for the loader (JPEG decoding, cropping)
};

struct PredictOptions {
  int batch_size = 32;
  int workers = 2;
  int prefetch = 4;
  // Crop padding around the box. 1.25 for evaluation; dumps that students warp use more.
  double padding = 1.25;
  bool flip_test = true;
  // The shift of the flipped-back maps (codec/flip_test.h; regression and SimCC heads: mmpose's
  // shift_coords unless none). nullopt: HRNet's for the standard crop geometry, as validation and
  // mmpose evaluate; none for UDP, whose mirror needs none.
  std::optional<FlipShift> flip_shift;

  // flip_shift resolved for a model with this codec.
  FlipShift resolved_flip_shift(HeatmapCodec codec) const;
  // nullopt: the checkpoint codec's default decoder (codec/heatmap_decode.h).
  std::optional<HeatmapDecoder> decoder;
  // DARK blur kernel; 0: mmpose's sizes scaled to the map width (11 at width 48, 17 at 72).
  int blur_kernel = 0;
  // Hand the raw outputs of every batch to the callback (dumps): heatmaps, SimCC vectors,
  // these named features, and the tokens of token-based models.
  bool keep_outputs = false;
  std::vector<std::string> features;
  bool tokens = false;
  // false: predict() returns nothing and holds only the current batch's predictions (those
  // the callback sees), so a dump of any size runs in bounded memory.
  bool keep_predictions = true;
  PredictTiming* timing = nullptr;  // filled when given
};

struct InstancePrediction {
  int64_t index = 0;  // position in the instance list given to predict()
  int64_t sample_id = 0, image_id = 0;
  std::vector<double> keypoints;  // K × (x, y, score), image pixels
  double box_score = 1;           // Instance::score: 1 for ground truth, the detector's score
  double area = 0;                // HRNet's NMS area: the 1.25-padded crop's width × height
  Affine2D crop;                  // image -> input, the crop the model saw
};

// One batch's raw outputs on the CPU, float32, contiguous, rows in prediction order. With
// flip test, heatmaps and SimCC vectors are the merged ones (what was decoded); features and
// tokens come from the unflipped run. Undefined tensors for what the model lacks.
struct PredictedBatch {
  int64_t first = 0;                               // index of the batch's first prediction
  const InstancePrediction* predictions = nullptr;  // `size` entries
  int64_t size = 0;
  at::Tensor heatmaps;                  // [B,K,h,w]
  at::Tensor simcc_x, simcc_y;          // [B,K,Wx], [B,K,Wy] logits
  at::Tensor coords, sigma, score;      // regression: [B,K,2] and [B,K,2] input fractions, [B,K]
  std::map<std::string, at::Tensor> features;  // by PredictOptions::features
  at::Tensor keypoint_tokens, visual_tokens;   // [B,K,D], [B,P,D]
  at::Tensor images;  // [B,3,H,W] the normalised input crops (keep_outputs)
};
// Called on the calling thread after each batch, in order. May throw (posekd::Interrupted
// stops at this batch boundary).
using BatchCallback = std::function<void(const PredictedBatch&)>;

// The loader's crop and map geometry for `model`: its input and heatmap sizes and the
// checkpoint's target convention. Training and inference both build on it.
TargetOptions model_targets(const nn::ModelInfo& info, HeatmapCodec codec);

// Runs `model` (eval mode) over `instances` in order, batch b = instances [b·B, (b+1)·B).
// Works for heatmap, SimCC and regression heads. Instances must have the skeleton's K
// keypoints (detections carry K unlabelled ones).
std::vector<InstancePrediction> predict(nn::PoseModelImpl& model, const Skeleton& skeleton, HeatmapCodec codec,
                                        const std::vector<Instance>& instances, const PredictOptions& options,
                                        const BatchCallback& on_batch = {});

// pose-eval's options of the same names, with its defaults.
struct ResultOptions {
  bool rescore = false;  // HRNet's keypoint-confidence rescoring
  double rescore_threshold = 0.2;
  double oks_nms = 0;  // > 0: HRNet's OKS-NMS per image at this threshold
};

// Predictions as pose-eval reads COCO results, rescored and NMS'd as pose-eval does
// (eval/predictions.h), in HRNet's output order.
PosePredictions predictions_to_results(const std::vector<InstancePrediction>& predictions, const Skeleton& skeleton,
                                       const ResultOptions& options);

// COCO results JSON (image_id, category_id, keypoints, score); coordinates printed as the
// shortest decimal that reads back to the same double, so an evaluation of the file equals
// one of `results`.
void write_coco_results(const PosePredictions& results, const std::string& path, int64_t category_id = 1);

}  // namespace posekd::train
