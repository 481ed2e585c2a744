#!/usr/bin/env bash
# pose-distill --method two-stage as a user runs it on a tiny synthetic set: a live teacher with
# validation (loss terms, gamma decay, the 1x1 alignment in the checkpoint, --resume), switches,
# a stored teacher for L_pos alone, and the refusals (exit status and message).
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
export OMP_WAIT_POLICY=PASSIVE
FIXTURE="$POSEKD_BINARY_DIR/tests/bin/posekd_model_fixture"
py=/usr/bin/python3

pose-synth -q -o train -n 12 --size 96x72 --seed 1 >/dev/null || fail "pose-synth train"
pose-synth -q -o val -n 4 --size 96x72 --seed 1 --split val >/dev/null || fail "pose-synth val"
"$FIXTURE" teacher.ckpt.h5 "hourglass:stacks=1,channels=8,depth=1,input=64x32" coco17 unbiased 3 || exit 1
student="resnet:depth=18,width=2,deconvs=0,input=64x32,head=simcc,split=2"
common=(--method two-stage --train train/annotations.json --model "$student" -b 4 --workers 1 --threads 1 --seed 3)

# Live teacher, two epochs with validation: the run's files, every term, gamma 1 then 1/2.
expect_status 0 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --val val/annotations.json --epochs 2 \
  -o ts.ckpt.h5
expect_stdout '^ts\.best\.ckpt\.h5	AP [0-9.]+$'
expect_stderr 'two-stage objective'
expect_stderr 'L_fea between student layer4 \[16x2x1\] and teacher hgs\.0\.level0 \[8x8x4\], 1x1 alignment 16 -> 8'
"$py" - <<'PY' || fail "two-stage metrics and checkpoint"
import json, h5py
rows = [json.loads(l) for l in open("ts.metrics.jsonl")]
assert [r["epoch"] for r in rows] == [1, 2], rows
for r in rows:
    assert set(r["loss"]) == {"simcc_kl", "feature_mse", "position_l1", "bone_l1", "gamma"}, r["loss"]
assert rows[0]["loss"]["gamma"] == 1.0 and rows[1]["loss"]["gamma"] == 0.5, rows
with h5py.File("ts.ckpt.h5") as f:
    assert f["extra/align/params/weight"].shape == (8, 16, 1, 1), list(f["extra/align/params"])
    assert "optimizer" in f["train"]
PY

# The alignment resumes with the model: stop after one step, continue to the end.
expect_status 75 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --epochs 1 --stop-after 1 -o r.ckpt.h5
expect_status 0 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --epochs 1 --resume r.ckpt.h5 -o r.ckpt.h5
expect_stderr 'resuming r\.ckpt\.h5 at epoch 1, sample 4 of the epoch \(step 1\)'

# Switches: the terms switched off are absent from the log.
expect_status 0 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --epochs 1 --two-stage-no-fea \
  --two-stage-no-bones --two-stage-no-decay --two-stage-label-smoothing standard --two-stage-softargmax-beta 10 \
  -o sw.ckpt.h5
"$py" -c '
import json
r = json.loads(open("sw.metrics.jsonl").readline())
assert set(r["loss"]) == {"simcc_kl", "position_l1", "gamma"}, r["loss"]
' || fail "switched-off terms logged"

# A stored teacher gives joints (/coords) but no features: refused with L_fea, fine without.
pose-dump-heatmaps -q teacher.ckpt.h5 train/annotations.json -o teacher.hm.h5 --workers 1 >/dev/null 2>dump.err ||
  { fail "dump"; cat dump.err >&2; }
expect_status 2 pose-distill "${common[@]}" --teacher-heatmaps teacher.hm.h5 --epochs 1 -o st.ckpt.h5
expect_stderr 'two-stage distils the teacher.s .*features.*use a live teacher, --teacher CKPT'
expect_one_line_error
expect_status 0 pose-distill "${common[@]}" --teacher-heatmaps teacher.hm.h5 --epochs 1 --two-stage-no-fea \
  -o st.ckpt.h5
expect_stdout '^st\.ckpt\.h5$'

# Refusals, before any step.
expect_status 2 pose-distill "${common[@]/head=simcc,split=2/head=heatmap}" --teacher teacher.ckpt.h5 -o x.ckpt.h5
expect_stderr '--method two-stage: needs a student with a simcc head'
expect_status 1 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --two-stage-teacher-feature nope -o x.ckpt.h5
expect_stderr "teacher\.ckpt\.h5:/@model_spec: two-stage needs teacher feature 'nope', found only .*features\.0"
expect_one_line_error
expect_status 2 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --two-stage-student-feature nope -o x.ckpt.h5
expect_stderr '--two-stage-student-feature nope: no such feature \(the model has: layer4, .*layer1\)'
expect_status 2 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --two-stage-bone-weights 1,2 -o x.ckpt.h5
expect_stderr '--two-stage-bone-weights: 2 values for the 19 edges of skeleton coco17'
expect_status 2 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --two-stage-label-smoothing soft -o x.ckpt.h5
expect_stderr 'two-stage-label-smoothing'
expect_status 2 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --two-stage-alpha -1 -o x.ckpt.h5
checks=$((checks + 1)); [ ! -e x.ckpt.h5 ] || fail "a refused run wrote x.ckpt.h5"

finish
