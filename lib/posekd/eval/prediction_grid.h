#pragma once
// pose-eval --grid FILE.png: what several models predict on the same images, side by side — a
// row per image, a column per predictions file (teacher vs students), skeletons drawn with
// left limbs, right limbs and the centre line in different colours so left/right swaps show.
#include <string>
#include <vector>

#include "posekd/data/dataset.h"
#include "posekd/eval/run_eval.h"

namespace posekd {

// Images are `count` of the ground truth's images that have a labelled person, spread evenly
// over the file's order, each cropped to its labelled people (boxes padded by 15%). Drawn per
// model: its detections of the image scoring at least `min_score`, and their keypoints scoring
// at least `min_score` (every keypoint when a detection's keypoint scores are all 0, as in
// results files that carry none). Throws posekd::Error naming the annotation file and the
// image when an image cannot be read.
void write_prediction_grid(const Dataset& gt, const std::vector<ModelEvaluation>& models, int count,
                           const std::string& path, double min_score = 0.2);

}  // namespace posekd
