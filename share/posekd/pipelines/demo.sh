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
# every stage. A stage is skipped when its outputs exist and its command and inputs are
# unchanged (a stamp file records both). Tools are taken from PATH.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
share=$(cd "$here/.." && pwd)          # share/posekd (source tree or install prefix)
out=${DEMO_OUT:-demo}
size=${DEMO:-quick}
force=${DEMO_FORCE:-0}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

case "$size" in
  quick) train_images=1500 val_images=300 epochs_teacher=12 epochs_student=12 ;;
  full)  train_images=6000 val_images=1000 epochs_teacher=40 epochs_student=40 ;;
  tiny)  train_images=40 val_images=12 epochs_teacher=1 epochs_student=1 ;;  # tests/cli/demo_pipeline.sh
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

data="$out/data"
stage synth-train "$data/train/annotations.json" "" \
  pose-synth -o "$data/train" --split train -n "$train_images" --label-noise 0.15 --seed 1 --force
stage synth-val "$data/val/annotations.json" "" \
  pose-synth -o "$data/val" --split val -n "$val_images" --seed 1 --force

train_args=(--train "$data/train/annotations.json" --val "$data/val/annotations.json" --force)
stage train-teacher "$out/teacher.ckpt.h5" "$data/train $data/val" \
  pose-train --config "$share/presets/quick-teacher.toml" --epochs "$epochs_teacher" "${train_args[@]}" \
  -o "$out/teacher.ckpt.h5"
stage dump-teacher "$out/teacher.hm.h5" "$out/teacher.ckpt.h5 $data/train" \
  pose-dump-heatmaps "$out/teacher.ckpt.h5" "$data/train/annotations.json" -o "$out/teacher.hm.h5" --force
stage train-student "$out/student-gt.ckpt.h5" "$data/train $data/val" \
  pose-train --config "$share/presets/quick-student.toml" --epochs "$epochs_student" "${train_args[@]}" \
  -o "$out/student-gt.ckpt.h5"

# Distilled students: the student-gt recipe (preset, epochs, seed) plus the teacher's stored maps.
distill_methods=(fpd skd)
for method in "${distill_methods[@]}"; do
  stage "distill-$method" "$out/student-$method.ckpt.h5" "$out/teacher.hm.h5 $data/train $data/val" \
    pose-distill --method "$method" --teacher-heatmaps "$out/teacher.hm.h5" \
    --config "$share/presets/quick-student.toml" --epochs "$epochs_student" "${train_args[@]}" \
    -o "$out/student-$method.ckpt.h5"
done

# Every model of the report: name and method, in table order.
models=(teacher:gt student-gt:gt)
for method in "${distill_methods[@]}"; do models+=("student-$method:$method"); done

for entry in "${models[@]}"; do
  m=${entry%%:*}
  # The dump logs its inference time per person; the log is kept for the report.
  stage "predict-$m" "$out/$m.preds.json $out/$m.predict.log" "$out/$m.ckpt.h5 $data/val" \
    bash -c 'pose-dump-heatmaps "$1" "$2" --predictions "$3" --force 2> >(tee "$4" >&2)' predict \
    "$out/$m.ckpt.h5" "$data/val/annotations.json" "$out/$m.preds.json" "$out/$m.predict.log"
  stage "eval-$m" "$out/$m.eval.csv" "$out/$m.preds.json" \
    sh -c 'pose-eval "$1" "$2" --metric coco,pck --csv > "$3"' eval "$data/val/annotations.json" "$out/$m.preds.json" \
    "$out/$m.eval.csv"
done

# Figures: AP per model, the PCK and AP-vs-OKS curves overlaid, predictions on the same images.
preds=() labels=()
for entry in "${models[@]}"; do
  preds+=("$out/${entry%%:*}.preds.json")
  labels+=(--label "${entry%%:*}")
done
stage figures "$out/ap.png $out/curves.png $out/grid.png" "${preds[*]}" \
  pose-eval "$data/val/annotations.json" "${preds[@]}" "${labels[@]}" --metric coco,pck \
  --bar-chart "$out/ap.png" --plot "$out/curves.png" --grid "$out/grid.png" --force

# The report: one row per model, from pose-info (size), the dump's log (time) and pose-eval.
value() { awk -F, -v k="$2" '$1 == "coco" && $3 == k {print $5}' "$1"; }
info() { pose-info --json "$1" | tr ',' '\n' | awk -F: -v k="\"$2\"" '$1 == k {print $2}'; }
ms_per_person() { sed -n 's/.*: \([0-9.]*\) ms per person for the model.*/\1/p' "$1" | tail -1; }
report="$out/report.md"
base_ap=$(value "$out/student-gt.eval.csv" AP)
{
  echo "# posekd demo ($size preset)"
  echo
  echo "Synthetic COCO-format data from pose-synth: $train_images training images with 15% label"
  echo "noise, $val_images clean validation images; ground-truth boxes, flip test. Time per person:"
  echo "the model with flip test and decoding, batch 32, on this machine's CPU ($(nproc) cores)."
  echo
  echo "| model | method | params | GFLOPs | ms/person | AP | AR | AP gain over student (gt) |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for entry in "${models[@]}"; do
    m=${entry%%:*} method=${entry#*:}
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
