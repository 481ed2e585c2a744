#!/usr/bin/env bash
# The demo pipeline (`make -f Makefile.dist demo`): what a user of posekd does, with the tools
# themselves, on data pose-synth makes.
#
#   pose-synth (train with label noise, clean val) -> pose-train teacher -> pose-dump-heatmaps
#   (teacher maps for distillation, predictions) -> pose-train student on ground truth ->
#   pose-distill students (fpd, skd) -> pose-eval -> report
#   (demo/report.md with ap.png, curves.png and grid.png)
#
# Environment: DEMO=quick|full|tiny (data and epochs), DEMO_OUT (default ./demo), DEMO_FORCE=1 reruns
# every stage, DEMO_JOBS=N trains up to N students at once (each with nproc/N compute threads;
# default 2 when there are 2 cores or more; the timed prediction stages run one at a time).
# A stage is skipped when its outputs exist and its command and inputs are unchanged (a stamp
# file records both). Tools are taken from PATH.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
share=$(cd "$here/.." && pwd)          # share/posekd (source tree or install prefix)
out=${DEMO_OUT:-demo}
size=${DEMO:-quick}
force=${DEMO_FORCE:-0}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

case "$size" in
  quick) train_images=800 val_images=150 epochs_teacher=6 epochs_student=3 epochs_refine=1 ;;
  full)  train_images=1500 val_images=300 epochs_teacher=9 epochs_student=8 epochs_refine=4 ;;
  tiny)  train_images=40 val_images=12 epochs_teacher=1 epochs_student=1 epochs_refine=1 ;;  # tests/cli/demo_pipeline.sh
  *) echo "demo: DEMO must be quick, full or tiny, not '$size'" >&2; exit 2 ;;
esac

mkdir -p "$out/stamps"
log() { printf 'demo: %s\n' "$*" >&2; }

# fingerprint FILE...: size and mtime of each input (directories: their annotation file).
fingerprint() {
  local f
  for f in "$@"; do
    [ -d "$f" ] && f="$f/annotations.json"
    stat -c '%n %s %Y' "$f"
  done
}

# stage NAME "OUTPUTS" "INPUTS" CMD... : runs CMD unless its stamp matches and outputs exist.
stage() {
  local name=$1 outputs=$2 inputs=$3; shift 3
  local stamp="$out/stamps/$name" want o missing=0
  want=$(printf '%q ' "$@"; echo; [ -z "$inputs" ] || fingerprint $inputs)
  for o in $outputs; do [ -e "$o" ] || missing=1; done
  if [ "$force" != 1 ] && [ "$missing" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "$name: up to date"
    return
  fi
  log "$name: $*"
  local start=$SECONDS
  "$@"
  echo "$want" > "$stamp"
  log "$name: done in $((SECONDS - start)) s"
}

# spawn STAGE-ARGS...: a stage in the background when DEMO_JOBS > 1 (at most that many at once);
# barrier waits for them all and stops the demo if one failed. Training commands of spawned
# stages take "${par_args[@]}" (their share of the cores; empty when DEMO_JOBS is 1, so the
# commands, and the stamps, are those of a sequential run).
jobs_max=${DEMO_JOBS:-$(($(nproc) >= 2 ? 2 : 1))}
case "$jobs_max" in '' | *[!0-9]* | 0) echo "demo: DEMO_JOBS must be a positive number, not '$jobs_max'" >&2; exit 2 ;; esac
par_args=()
if [ "$jobs_max" -gt 1 ]; then
  threads=$(($(nproc) / jobs_max))
  par_args=(--threads "$((threads > 0 ? threads : 1))")
fi
spawned=()
spawn() {
  if [ "$jobs_max" = 1 ]; then
    stage "$@"
    return
  fi
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do sleep 1; done
  stage "$@" &
  spawned+=("$!")
}
barrier() {
  local pid failed=0
  for pid in "${spawned[@]}"; do wait "$pid" || failed=1; done
  spawned=()
  if [ "$failed" = 1 ]; then
    log "a stage failed (its error is above)"
    exit 1
  fi
}

# ranks N CMD...: CMD as N data-parallel processes on this machine, rendezvous through a fresh
# file, each with 1 compute thread and 1 loader worker (on 2 cores, two 1-thread processes train
# the quick teacher ~1.7x faster than one 2-thread process: README, "Training on several
# processes"). Rank 0 reports; the others log to OUT/stamps/rank-R.log. If a rank fails, the
# rest are stopped rather than left waiting for it in an all-reduce.
ranks() {
  local n=$1; shift
  if [ "$n" -le 1 ]; then
    "$@"
    return
  fi
  local rdzv="$out/stamps/rendezvous" r pids=() status=0
  rm -f "$rdzv"
  for ((r = 0; r < n; r++)); do
    # Rank 0 inherits stderr (2> /dev/stderr would reopen, and truncate, a caller's log file).
    if [ "$r" = 0 ]; then
      RANK=$r WORLD_SIZE=$n LOCAL_RANK=$r "$@" --threads 1 --workers 1 --dist-file "$rdzv" &
    else
      RANK=$r WORLD_SIZE=$n LOCAL_RANK=$r "$@" --threads 1 --workers 1 --dist-file "$rdzv" 2> "$out/stamps/rank-$r.log" &
    fi
    pids+=("$!")
  done
  local remaining=("${pids[@]}") still p
  while [ "${#remaining[@]}" -gt 0 ]; do
    sleep 1
    still=()
    for p in "${remaining[@]}"; do
      if kill -0 "$p" 2> /dev/null; then still+=("$p"); elif ! wait "$p"; then status=1; fi
    done
    remaining=("${still[@]}")
    if [ "$status" != 0 ] && [ "${#remaining[@]}" -gt 0 ]; then kill "${remaining[@]}" 2> /dev/null || true; fi
  done
  rm -f "$rdzv"
  return "$status"
}

data="$out/data"
# Training labels carry the two kinds of annotation noise real ones do: 15% of the people with a
# mistake (jitter, a left/right swap, dropped joints) and, on every joint, annotator imprecision
# of COCO's measured spread (pose-synth(1), LABEL NOISE). The teacher averages the imprecision
# out; its maps and poses are better targets than the labels, which is what distillation uses.
stage synth-train "$data/train/annotations.json" "" \
  pose-synth -o "$data/train" --split train -n "$train_images" --label-noise 0.15 --annotator-noise 1 --seed 1 \
  --force
stage synth-val "$data/val/annotations.json" "" \
  pose-synth -o "$data/val" --split val -n "$val_images" --seed 1 --force

train_args=(--train "$data/train/annotations.json" --val "$data/val/annotations.json" --force)
# The heatmap students' lr drops (x0.1) at 2/3 and 11/12 of their epochs, as quick-student's.
m1=$((epochs_student * 2 / 3)) m2=$((epochs_student * 11 / 12))
[ "$m1" -ge 1 ] || m1=1
[ "$m2" -gt "$m1" ] || m2=$((m1 + 1))
# Each student preset with the run's epochs and its share of the cores.
student=(--config "$share/presets/quick-student.toml" --epochs "$epochs_student" --milestones "$m1" "$m2"
  "${par_args[@]}")
simcc_student=(--config "$share/presets/quick-simcc-student.toml" --epochs "$epochs_student" "${par_args[@]}")
regression_student=(--config "$share/presets/quick-regression-student.toml" --epochs "$epochs_student"
  "${par_args[@]}")
# The teacher as DEMO_JOBS data-parallel processes (the preset's batch of 16 split between them).
teacher_ranks=$jobs_max
[ $((16 % teacher_ranks)) = 0 ] || teacher_ranks=1
stage train-teacher "$out/teacher.ckpt.h5" "$data/train $data/val" \
  ranks "$teacher_ranks" pose-train --config "$share/presets/quick-teacher.toml" --epochs "$epochs_teacher" \
  -b $((16 / teacher_ranks)) "${train_args[@]}" -o "$out/teacher.ckpt.h5"
stage dump-teacher "$out/teacher.hm.h5" "$out/teacher.ckpt.h5 $data/train" \
  pose-dump-heatmaps "$out/teacher.ckpt.h5" "$data/train/annotations.json" -o "$out/teacher.hm.h5" --force
spawn train-student "$out/student-gt.ckpt.h5" "$data/train $data/val" \
  pose-train "${student[@]}" "${train_args[@]}" \
  -o "$out/student-gt.ckpt.h5"

# Distilled students: the student-gt recipe (preset, epochs, seed) plus the teacher's stored maps.
distill_methods=(fpd skd)
for method in "${distill_methods[@]}"; do
  spawn "distill-$method" "$out/student-$method.ckpt.h5" "$out/teacher.hm.h5 $data/train $data/val" \
    pose-distill --method "$method" --teacher-heatmaps "$out/teacher.hm.h5" \
    "${student[@]}" "${train_args[@]}" \
    -o "$out/student-$method.ckpt.h5"
done

# SDP: the same student distilling its own predictions of s batches earlier, with the stepping
# strategy (s x10 at each lr division) and without it (the paper's ablation).
spawn selfdistill-sdp "$out/student-sdp.ckpt.h5" "$data/train $data/val" \
  pose-selfdistill "${student[@]}" \
  --alpha 3 --distance 1 --stepping-gamma 10 "${train_args[@]}" -o "$out/student-sdp.ckpt.h5"
spawn selfdistill-sdp-fixed "$out/student-sdp-fixed.ckpt.h5" "$data/train $data/val" \
  pose-selfdistill "${student[@]}" \
  --alpha 3 --distance 1 --no-stepping "${train_args[@]}" -o "$out/student-sdp-fixed.ckpt.h5"

# Students with other heads, each against its own ground-truth run: two-stage stage 1 on a
# SimCC student (live teacher; without L_fea, which in 8 epochs from scratch slows the student
# more than it gives: doc/DECISIONS.md), DistilPose on a regression student (the hourglass
# teacher has no tokens: simulated heatmaps and confidence only).
spawn train-simcc "$out/simcc-gt.ckpt.h5" "$data/train $data/val" \
  pose-train "${simcc_student[@]}" "${train_args[@]}" \
  -o "$out/simcc-gt.ckpt.h5"
spawn distill-two-stage "$out/simcc-two-stage.ckpt.h5" "$out/teacher.ckpt.h5 $data/train $data/val" \
  pose-distill --method two-stage --teacher "$out/teacher.ckpt.h5" --two-stage-no-fea \
  "${simcc_student[@]}" "${train_args[@]}" \
  -o "$out/simcc-two-stage.ckpt.h5"
spawn train-regression "$out/regression-gt.ckpt.h5" "$data/train $data/val" \
  pose-train "${regression_student[@]}" "${train_args[@]}" \
  -o "$out/regression-gt.ckpt.h5"
spawn distill-distilpose "$out/regression-distilpose.ckpt.h5" "$out/teacher.hm.h5 $data/train $data/val" \
  pose-distill --method distilpose --teacher-heatmaps "$out/teacher.hm.h5" --distilpose-no-kt --distilpose-no-vt \
  "${regression_student[@]}" "${train_args[@]}" \
  -o "$out/regression-distilpose.ckpt.h5"

barrier  # the refiners need student-gt

# Refiners on the frozen student-gt: IGP-GCN supervised by the teacher's poses and, as the
# ablation, by the ground truth; DDSR's DSRx4 stages supervised by ground-truth heatmaps. They
# train on the crops student-gt was trained on (quick-student's light augmentation): on
# mmpose's heavier default a refiner of a frozen base learns corrections for crops its base
# never saw, and DSR then lost AP (doc/DECISIONS.md, "Findings of session 5").
refine_args=(--base "$out/student-gt.ckpt.h5" --epochs "$epochs_refine" --batch-size 16 --lr 1e-3 "${par_args[@]}"
  --milestones "$(((epochs_refine * 2 + 2) / 3))" --rotation-factor 15 --scale-factor 0.25 --half-body-prob 0.15
  "${train_args[@]}")
spawn refine-igp "$out/student-igp.ckpt.h5" "$out/student-gt.ckpt.h5 $out/teacher.hm.h5 $data/train $data/val" \
  pose-refine-gcn --method igp --teacher-heatmaps "$out/teacher.hm.h5" "${refine_args[@]}" \
  -o "$out/student-igp.ckpt.h5"
spawn refine-igp-gt "$out/student-igp-gt.ckpt.h5" "$out/student-gt.ckpt.h5 $data/train $data/val" \
  pose-refine-gcn --method igp --targets gt "${refine_args[@]}" -o "$out/student-igp-gt.ckpt.h5"
spawn refine-dsr "$out/student-dsr.ckpt.h5" "$out/student-gt.ckpt.h5 $data/train $data/val" \
  pose-refine-gcn --method dsr --sigma 2.5 "${refine_args[@]}" -o "$out/student-dsr.ckpt.h5"

barrier

# Every model of the report: name, method and the ground-truth run it is compared with.
models=(teacher:gt:student-gt student-gt:gt:student-gt)
for method in "${distill_methods[@]}"; do models+=("student-$method:$method:student-gt"); done
models+=(student-sdp:sdp:student-gt student-sdp-fixed:sdp-no-stepping:student-gt
  student-igp:igp:student-gt student-igp-gt:igp-gt-targets:student-gt student-dsr:dsr:student-gt
  simcc-gt:gt:simcc-gt simcc-two-stage:two-stage:simcc-gt
  regression-gt:gt:regression-gt regression-distilpose:distilpose:regression-gt)

for entry in "${models[@]}"; do
  m=${entry%%:*}
  # The dump logs its inference time per person; the log is kept for the report. Scores are
  # rescored as HRNet's and mmpose's evaluation does, and as validation does (the same AP).
  stage "predict-$m" "$out/$m.preds.json $out/$m.predict.log" "$out/$m.ckpt.h5 $data/val" \
    bash -c 'pose-dump-heatmaps "$1" "$2" --rescore --predictions "$3" --force 2> >(tee "$4" >&2)' predict \
    "$out/$m.ckpt.h5" "$data/val/annotations.json" "$out/$m.preds.json" "$out/$m.predict.log"
  stage "eval-$m" "$out/$m.eval.csv" "$out/$m.preds.json" \
    sh -c 'pose-eval "$1" "$2" --metric coco,pck --csv > "$3"' eval "$data/val/annotations.json" "$out/$m.preds.json" \
    "$out/$m.eval.csv"
done

# Figures: AP per model and the PCK and AP-vs-OKS curves overlaid; the grid shows the teacher,
# the ground-truth student and the heatmap distillations on the same images.
preds=() labels=() grid_preds=() grid_labels=()
for entry in "${models[@]}"; do
  m=${entry%%:*}
  preds+=("$out/$m.preds.json")
  labels+=(--label "$m")
  case "$m" in teacher | student-gt | student-fpd | student-skd)
    grid_preds+=("$out/$m.preds.json")
    grid_labels+=(--label "$m") ;;
  esac
done
stage figures "$out/ap.png $out/curves.png" "${preds[*]}" \
  pose-eval "$data/val/annotations.json" "${preds[@]}" "${labels[@]}" --metric coco,pck \
  --bar-chart "$out/ap.png" --plot "$out/curves.png" --force
stage grid "$out/grid.png" "${grid_preds[*]}" \
  pose-eval "$data/val/annotations.json" "${grid_preds[@]}" "${grid_labels[@]}" --metric coco \
  --grid "$out/grid.png" --force

# The report: one row per model, from pose-info (size), the dump's log (time) and pose-eval.
value() { awk -F, -v k="$2" '$1 == "coco" && $3 == k {print $5}' "$1"; }
info() { pose-info --json "$1" | tr ',' '\n' | awk -F: -v k="\"$2\"" '$1 == k {print $2}'; }
ms_per_person() { sed -n 's/.*: \([0-9.]*\) ms per person for the model.*/\1/p' "$1" | tail -1; }
report="$out/report.md"
{
  echo "# posekd demo ($size preset)"
  echo
  if [ "$size" != full ]; then
    echo "The $size preset runs every stage on little data in minutes: its models are far from"
    echo "trained, and its AP shows that the pipeline works, not what the methods do. DEMO=full"
    echo "trains them properly (about 40 minutes on 2 cores)."
    echo
  fi
  echo "Synthetic COCO-format data from pose-synth: $train_images training images whose labels carry"
  echo "annotator imprecision on every joint and a mistake on 15% of the people, $val_images clean"
  echo "validation images; ground-truth boxes, flip test, HRNet's rescoring (as validation and"
  echo "mmpose evaluate). Time per person:"
  echo "the model with flip test and decoding, batch 32, on this machine's CPU ($(nproc) cores)."
  echo
  echo "Each student's gain is over the same student trained on ground truth alone (same preset,"
  echo "epochs and seed): student-gt for the heatmap students and the refiners (which refine it),"
  echo "simcc-gt and regression-gt for the students with those heads."
  echo
  echo "| model | method | params | GFLOPs | ms/person | AP | AR | AP gain over its gt run |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for entry in "${models[@]}"; do
    IFS=: read -r m method baseline <<< "$entry"
    base_ap=$(value "$out/$baseline.eval.csv" AP)
    ap=$(value "$out/$m.eval.csv" AP)
    ar=$(value "$out/$m.eval.csv" AR)
    params=$(info "$out/$m.ckpt.h5" params)
    gflops=$(info "$out/$m.ckpt.h5" gflops)
    printf '| %s | %s | %s | %.3f | %s | %.4f | %.4f | %+.4f |\n' "$m" "$method" "$params" "$gflops" \
      "$(ms_per_person "$out/$m.predict.log")" "$ap" "$ar" "$(awk -v a="$ap" -v b="$base_ap" 'BEGIN {print a - b}')"
  done
  echo
  echo "![AP per model](ap.png)"
  echo
  echo "![AP against OKS threshold and PCK against threshold](curves.png)"
  echo
  echo "![Predictions on the same validation images, a column per model](grid.png)"
} > "$report"
log "report: $report"
cat "$report"
