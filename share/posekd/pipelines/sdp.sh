#!/usr/bin/env bash
# SDP, self-distillation from an earlier batch with the stepping strategy, with posekd's tools.
# No teacher: at step t the model also sees the batch of s steps earlier and distils its own
# predictions on it from back then, L = L_gt + alpha * L_sd, alpha = 3; s starts at 1 and is
# multiplied by gamma = 10 whenever the learning rate is divided by 10.
#   1. HRNet-W32 at 256x192 with SDP (HRNet's schedule: lr x0.1 at epochs 170 and 200, so
#      s = 1, 10, 100);
#   2. the same without stepping (s = 1 throughout), the paper's ablation;
#   3. the same model on ground truth alone (pose-train), the baseline;
#   4. the three evaluated side by side.
# With -e EPOCHS the two learning-rate drops move with the schedule (at the same fractions of
# the run), so that a short trial still steps.
#
#   sdp.sh [-n] [-e EPOCHS] [-o DIR] TRAIN.json VAL.json [-- TRAINING OPTIONS...]
recipe_name=sdp
source "$(dirname "${BASH_SOURCE[0]}")/recipe-common.sh"
recipe_args "$@"
preset=hrnet-w32-256x192
if [ ${#schedule[@]} -gt 0 ]; then
  first=$((schedule[1] * 170 / 210)) second=$((schedule[1] * 200 / 210))
  [ "$first" -ge 1 ] || first=1
  [ "$second" -gt "$first" ] || second=$((first + 1))
  schedule+=(--milestones "$first" "$second")
fi

step "$out/sdp.ckpt.h5" pose-selfdistill --preset "$preset" --alpha 3 --distance 1 --stepping-gamma 10 \
  "${schedule[@]}" --train "$train" --val "$val" -o "$out/sdp.ckpt.h5" "${extra[@]}"
step "$out/sdp-no-stepping.ckpt.h5" pose-selfdistill --preset "$preset" --alpha 3 --distance 1 --no-stepping \
  "${schedule[@]}" --train "$train" --val "$val" -o "$out/sdp-no-stepping.ckpt.h5" "${extra[@]}"
step "$out/gt.ckpt.h5" pose-train --preset "$preset" "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/gt.ckpt.h5" "${extra[@]}"
evaluate sdp sdp-no-stepping gt
