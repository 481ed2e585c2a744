#!/usr/bin/env bash
# pose-distill as a user runs it on a tiny synthetic set: fpd and skd from stored teacher maps
# (a file, and pose-dump-heatmaps piped in with -o - | --teacher-heatmaps -) and from a live
# teacher at another input size; mismatched teacher files refused before training (exit
# status and message); SIGTERM -> exit 75 -> --resume; the man page covers --help.
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
export OMP_WAIT_POLICY=PASSIVE
FIXTURE="$POSEKD_BINARY_DIR/tests/bin/posekd_model_fixture"
src="${POSEKD_SOURCE_DIR:?}"
py=/usr/bin/python3

pose-synth -q -o train -n 12 --size 96x72 --seed 1 >/dev/null || fail "pose-synth train"
pose-synth -q -o val -n 4 --size 96x72 --seed 1 --split val >/dev/null || fail "pose-synth val"
pose-synth -q -o other -n 5 --size 96x72 --seed 7 >/dev/null || fail "pose-synth other"
pose-synth -q -o mpii -n 4 --size 96x72 --format mpii >/dev/null || fail "pose-synth mpii"
teacher_spec="resnet:depth=18,width=4,deconvs=2,deconv_channels=8,joints=17,input=64x64"
"$FIXTURE" teacher.ckpt.h5 "$teacher_spec" coco17 unbiased 3 || exit 1
"$FIXTURE" big.ckpt.h5 "${teacher_spec/input=64x64/input=128x128}" coco17 unbiased 3 || exit 1
"$FIXTURE" mpii.ckpt.h5 "${teacher_spec/joints=17/joints=16}" mpii16 unbiased 3 || exit 1
student="resnet:depth=18,width=2,deconvs=1,deconv_channels=4,input=32x32"
common=(--train train/annotations.json --model "$student" -b 4 --workers 1 --threads 1 --seed 3)

pose-dump-heatmaps -q teacher.ckpt.h5 train/annotations.json -o teacher.hm.h5 --workers 1 >/dev/null 2>dump.err ||
  { fail "dump"; cat dump.err >&2; }

# fpd from the stored file, with validation: the files of a training run, the loss terms.
expect_status 0 pose-distill "${common[@]}" --method fpd --teacher-heatmaps teacher.hm.h5 --val val/annotations.json \
  --epochs 1 -o fpd.ckpt.h5
expect_stdout '^fpd\.best\.ckpt\.h5	AP [0-9.]+$'
expect_stderr 'fpd objective'
expect_stderr 'epoch 1 validation: AP '
"$py" - <<'PY' || fail "fpd metrics"
import json
rows = [json.loads(l) for l in open("fpd.metrics.jsonl")]
assert [r["epoch"] for r in rows] == [1], rows
assert {"fpd_teacher", "fpd_gt"} <= set(rows[0]["loss"]), rows[0]
PY

# skd from the dump piped in on stdin.
pose-dump-heatmaps -q teacher.ckpt.h5 train/annotations.json -o - --workers 1 2>pipe.err |
  pose-distill "${common[@]}" --method skd --teacher-heatmaps - --epochs 1 -o skd.ckpt.h5 >skd.out 2>skd.err
status=$?
checks=$((checks + 1)); [ "$status" = 0 ] || { fail "piped skd: exit $status"; tail -3 skd.err >&2; }
grep -q 'loc .*skd_edge .*skd_joint' skd.err || fail "piped skd: no loss terms in the log"

# A live teacher at twice the student's input size renders its own crops.
expect_status 0 pose-distill "${common[@]}" --method skd --teacher big.ckpt.h5 --epochs 1 -o live.ckpt.h5
expect_stderr 'skd objective'

# --print-config gives a file that --config reads back, method and teacher included.
expect_status 0 pose-distill "${common[@]}" --method skd --teacher-heatmaps teacher.hm.h5 --skd-beta 10 -o cfg.ckpt.h5 \
  --teacher-warp affine --print-config
cp out.txt cfg.toml
expect_stdout '^method="skd"$'
expect_stdout '^skd-beta=10$'
expect_stdout '^teacher-warp="affine"$'
expect_status 0 pose-distill --config cfg.toml --print-config
checks=$((checks + 1)); cmp -s out.txt cfg.toml || fail "--print-config of --config cfg.toml differs"

# Mismatched teachers, refused before training with one line naming file, place, expected, found.
pose-dump-heatmaps -q teacher.ckpt.h5 other/annotations.json -o other.hm.h5 --workers 1 >/dev/null 2>&1
expect_status 1 pose-distill "${common[@]}" --method fpd --teacher-heatmaps other.hm.h5 --epochs 1 -o x.ckpt.h5
expect_stderr '^pose-distill: error: other\.hm\.h5:/sample_id: expected every sample_id of train/annotations\.json \([0-9]+ samples\), found [0-9]+ missing \([0-9, .]+\): a dump of another dataset\?$'
expect_one_line_error
pose-dump-heatmaps -q mpii.ckpt.h5 mpii/annotations.json -o mpii.hm.h5 --workers 1 >/dev/null 2>&1
expect_status 1 pose-distill "${common[@]}" --method fpd --teacher-heatmaps mpii.hm.h5 --epochs 1 -o x.ckpt.h5
expect_stderr 'mpii\.hm\.h5:/skeleton: expected skeleton coco17 \(17 joints\), found mpii16 \(16 joints\)'
expect_status 1 pose-distill "${common[@]}" --method skd --teacher mpii.ckpt.h5 --epochs 1 -o x.ckpt.h5
expect_stderr 'mpii\.ckpt\.h5:/skeleton: expected skeleton coco17'
expect_status 2 pose-distill "${common[@]}" --method fpd --epochs 1 -o x.ckpt.h5
expect_stderr 'fpd needs a teacher: --teacher-heatmaps FILE \(stored\) or --teacher CKPT \(live\)'
expect_status 2 pose-distill "${common[@]}" --method fpd --teacher teacher.ckpt.h5 --teacher-heatmaps teacher.hm.h5 -o x.ckpt.h5
expect_stderr 'exclude each other'
expect_status 2 pose-distill "${common[@]}" --method kd --teacher teacher.ckpt.h5 -o x.ckpt.h5
expect_stderr "--method: expected one of fpd, skd.*, found 'kd'"
expect_status 2 pose-distill "${common[@]}" --method fpd --teacher-heatmaps teacher.hm.h5 --teacher-warp scaled -o x.ckpt.h5
expect_stderr '--teacher-warp: scaled not in \{keep-width,affine\}'
expect_status 2 pose-distill "${common[@]/$student/${student},head=simcc}" --method fpd --teacher teacher.ckpt.h5 -o x.ckpt.h5
expect_stderr '--method fpd: needs a student with a heatmap head, found --model .* \(simcc head\)'
expect_status 2 pose-distill "${common[@]}" --method fpd --teacher-heatmaps nowhere.hm.h5 -o x.ckpt.h5
expect_stderr '--teacher-heatmaps: File does not exist: nowhere\.hm\.h5'
checks=$((checks + 1)); [ ! -e x.ckpt.h5 ] || fail "a refused run wrote a checkpoint"

# SIGTERM: the step finishes, a resumable checkpoint, exit 75; --resume continues.
pose-distill "${common[@]}" -b 2 --method fpd --teacher-heatmaps teacher.hm.h5 --epochs 500 --log-every 1 \
  -o sig.ckpt.h5 > sig.out 2> sig.err &
pid=$!
for _ in $(seq 1 300); do grep -q 'step 3 ' sig.err 2>/dev/null && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"; status=$?
checks=$((checks + 1)); [ "$status" = 75 ] || { fail "SIGTERM: expected exit 75, got $status"; tail -3 sig.err >&2; }
epoch=$(grep -oE 'interrupted: stopped after .*epoch [0-9]+' sig.err | grep -oE '[0-9]+$')
end=$((${epoch:-1} + 1))
expect_status 0 pose-distill "${common[@]}" -b 2 --method fpd --teacher-heatmaps teacher.hm.h5 --epochs "$end" \
  --resume sig.ckpt.h5 -o sig.ckpt.h5
expect_stderr 'resuming sig\.ckpt\.h5 at epoch'
expect_stderr "epoch $end/$end done"

# The man page lists every option that --help lists.
pose-distill --help > help.txt
man_text=$(sed 's/\\-/-/g' "$src/man/man1/pose-distill.1")
for opt in $(grep -oE -- '--[a-z][a-z0-9-]+' help.txt | sort -u); do
  checks=$((checks + 1))
  grep -qF -- "$opt" <<< "$man_text" || fail "man page lacks $opt"
done
finish
