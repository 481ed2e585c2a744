#!/usr/bin/env bash
# Data-parallel pose-train on this machine, in one run: samples/s of 1 process and of 2
# processes (c10d Gloo on loopback) with one compute thread and one loader worker each and
# the same batch per process, the gradient all-reduce time per step, and the scaling
# efficiency (2-process samples/s over twice the 1-process figure); then the same 2 processes
# with --sync-bn. Throughput comes from whole epochs after the first (warmup).
#   tests/bench/bench_distributed.sh [BUILD_DIR]   (default: build)
# Env: BENCH_MODEL (quick-student's network), BENCH_BATCH (16 per process), BENCH_IMAGES (120),
#      BENCH_EPOCHS (4).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
model=${BENCH_MODEL:-resnet:depth=18,width=16,deconv_channels=32,input=128x96}
batch=${BENCH_BATCH:-16}
images=${BENCH_IMAGES:-120}
epochs=${BENCH_EPOCHS:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=PASSIVE
cd "$work"
"$build/bin/pose-synth" -q -o data -n "$images" --size 256x192 --seed 5 >/dev/null
common=(--train data/annotations.json --model "$model" -b "$batch" --threads 1 --workers 1 --lr 0.001
        --epochs "$epochs" --log-every 1000000)
instances=$(/usr/bin/python3 -c "import json; print(len(json.load(open('data/annotations.json'))['annotations']))")

# rate LOG SAMPLES_PER_EPOCH: samples/s over the epochs after the first, from "done in X s".
rate() {
  grep -oE 'done in [0-9.]+ s' "$1" | tail -n +2 | awk -v n="$2" '{t += $3; e++} END {printf "%.2f", n * e / t}'
}
# allreduce LOG: mean all-reduce ms per step over the epochs after the first.
allreduce() {
  grep -oE 'all-reduce [0-9.]+ ms/step' "$1" | tail -n +2 | awk '{s += $2; n++} END {printf "%.1f", n ? s / n : 0}'
}
# step_ms LOG STEPS_PER_EPOCH: wall time per step over the epochs after the first.
step_ms() {
  grep -oE 'done in [0-9.]+ s' "$1" | tail -n +2 | awk -v s="$2" '{t += $3; e++} END {printf "%.1f", 1e3 * t / (e * s)}'
}

"$build/bin/pose-train" "${common[@]}" -o one.ckpt.h5 2> one.log >/dev/null
port=$((20000 + RANDOM % 20000))
job() {  # NAME ARGS...
  local name=$1; shift
  RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$build/bin/pose-train" "${common[@]}" "$@" \
    -o "$name.ckpt.h5" 2> "$name.log" >/dev/null &
  local p0=$!
  RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$build/bin/pose-train" "${common[@]}" "$@" \
    -o "$name.ckpt.h5" 2> "$name.rank1.log" >/dev/null
  wait $p0
  port=$((port + 1))
}
job two
job sync --sync-bn

steps1=$(( (instances + batch - 1) / batch ))
steps2=$(( ((instances + 1) / 2 + batch - 1) / batch ))
one=$(rate one.log "$instances")
two=$(rate two.log "$instances")
sync=$(rate sync.log "$instances")
params=$(grep -oE '\([0-9.]+ M params' one.log | grep -oE '[0-9.]+')
echo "model $model ($params M params, gradients $(awk -v p="$params" 'BEGIN {printf "%.1f", p * 4}') MB), $instances instances, batch $batch per process, 1 thread + 1 loader worker per process, $(nproc) cores"
echo "1 process:             $one samples/s ($(step_ms one.log $steps1) ms/step)"
echo "2 processes:           $two samples/s ($(step_ms two.log $steps2) ms/step, gradient all-reduce $(allreduce two.log) ms/step)"
echo "2 processes --sync-bn: $sync samples/s ($(step_ms sync.log $steps2) ms/step, gradient all-reduce $(allreduce sync.log) ms/step)"
awk -v a="$one" -v b="$two" -v c="$sync" 'BEGIN {
  printf "scaling efficiency (2-process samples/s / (2 x 1-process)): %.2f; with --sync-bn %.2f\n", b / (2 * a), c / (2 * a) }'
