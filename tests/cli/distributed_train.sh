#!/usr/bin/env bash
# Data-parallel pose-train on this machine: 2 processes meeting on loopback (Gloo).
# 2 ranks x batch 3 with --sync-bn end with the weights of 1 process x batch 6 (to float
# tolerance); without --sync-bn (per-process batch norm, DDP's default) they do not, which
# shows the tolerance can tell. A job stopped after 2 steps resumes in 1 process and still
# ends with those weights. Only rank 0 writes files and prints on stdout.
source "$(dirname "$0")/helpers.sh"
export OMP_WAIT_POLICY=PASSIVE
py=/usr/bin/python3

# 12 images, 18 instances: 3 steps of 6 per epoch, each rank 3 samples per step (a batch of
# one would stop batch norm: this tiny network pools to 1x1).
pose-synth -q -o train -n 12 --size 96x72 --seed 1 >/dev/null || fail "pose-synth train"
tiny="resnet:depth=18,width=2,deconvs=1,deconv_channels=4,input=32x32"
common=(--train train/annotations.json --model "$tiny" --workers 0 --threads 1 --seed 3 --epochs 2
        --optimizer sgd --lr 0.05 --momentum 0.9 --log-every 1)
port=$((20000 + RANDOM % 20000))

# rank2 NAME ARGS...: ranks 0 and 1 of a job, stdout/stderr to NAME.rank{0,1}.{out,err};
# their exit statuses in NAME.status ("S0 S1").
rank2() {
  local name=$1; shift
  rm -f "$name.store"
  RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port pose-train "$@" > "$name.rank0.out" 2> "$name.rank0.err" &
  local p0=$!
  RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port pose-train "$@" > "$name.rank1.out" 2> "$name.rank1.err" &
  local p1=$!
  wait $p0; local s0=$?
  wait $p1; local s1=$?
  echo "$s0 $s1" > "$name.status"
  port=$((port + 1))
}

expect_job_status() {  # NAME "S0 S1"
  checks=$((checks + 1))
  [ "$(cat "$1.status")" = "$2" ] || { fail "$1: exit statuses $(cat "$1.status"), expected $2";
    sed 's/^/  rank0: /' "$1.rank0.err" | tail -5 >&2; sed 's/^/  rank1: /' "$1.rank1.err" | tail -5 >&2; }
}

# compare A B MAX_DIFF|"differ": the largest |a-b| over /params, at most MAX_DIFF, or well above it.
compare() {
  checks=$((checks + 1))
  "$py" - "$@" <<'PY' || fail "compare $*"
import sys, h5py, numpy as np
a, b, mode = sys.argv[1], sys.argv[2], sys.argv[3]
with h5py.File(a) as fa, h5py.File(b) as fb:
    names = []
    fa["params"].visit(lambda n: names.append(n) if isinstance(fa["params"][n], h5py.Dataset) else None)
    assert names, "no /params"
    diff = max(float(np.max(np.abs(fa["params"][n][()] - fb["params"][n][()]))) for n in names)
    scale = max(float(np.max(np.abs(fa["params"][n][()]))) for n in names)
print(f"{a} vs {b}: max |diff| {diff:.3g} (largest weight {scale:.3g})")
if mode == "differ":
    assert diff > 1e-3, f"expected the runs to differ, max diff {diff}"
else:
    assert diff <= float(mode), f"max diff {diff} > {mode}"
PY
}

# The reference: one process, batch 6.
expect_status 0 pose-train "${common[@]}" -b 6 -o one.ckpt.h5
expect_stdout '^one\.ckpt\.h5$'

# Two ranks of batch 3 with synchronised batch norm: the same weights.
rank2 sync "${common[@]}" -b 3 --sync-bn --dist-timeout 60 -o sync.ckpt.h5
expect_job_status sync "0 0"
checks=$((checks + 1)); grep -qx 'sync.ckpt.h5' sync.rank0.out || fail "rank 0 prints the checkpoint path"
checks=$((checks + 1)); [ ! -s sync.rank1.out ] && [ ! -s sync.rank1.err ] || fail "rank 1 is quiet"
checks=$((checks + 1))
grep -q 'data-parallel: rank 0 of 2 (torchrun, gloo via 127.0.0.1:[0-9]*); 6 samples per step, each rank 9 of every epoch' \
  sync.rank0.err || fail "rank 0 logs the job"
checks=$((checks + 1)); grep -q 'all-reduce [0-9.]* ms/step' sync.rank0.err || fail "all-reduce time per step logged"
checks=$((checks + 1)); [ "$(grep -c 'epoch 1/2 batch' sync.rank0.err)" = 3 ] || fail "3 steps per epoch on rank 0"
compare one.ckpt.h5 sync.ckpt.h5 2e-5
"$py" - <<'PY' || fail "metrics of the job"
import json
rows = [json.loads(l) for l in open("sync.metrics.jsonl")]
ref = [json.loads(l) for l in open("one.metrics.jsonl")]
assert [r["step"] for r in rows] == [3, 6], rows
# The logged loss is the job's mean, as one process of batch 6 computes it (every rank's
# batch has 3 samples, so the mean of the ranks' means is the mean).
for r, q in zip(rows, ref):
    assert abs(r["loss"]["heatmap_mse"] - q["loss"]["heatmap_mse"]) <= 1e-6 * abs(q["loss"]["heatmap_mse"]) + 1e-9, (r, q)
PY

# Per-process batch norm (the default): each rank normalises its 3 samples by themselves.
rank2 local "${common[@]}" -b 3 --dist-timeout 60 -o local.ckpt.h5
expect_job_status local "0 0"
compare one.ckpt.h5 local.ckpt.h5 differ

# Stopped after 2 steps by the job (exit 75 on both ranks, rank 0 saved), resumed in one
# process of batch 6: sample 12 of epoch 1, step 2, and the same end as the reference.
rank2 stop "${common[@]}" -b 3 --sync-bn --dist-timeout 60 --stop-after 2 -o stop.ckpt.h5
expect_job_status stop "75 75"
checks=$((checks + 1)); grep -q 'stopped after step 2' stop.rank1.err || fail "rank 1 says it stopped"
expect_status 0 pose-train "${common[@]}" -b 6 --resume stop.ckpt.h5 -o stop.ckpt.h5
expect_stderr 'resuming stop\.ckpt\.h5 at epoch 1, sample 12 of the epoch \(step 2\)'
compare one.ckpt.h5 stop.ckpt.h5 2e-5

finish
