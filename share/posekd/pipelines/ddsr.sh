#!/usr/bin/env bash
# DDSR, Distilling Dynamic Spatial Relation, with posekd's tools:
#   1. the teacher's backbone, HRNet-W48 at 384x288 (96x72 maps), on ground truth;
#   2. DSR x4 on top of it (pose-refine-gcn --method dsr): relative-location statistics D of
#      the training annotations, edge weights Conv7x7(Norm(D)), anchor joints above tau = 0.75,
#      four propagation stages (Eq. 6), each supervised by the heatmap loss; the backbone is
#      fine-tuned with them. The FCs on vectorised maps are factorised (width 64, the tool's
#      default): the paper's full FC (--refiner width=0) is far larger at 96x72 maps;
#   3. the refined teacher's heatmaps on the training set, stored once;
#   4. the student, HRNet-W32 at 128x96 (32x24 maps), trained with spatial knowledge
#      distillation (pose-distill --method skd): L_LOC + joint maps + edge (relative-offset)
#      Gaussian maps, the 96x72 teacher maps warped down to the student's crop and size;
#   5. the same student on ground truth alone, the baseline;
#   6. the four models evaluated side by side.
# Schedules are HRNet's (presets hrnet-w48-256x192 and hrnet-w32-256x192, input sizes given
# with --model).
#
#   ddsr.sh [-n] [-e EPOCHS] [-o DIR] TRAIN.json VAL.json [-- TRAINING OPTIONS...]
recipe_name=ddsr
source "$(dirname "${BASH_SOURCE[0]}")/recipe-common.sh"
recipe_args "$@"
teacher=(--preset hrnet-w48-256x192 --model "hrnet:width=48,input=384x288")
student=(--preset hrnet-w32-256x192 --model "hrnet:width=32,input=128x96")

step "$out/teacher-base.ckpt.h5" pose-train "${teacher[@]}" "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/teacher-base.ckpt.h5" "${extra[@]}"
step "$out/teacher.ckpt.h5" pose-refine-gcn --method dsr --base "$out/teacher-base.ckpt.h5" \
  --refiner "stages=4,tau=0.75" --finetune "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/teacher.ckpt.h5" "${extra[@]}"
step "$out/teacher.hm.h5" pose-dump-heatmaps "$out/teacher.ckpt.h5" "$train" -o "$out/teacher.hm.h5"
step "$out/student-skd.ckpt.h5" pose-distill --method skd --teacher-heatmaps "$out/teacher.hm.h5" \
  "${student[@]}" "${schedule[@]}" --train "$train" --val "$val" -o "$out/student-skd.ckpt.h5" "${extra[@]}"
step "$out/student-gt.ckpt.h5" pose-train "${student[@]}" "${schedule[@]}" \
  --train "$train" --val "$val" -o "$out/student-gt.ckpt.h5" "${extra[@]}"
evaluate teacher-base teacher student-skd student-gt
