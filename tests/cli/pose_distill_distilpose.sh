#!/usr/bin/env bash
# pose-distill --method distilpose as a user runs it on a tiny synthetic set: a live token
# teacher with validation (every loss term, the token alignments in the checkpoint), the
# paper's ablation switches, a stored teacher for the map terms alone, and the refusals.
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
export OMP_WAIT_POLICY=PASSIVE
FIXTURE="$POSEKD_BINARY_DIR/tests/bin/posekd_model_fixture"
py=/usr/bin/python3

pose-synth -q -o train -n 12 --size 96x72 --seed 1 >/dev/null || fail "pose-synth train"
pose-synth -q -o val -n 4 --size 96x72 --seed 1 --split val >/dev/null || fail "pose-synth val"
# Both read a 16x8 map of the 64x32 input in 4x2 patches: 16 visual tokens each; widths 16 and 8.
"$FIXTURE" teacher.ckpt.h5 "tokenpose:stem_width=4,dim=16,layers=1,heads=2,patch=4x2,input=64x32" coco17 unbiased 3 ||
  exit 1
"$FIXTURE" plain.ckpt.h5 "resnet:depth=18,width=2,deconvs=3,deconv_channels=4,input=64x32" coco17 unbiased 3 || exit 1
student="resnet:depth=18,width=2,deconvs=3,deconv_channels=4,input=64x32,head=regression,dim=8,layers=1,heads=2,patch=4x2"
common=(--method distilpose --train train/annotations.json --model "$student" -b 4 --workers 1 --threads 1 --seed 3)

expect_status 0 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --val val/annotations.json --epochs 1 \
  -o dp.ckpt.h5
expect_stdout '^dp\.best\.ckpt\.h5	AP [0-9.]+$'
expect_stderr 'distilpose objective'
expect_stderr 'keypoint tokens aligned by a linear map 8 -> 16'
"$py" - <<'PY' || fail "distilpose metrics and checkpoint"
import json, h5py
r = json.loads(open("dp.metrics.jsonl").readline())
assert list(r["loss"]) == ["smooth_l1", "keypoint_token_mse", "visual_token_mse", "simulated_heatmap_mse",
                           "confidence_l1"], r["loss"]
with h5py.File("dp.ckpt.h5") as f:
    assert f["extra/align_keypoint_tokens/params/weight"].shape == (16, 8)
    assert f["extra/align_visual_tokens/params/weight"].shape == (16, 8)
PY

# The ablation: each switch removes its term.
expect_status 0 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --epochs 1 --distilpose-no-vt \
  --distilpose-no-cs --distilpose-kt-weight 0.001 -o ab.ckpt.h5
"$py" -c '
import json
r = json.loads(open("ab.metrics.jsonl").readline())
assert list(r["loss"]) == ["smooth_l1", "keypoint_token_mse", "simulated_heatmap_mse"], r["loss"]
' || fail "switched-off terms logged"

# A stored teacher has maps but no tokens: refused with L_KT/L_VT, fine for L_SH and L_CS.
pose-dump-heatmaps -q teacher.ckpt.h5 train/annotations.json -o teacher.hm.h5 --workers 1 >/dev/null 2>dump.err ||
  { fail "dump"; cat dump.err >&2; }
expect_status 2 pose-distill "${common[@]}" --teacher-heatmaps teacher.hm.h5 --epochs 1 -o st.ckpt.h5
expect_stderr 'distilpose distils the teacher.s .*tokens.*use a live teacher, --teacher CKPT'
expect_one_line_error
expect_status 0 pose-distill "${common[@]}" --teacher-heatmaps teacher.hm.h5 --epochs 1 --distilpose-no-kt \
  --distilpose-no-vt -o st.ckpt.h5
"$py" -c '
import json
r = json.loads(open("st.metrics.jsonl").readline())
assert list(r["loss"]) == ["smooth_l1", "simulated_heatmap_mse", "confidence_l1"], r["loss"]
' || fail "stored-teacher terms"

# Refusals, before any step.
expect_status 1 pose-distill "${common[@]}" --teacher plain.ckpt.h5 -o x.ckpt.h5
expect_stderr 'plain\.ckpt\.h5:/@model_spec: distilpose needs keypoint and visual tokens, found a model without them'
expect_one_line_error
expect_status 2 pose-distill "${common[@]/patch=4x2/patch=2x2}" --teacher teacher.ckpt.h5 -o x.ckpt.h5
expect_stderr 'the student has 32 visual tokens, teacher teacher\.ckpt\.h5 has 16; .* or --distilpose-no-vt'
expect_status 2 pose-distill "${common[@]/head=regression*/head=simcc}" --teacher teacher.ckpt.h5 -o x.ckpt.h5
expect_stderr '--method distilpose: needs a student with a regression head'
expect_status 2 pose-distill "${common[@]}" --teacher teacher.ckpt.h5 --distilpose-sh-weight -2 -o x.ckpt.h5
checks=$((checks + 1)); [ ! -e x.ckpt.h5 ] || fail "a refused run wrote x.ckpt.h5"

finish
