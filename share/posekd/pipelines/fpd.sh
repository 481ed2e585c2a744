#!/usr/bin/env bash
# FPD, Fast Pose Distillation (Zhang, Zhu and Ye, CVPR 2019), with posekd's tools:
#   1. the teacher, an 8-stack hourglass of 256 channels, trained on ground truth;
#   2. its heatmaps on the training set stored once (FPD runs the teacher on every batch; the
#      stored maps are warped into each augmented student crop instead);
#   3. the student, a 4-stack hourglass of 128 channels, trained with
#      L = alpha * MSE(student, teacher) + (1 - alpha) * MSE(student, ground truth), alpha = 0.5;
#   4. the same student on ground truth alone, the paper's baseline;
#   5. all three evaluated on the validation set, side by side.
# Schedules are the paper's (presets fpd-hourglass-teacher and fpd-hourglass-student: RMSprop
# 2.5e-4, 150 epochs, 256x256 inputs).
#
#   fpd.sh [-n] [-e EPOCHS] [-o DIR] TRAIN.json VAL.json [-- TRAINING OPTIONS...]
recipe_name=fpd
source "$(dirname "${BASH_SOURCE[0]}")/recipe-common.sh"
recipe_args "$@"

step "$out/teacher.ckpt.h5" pose-train --preset fpd-hourglass-teacher "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/teacher.ckpt.h5" "${extra[@]}"
step "$out/teacher.hm.h5" pose-dump-heatmaps "$out/teacher.ckpt.h5" "$train" -o "$out/teacher.hm.h5"
step "$out/student-fpd.ckpt.h5" pose-distill --method fpd --fpd-alpha 0.5 --teacher-heatmaps "$out/teacher.hm.h5" \
  --preset fpd-hourglass-student "${schedule[@]}" --train "$train" --val "$val" -o "$out/student-fpd.ckpt.h5" "${extra[@]}"
step "$out/student-gt.ckpt.h5" pose-train --preset fpd-hourglass-student "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/student-gt.ckpt.h5" "${extra[@]}"
evaluate teacher student-fpd student-gt
