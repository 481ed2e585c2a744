#!/usr/bin/env bash
# The tools chained as separate processes, through pipes where the formats allow it and files
# otherwise: pose-synth -> pose-train (teacher) -> pose-dump-heatmaps -o - | pose-distill
# --teacher-heatmaps - (fpd) -> pose-dump-heatmaps --predictions - -> pose-eval, with the final
# accuracy checked against a floor; and a failing stage in a pipe fails the chain.
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
set -o pipefail
export OMP_WAIT_POLICY=PASSIVE
py=/usr/bin/python3

# One person per image, large and unoccluded, so that a few seconds of training learn something
# measurable; articulation stays at its default so the pose must be read from the image.
easy=(--size 96x96 --max-people 1 --scale-range 0.7 0.9 --clutter 0 --occluders 0 --truncation 0 --pixel-noise 0)
pose-synth -q -o train -n 128 --seed 1 "${easy[@]}" >/dev/null || fail "pose-synth train"
pose-synth -q -o val -n 16 --seed 1 --split val "${easy[@]}" >/dev/null || fail "pose-synth val"
teacher="resnet:depth=18,width=8,deconvs=3,deconv_channels=16,input=64x64"
student="resnet:depth=18,width=4,deconvs=3,deconv_channels=8,input=64x64"
common=(--train train/annotations.json --half-body-prob 0 --rotation-prob 0 --scale-factor 0.1 -b 8 --workers 1
  --threads 1 --seed 3 --epochs 24 --lr 0.005 --optimizer adam)

# pose-train writes a checkpoint file only (-o - is refused): the teacher goes through a file.
expect_status 0 pose-train "${common[@]}" --model "$teacher" -o teacher.ckpt.h5

# The teacher's maps go through a pipe: the dump writes the HDF5 file image to stdout and
# pose-distill reads it whole from stdin.
pose-dump-heatmaps -q teacher.ckpt.h5 train/annotations.json -o - --workers 1 2>dump.err |
  pose-distill "${common[@]}" --model "$student" --method fpd --teacher-heatmaps - -o student.ckpt.h5 >distill.out 2>distill.err
status=$?
checks=$((checks + 1))
[ "$status" = 0 ] || { fail "dump | distill: exit $status"; tail -3 dump.err distill.err >&2; }
checks=$((checks + 1))
grep -q 'fpd objective' distill.err || fail "dump | distill: not an fpd run"

# pose-eval reads predictions by path (it sniffs the format, then simdjson loads the file by
# size), so a pipe cannot feed it: the dump writes them to stdout and the shell to a file, which
# also checks that stdout carries the JSON and nothing else (logs go to stderr).
pose-dump-heatmaps -q student.ckpt.h5 val/annotations.json --predictions - --workers 1 >student.preds.json 2>preds.err ||
  { fail "dump --predictions -"; cat preds.err >&2; }
"$py" -c 'import json, sys; r = json.load(open(sys.argv[1])); assert len(r) >= 16 and "keypoints" in r[0], r[:1]' \
  student.preds.json || fail "student.preds.json is not a COCO results file"

# The floor. COCO AP on 16 small validation people after seconds of training is a few hundredths
# and moves in steps of one person; PCK moves per joint. But a prediction of the training set's
# mean pose inside the ground-truth box already scores high on PCK@0.2 with one large person per
# image (0.74 here), so the floor is PCK@0.1 (bbox-normalised, as mmpose), and it must beat that
# mean-pose baseline computed on this very data: a student that learned nothing from the images
# cannot pass.
expect_status 0 pose-eval val/annotations.json student.preds.json --metric coco,pck --pck-alpha 0.1 --csv
cp out.txt student.eval.csv
pck=$(awk -F, '$1 == "pck" && $2 == "summary" && $3 == "Mean" {print $5}' student.eval.csv)
ap=$(awk -F, '$1 == "coco" && $3 == "AP" {print $5}' student.eval.csv)
baseline=$("$py" - <<'PY'
import json, numpy as np
def normalised(split):
    rows = []
    for a in json.load(open(f"{split}/annotations.json"))["annotations"]:
        k = np.array(a["keypoints"], float).reshape(-1, 3)
        x, y, w, h = a["bbox"]
        s = max(w, h)
        rows.append(((k[:, 0] - x - w / 2) / s, (k[:, 1] - y - h / 2) / s, k[:, 2] > 0))
    return rows
train = normalised("train")
mx, my = np.mean([r[0] for r in train], 0), np.mean([r[1] for r in train], 0)
hits = np.concatenate([(np.hypot(x - mx, y - my) < 0.1)[v] for x, y, v in normalised("val")])
print(f"{100 * hits.mean():.4f}")
PY
)
echo "student (fpd, piped teacher): PCK@0.1 $pck, AP $ap; mean-pose baseline PCK@0.1 $baseline"
checks=$((checks + 1))
awk -v p="${pck:-0}" -v b="${baseline:-100}" 'BEGIN {exit !(p > b + 5)}' ||
  fail "student PCK@0.1 ${pck:-missing} is not above the mean-pose baseline ${baseline:-missing} + 5"
checks=$((checks + 1))
awk -v a="${ap:--1}" 'BEGIN {exit !(a >= 0 && a <= 1)}' || fail "student AP '${ap:-missing}' is not in [0, 1]"

# A failing stage fails the chain: the dump cannot open its checkpoint, pose-distill finds an
# empty stdin, says so in one line naming it, and leaves no checkpoint behind.
pose-dump-heatmaps -q missing.ckpt.h5 train/annotations.json -o - 2>/dev/null |
  pose-distill "${common[@]}" --model "$student" --method fpd --teacher-heatmaps - -o broken.ckpt.h5 >out.txt 2>err.txt
stages="${PIPESTATUS[*]}"
checks=$((checks + 1))
[ "$stages" = "1 1" ] || fail "dump of a missing checkpoint | distill: expected exit statuses 1 1, got $stages"
expect_stderr '^pose-distill: error: <stdin>: expected an HDF5 file, found no HDF5 signature$'
expect_one_line_error
checks=$((checks + 1))
[ ! -e broken.ckpt.h5 ] || fail "a failed chain left broken.ckpt.h5"

# A stream cut short (a dump killed mid-way) is refused as damaged, not trained on.
pose-dump-heatmaps -q teacher.ckpt.h5 train/annotations.json -o - --workers 1 2>/dev/null | head -c 20000 |
  pose-distill "${common[@]}" --model "$student" --method fpd --teacher-heatmaps - -o cut.ckpt.h5 >out.txt 2>err.txt
status=$?
checks=$((checks + 1))
[ "$status" = 1 ] || fail "dump | head -c | distill: expected exit 1 (bad data), got $status"
expect_stderr '^pose-distill: error: <stdin>: truncated or damaged HDF5 file'
expect_one_line_error
checks=$((checks + 1))
[ ! -e cut.ckpt.h5 ] || fail "a truncated stream left cut.ckpt.h5"
finish
