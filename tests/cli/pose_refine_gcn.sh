#!/usr/bin/env bash
# pose-refine-gcn as a user runs it on a tiny synthetic set: igp on a stage-1 checkpoint with a
# stored teacher (a pose-dump-heatmaps file), a live teacher and ground-truth targets; the
# refined checkpoint in pose-info, pose-dump-heatmaps and pose-eval; --dry-run; SIGTERM -> 75
# -> --resume; bad inputs refused before training (exit status and message); the man page.
source "$(dirname "$0")/helpers.sh"
export OMP_WAIT_POLICY=PASSIVE
py=/usr/bin/python3
src="${POSEKD_SOURCE_DIR:?}"

pose-synth -q -o train -n 12 --size 96x72 --seed 1 >/dev/null || fail "pose-synth train"
pose-synth -q -o val -n 4 --size 96x72 --seed 1 --split val >/dev/null || fail "pose-synth val"
base_spec="resnet:depth=18,width=2,deconv_channels=4,input=64x64"
run=(-b 8 --workers 1 --threads 1 --seed 3)
expect_status 0 pose-train --train train/annotations.json --model "$base_spec" "${run[@]}" --epochs 1 -o base.ckpt.h5
expect_status 0 pose-dump-heatmaps -q base.ckpt.h5 train/annotations.json -o teacher.hm.h5 --threads 1
common=(--base base.ckpt.h5 --train train/annotations.json "${run[@]}" --refiner hidden=8)

# Stored teacher: one epoch with validation; the refined checkpoint describes itself.
expect_status 0 pose-refine-gcn "${common[@]}" --teacher-heatmaps teacher.hm.h5 --val val/annotations.json \
  --epochs 1 -o refined.ckpt.h5
expect_stdout '^refined\.best\.ckpt\.h5	AP [0-9.]+$'
expect_stderr 'igp objective'
"$py" - <<'PY' || fail "metrics of the igp run"
import json
row = json.loads(open("refined.metrics.jsonl").readline())
assert {"igp_l1", "stage1_l1", "stage2_l1", "stage3_l1"} <= set(row["loss"]), row
PY
expect_status 0 pose-info refined.ckpt.h5
expect_stdout '^  refiner_spec  igp:hidden=8,features=auto$'
expect_stdout '^  model_spec    resnet:'
checks=$((checks + 1))
"$py" - <<'PY' || fail "refined checkpoint layout"
import h5py
f = h5py.File("refined.ckpt.h5", "r")
names = set(f["params"].keys())
assert {"final_layer.weight", "refiner.gconv_input.gconv.W", "refiner.gconv_output.2.e"} <= names, names
PY

# The refined checkpoint in pose-dump-heatmaps: refined /coords, maps rendered at them; pose-eval.
expect_status 0 pose-dump-heatmaps -q refined.best.ckpt.h5 val/annotations.json -o refined.hm.h5 \
  --predictions refined.json --threads 1
expect_status 0 pose-eval val/annotations.json refined.json --json
expect_stdout '"AP"'
checks=$((checks + 1))
"$py" - <<'PY' || fail "refined dump"
import h5py, numpy as np
f = h5py.File("refined.hm.h5", "r")
hm, co = f["heatmaps"][()], f["coords"][()]
assert hm.shape[1:] == (17, 16, 16), hm.shape
# Gaussians of peak = score rendered at the refined joints: the maxima never exceed the scores.
assert (hm.reshape(hm.shape[0], 17, -1).max(-1) <= np.maximum(co[:, :, 2], 0) + 1e-3).all()
PY

# Live teacher and ground-truth targets.
expect_status 0 pose-refine-gcn "${common[@]}" --teacher base.ckpt.h5 --epochs 1 -o live.ckpt.h5
expect_stdout '^live\.ckpt\.h5$'
expect_status 0 pose-refine-gcn "${common[@]}" --targets gt --epochs 1 -o gt.ckpt.h5

# --dry-run: base and refiner parameters and GFLOPs.
expect_status 0 pose-refine-gcn "${common[@]}" --targets gt --dry-run
expect_stdout '^refiner: igp:hidden=8,features=auto$'
expect_stdout '^refiner params: [0-9]+ \(0\.[0-9]+ M\), GFLOPs 0\.[0-9]+'

# SIGTERM: the step finishes, a resumable checkpoint is written, exit 75; --resume continues.
pose-refine-gcn "${common[@]}" --targets gt -b 2 --epochs 500 --log-every 1 -o sig.ckpt.h5 > sig.out 2> sig.err &
pid=$!
for _ in $(seq 1 300); do grep -q 'step 2 ' sig.err 2>/dev/null && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"; status=$?
checks=$((checks + 1)); [ "$status" = 75 ] || { fail "SIGTERM: expected exit 75, got $status"; tail -3 sig.err >&2; }
expect_status 0 pose-info sig.ckpt.h5
expect_stdout 'refiner_spec  igp:hidden=8'
epoch=$(grep -oE 'interrupted: stopped after .*epoch [0-9]+' sig.err | grep -oE '[0-9]+$')
end=$((epoch + 1))
expect_status 0 pose-refine-gcn "${common[@]}" --targets gt -b 2 --epochs "$end" --resume sig.ckpt.h5 -o sig.ckpt.h5
expect_stderr 'resuming sig\.ckpt\.h5 at epoch'
expect_stderr "epoch $end/$end done"

# Bad inputs, each refused before any training step.
expect_status 2 pose-refine-gcn --train train/annotations.json --targets gt -o x.ckpt.h5
expect_stderr '^pose-refine-gcn: error: --base: required'
expect_one_line_error
expect_status 2 pose-refine-gcn "${common[@]}" -o x.ckpt.h5
expect_stderr '--targets teacher: needs --teacher-heatmaps FILE or --teacher CKPT'
expect_status 2 pose-refine-gcn "${common[@]}" --targets gt --teacher base.ckpt.h5 -o x.ckpt.h5
expect_stderr '--targets gt: trains on ground truth'
expect_status 2 pose-refine-gcn "${common[@]}" --targets gt --model "$base_spec" -o x.ckpt.h5
expect_stderr 'model'
expect_status 2 pose-refine-gcn "${common[@]}" --targets gt --method gcn -o x.ckpt.h5
expect_stderr '--method gcn: expected one of igp'
expect_status 2 pose-refine-gcn "${common[@]}" --targets gt --finetune -o x.ckpt.h5
expect_stderr '--finetune: igp refines a frozen stage-1 model'
expect_status 2 pose-refine-gcn "${common[@]}" --targets gt --refiner depth=3 -o x.ckpt.h5
expect_stderr 'refiner spec "igp:depth=3": unknown key "depth" for igp'
expect_status 2 pose-refine-gcn "${common[@]}" --targets gt --refiner features=layer9+layer2+layer1 -o x.ckpt.h5
expect_stderr 'model resnet:.* has no feature "layer9"'
expect_one_line_error
expect_status 2 pose-refine-gcn "${common[@]}" --targets gt --stage-weights 1,1 -o x.ckpt.h5
expect_stderr '--stage-weights: igp has 3 stages, found 2 weights'
expect_status 1 pose-refine-gcn "${common[@]/base.ckpt.h5/refined.ckpt.h5}" --targets gt -o x.ckpt.h5
expect_stderr 'refined\.ckpt\.h5:/@refiner_spec: expected a stage-1 model without a refiner, found igp:hidden=8'
expect_one_line_error
pose-dump-heatmaps -q base.ckpt.h5 val/annotations.json -o val.hm.h5 --threads 1
expect_status 1 pose-refine-gcn "${common[@]}" --teacher-heatmaps val.hm.h5 -o x.ckpt.h5
expect_stderr 'val\.hm\.h5'
expect_one_line_error
checks=$((checks + 1)); [ ! -e x.ckpt.h5 ] || fail "a refused run wrote x.ckpt.h5"

# The man page lists every option that --help lists.
pose-refine-gcn --help > help.txt
man_text=$(sed 's/\\-/-/g' "$src/man/man1/pose-refine-gcn.1")
for opt in $(grep -oE -- '--[a-z][a-z0-9-]+' help.txt | sort -u); do
  checks=$((checks + 1))
  grep -qF -- "$opt" <<< "$man_text" || fail "man page lacks $opt"
done
finish
