#!/usr/bin/env bash
# Training throughput of posekd against PyTorch, in one run: the same stacked hourglass
# (quick-teacher: stacks=2, channels=64, depth=3 at 128x96), batch 32, Adam, heatmap MSE, data
# loading included (posekd: BatchLoader worker threads; PyTorch: a DataLoader of cv2 worker
# processes), equal compute threads and loader workers. Prints samples/s of each and the ratio.
#   tests/bench/bench_torch_train_vs_pytorch.sh [BUILD_DIR]   (default: build)
# Env: BENCH_STEPS (default 20), BENCH_THREADS (1), BENCH_WORKERS (1), BENCH_BATCH (32).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
steps=${BENCH_STEPS:-20}
threads=${BENCH_THREADS:-1}
workers=${BENCH_WORKERS:-1}
batch=${BENCH_BATCH:-32}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=PASSIVE
cd "$work"
"$build/bin/pose-synth" -q -o data -n 200 --size 256x192 --seed 5 >/dev/null
keys="stacks=2,channels=64,depth=3,joints=17,input=128x96"

# posekd: the trainer logs samples/s and the share spent waiting for data every 5 steps; the
# first interval (loader start, first batches) is dropped as warmup.
log_every=5
"$build/bin/pose-train" --train data/annotations.json --model "hourglass:$keys" -b "$batch" \
  --threads "$threads" --workers "$workers" --sigma 1.5 --lr 0.001 --epochs 1000 --log-every $log_every \
  --stop-after $((steps + log_every)) -o posekd.ckpt.h5 2> posekd.log || [ $? = 75 ]
read -r posekd_rate posekd_wait < <(grep -oE '\(([0-9.]+) samples/s, ([0-9]+)% waiting' posekd.log | tail -n +2 |
  awk -F'[( ]' '{r += $2; w += $4; n++} END {if (n) printf "%.1f %.0f\n", r / n, w / n}')
echo "posekd: $posekd_rate samples/s (${posekd_wait}% waiting for data), $threads thread(s), $workers worker(s)"
grep -m1 'BLAS' posekd.log | sed 's/^pose-train: /posekd: /'

py_line=$(OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/bench_torch_train_vs_pytorch.py" data/annotations.json \
  "$keys" "$batch" "$workers" "$threads" "$steps")
echo "$py_line"
py_rate=$(echo "$py_line" | grep -oE '[0-9.]+ samples/s' | cut -d' ' -f1)
awk -v a="$posekd_rate" -v b="$py_rate" 'BEGIN {printf "ratio posekd/pytorch: %.2f\n", a / b}'
