# Sourced by the paper recipes (fpd.sh, sdp.sh, distilpose.sh, ddsr.sh, two-stage.sh): their
# shared command line, the step runner and the evaluation. Every recipe takes
#
#   RECIPE.sh [-n] [-e EPOCHS] [-o DIR] TRAIN.json VAL.json [-- OPTIONS FOR EVERY TRAINING STEP]
#
# -n prints the commands, one per line, without running them (nothing is written); -e trains
# every stage for EPOCHS instead of the presets' schedules (a trial run: the presets are the
# papers' full schedules); -o is the output folder (default: recipe-NAME). Options after `--`
# go to every training step (e.g. --threads 2, --device cuda). A step whose output exists is
# skipped, so an interrupted recipe continues where it stopped; the tools come from PATH.
set -euo pipefail

recipe_usage() {
  echo "usage: $recipe_name.sh [-n] [-e EPOCHS] [-o DIR] TRAIN.json VAL.json [-- TRAINING OPTIONS...]" >&2
  exit 2
}

# recipe_args "$@": sets dry_run, out, train, val, schedule (the -e override) and extra.
recipe_args() {
  dry_run=0 out="recipe-$recipe_name" schedule=() extra=()
  local opt
  OPTIND=1
  while getopts "ne:o:h" opt; do
    case $opt in
      n) dry_run=1 ;;
      e) case $OPTARG in
           '' | *[!0-9]* | 0) echo "$recipe_name.sh: -e: expected a positive number of epochs, found \"$OPTARG\"" >&2; exit 2 ;;
         esac
         schedule=(--epochs "$OPTARG") ;;
      o) out=$OPTARG ;;
      *) recipe_usage ;;
    esac
  done
  shift $((OPTIND - 1))
  [ $# -ge 2 ] || recipe_usage
  train=$1 val=$2
  shift 2
  if [ $# -gt 0 ]; then
    [ "$1" = -- ] || recipe_usage
    shift
    extra=("$@")
  fi
  [ "$dry_run" = 1 ] || mkdir -p "$out"
}

# step OUTPUT CMD...: runs CMD unless OUTPUT exists; with -n prints it instead.
step() {
  local output=$1
  shift
  if [ "$dry_run" = 1 ]; then
    printf '%q ' "$@" | sed 's/ $//'
    echo
  elif [ -e "$output" ]; then
    echo "$recipe_name: $output exists, skipped" >&2
  else
    echo "$recipe_name: $*" >&2
    "$@"
  fi
}

# step_to OUTPUT CMD...: as step, with CMD's stdout written to OUTPUT (complete or not at all).
step_to() {
  local output=$1
  shift
  if [ "$dry_run" = 1 ]; then
    printf '%q ' "$@"
    printf '> %q\n' "$output"
  elif [ -e "$output" ]; then
    echo "$recipe_name: $output exists, skipped" >&2
  else
    echo "$recipe_name: $* > $output" >&2
    "$@" > "$output.partial"
    mv "$output.partial" "$output"
  fi
}

# evaluate NAME...: each checkpoint OUT/NAME.ckpt.h5 predicts the validation set
# (OUT/NAME.preds.json, with the recipe's predict_options); the COCO metrics of all of them side
# by side go to OUT/eval.txt.
predict_options=()
evaluate() {
  local name predictions=()
  for name in "$@"; do
    step "$out/$name.preds.json" pose-dump-heatmaps "$out/$name.ckpt.h5" "$val" --predictions "$out/$name.preds.json" \
      "${predict_options[@]}"
    predictions+=("$out/$name.preds.json")
  done
  step_to "$out/eval.txt" pose-eval "$val" "${predictions[@]}"
}
