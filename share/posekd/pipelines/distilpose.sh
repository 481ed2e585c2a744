#!/usr/bin/env bash
# DistilPose (Ye et al., CVPR 2023), with posekd's tools:
#   1. the teacher, a token-based heatmap model (TokenPose-S at 256x192), on ground truth;
#   2. the regression student (ResNet-18 stem and a transformer with keypoint tokens,
#      predicting x, y, sigma and a confidence per joint) distilled from the live teacher:
#      L = L_reg + a1*L_KT + a2*L_VT + a3*L_SH + a4*L_CS, a = 5e-4, 5e-4, 1, 1e-2 (keypoint and
#      visual token MSE, simulated heatmaps, confidence); pose-distill's token terms need the
#      live teacher (--teacher), run on every augmented batch;
#   3. the same student on ground truth alone, the paper's baseline;
#   4. the three evaluated side by side, each instance scored as box score x mean confidence
#      (--rescore, as the paper's mmpose code).
# Schedules are the presets' (tokenpose-s-256x192: AdamW, 300 epochs; distilpose-student-256x192:
# Adam 1e-3, 300 epochs). The paper's ablation drops terms with --distilpose-no-kt, -no-vt,
# -no-sh, -no-cs (pass them after --).
#
#   distilpose.sh [-n] [-e EPOCHS] [-o DIR] TRAIN.json VAL.json [-- TRAINING OPTIONS...]
recipe_name=distilpose
source "$(dirname "${BASH_SOURCE[0]}")/recipe-common.sh"
recipe_args "$@"
predict_options=(--rescore)

step "$out/teacher.ckpt.h5" pose-train --preset tokenpose-s-256x192 "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/teacher.ckpt.h5" "${extra[@]}"
step "$out/student-distilpose.ckpt.h5" pose-distill --method distilpose --teacher "$out/teacher.ckpt.h5" \
  --distilpose-kt-weight 5e-4 --distilpose-vt-weight 5e-4 --distilpose-sh-weight 1 --distilpose-cs-weight 1e-2 \
  --preset distilpose-student-256x192 "${schedule[@]}" --train "$train" --val "$val" \
  -o "$out/student-distilpose.ckpt.h5" "${extra[@]}"
step "$out/student-gt.ckpt.h5" pose-train --preset distilpose-student-256x192 "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/student-gt.ckpt.h5" "${extra[@]}"
evaluate teacher student-distilpose student-gt
