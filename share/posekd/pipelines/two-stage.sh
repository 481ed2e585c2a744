#!/usr/bin/env bash
# The coarse-to-fine two-stage distillation, with posekd's tools:
#   1. the teacher, HRNet-W48 at 256x192, on ground truth, and its poses on the training set
#      stored once (a heatmaps file: stage 2 reads its /coords);
#   2. stage 1 (pose-distill --method two-stage): a SimCC student (ResNet-50) trained with
#      L = L_KL + gamma(t) * alpha * L_fea + gamma(t) * beta * L_pos, alpha = 5e-5, beta = 0.1,
#      gamma(t) = 1 - (t-1)/T; the feature term needs the live teacher (--teacher);
#   3. stage 2 (pose-refine-gcn --method igp): an IGP-GCN refiner on the frozen stage-1 student,
#      supervised by the teacher's poses (masked L1 of its three refined poses, 0.3, 0.5, 1);
#   4. the same SimCC student on ground truth alone, the baseline;
#   5. the four models evaluated side by side.
# Schedules are the presets' (hrnet-w48-256x192, simcc-r50-256x192); the refiner trains with
# pose-refine-gcn's defaults.
#
#   two-stage.sh [-n] [-e EPOCHS] [-o DIR] TRAIN.json VAL.json [-- TRAINING OPTIONS...]
recipe_name=two-stage
source "$(dirname "${BASH_SOURCE[0]}")/recipe-common.sh"
recipe_args "$@"

step "$out/teacher.ckpt.h5" pose-train --preset hrnet-w48-256x192 "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/teacher.ckpt.h5" "${extra[@]}"
step "$out/teacher.hm.h5" pose-dump-heatmaps "$out/teacher.ckpt.h5" "$train" -o "$out/teacher.hm.h5"
step "$out/student-stage1.ckpt.h5" pose-distill --method two-stage --teacher "$out/teacher.ckpt.h5" \
  --two-stage-alpha 5e-5 --two-stage-beta 0.1 --preset simcc-r50-256x192 "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/student-stage1.ckpt.h5" "${extra[@]}"
step "$out/student-stage2.ckpt.h5" pose-refine-gcn --method igp --base "$out/student-stage1.ckpt.h5" \
  --teacher-heatmaps "$out/teacher.hm.h5" --stage-weights 0.3 0.5 1 "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/student-stage2.ckpt.h5" "${extra[@]}"
step "$out/student-gt.ckpt.h5" pose-train --preset simcc-r50-256x192 "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/student-gt.ckpt.h5" "${extra[@]}"
evaluate teacher student-stage1 student-stage2 student-gt
