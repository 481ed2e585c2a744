#pragma once
// Helpers of the training tests (train_*_test.cpp): a tiny synthetic training set and the
// comparison of two runs' checkpoint arrays.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "posekd/data/synth.h"
#include "posekd/io/checkpoint.h"
#include "posekd/train/train_options.h"
#include "test_support.h"

namespace posekd::test {

// The smallest model the training tests run: a few seconds for two epochs on one thread.
inline const char* const kTinyModel = "resnet:depth=18,width=2,deconvs=1,deconv_channels=4,input=32x32";

// Two epochs of kTinyModel on the calling thread, with an lr milestone after the first: an lr
// change at the epoch boundary is part of what a resume must restore.
inline train::TrainOptions tiny_train_options(const std::string& annotations, const std::string& output, int batch_size) {
  train::TrainOptions o;
  o.train_annotations = annotations;
  o.model = kTinyModel;
  o.output = output;
  o.epochs = 2;
  o.batch_size = batch_size;
  o.workers = 0;
  o.seed = 7;
  o.optimizer.lr = 1e-2;
  o.schedule.milestones = {1};
  o.log_every = 1000;
  return o;
}

// `images` pose-synth images of 96×72 in DIR/SPLIT; returns the annotation file.
inline std::string make_synth(const ScratchDir& dir, const std::string& split, int images) {
  SynthOptions s;
  s.output_dir = dir.file(split);
  s.images = images;
  s.split = split;
  s.width = 96;
  s.height = 72;
  s.threads = 1;
  return run_synth(s).annotation_path;
}

// The largest absolute difference between same-named, same-shaped arrays.
inline float max_difference(const std::vector<io::NamedArray>& a, const std::vector<io::NamedArray>& b) {
  REQUIRE(a.size() == b.size());
  float worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].name == b[i].name);
    REQUIRE(a[i].shape == b[i].shape);
    REQUIRE(a[i].values.size() == b[i].values.size());
    for (size_t j = 0; j < a[i].values.size(); ++j) worst = std::max(worst, std::abs(a[i].values[j] - b[i].values[j]));
  }
  return worst;
}

}  // namespace posekd::test
