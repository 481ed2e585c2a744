#!/usr/bin/env bash
# pose-dump-heatmaps as a user runs it, on a tiny pose-synth set and the checkpoint of an
# untrained model (tests/bin/posekd_model_fixture): dump, pose-info, pose-eval of the
# predictions, shards + merge = full, SIGKILL + resume = full, SIGINT exits 75, -o - piped into
# pose-info -, and bad input (exit status and message). Files are compared dataset by dataset
# with h5py (/usr/bin/python3); their provenance differs by design.
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
FIXTURE="$POSEKD_BINARY_DIR/tests/bin/posekd_model_fixture"
py=/usr/bin/python3
SPEC="resnet:depth=18,width=4,deconvs=3,deconv_channels=8,joints=17,input=64x64"
export OMP_NUM_THREADS=1

pose-synth -q -o data -n 8 --split val --size 128x96 --seed 5 --detections data/dets.json > /dev/null || exit 1
# More people for the signal tests: the dump must still be running when the signal comes.
pose-synth -q -o many -n 40 --split val --size 128x96 --seed 6 > /dev/null || exit 1
"$FIXTURE" m.ckpt.h5 "$SPEC" coco17 unbiased 3 || exit 1
"$FIXTURE" mpii.ckpt.h5 "${SPEC/joints=17/joints=16}" mpii16 unbiased 3 || exit 1

# same_datasets A B [PATHS...]: every dataset of A equals B's (all of them when none are named).
same_datasets() {
  checks=$((checks + 1))
  "$py" - "$@" <<'EOF' || fail "$1 and $2 differ"
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = sys.argv[3:]
if not names:
    a.visit(lambda n: names.append(n) if isinstance(a[n], h5py.Dataset) else None)
for n in names:
    x, y = a[n][()], b[n][()]
    if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(x, y):
        sys.exit(f"{n}: {x.dtype}{x.shape} vs {y.dtype}{y.shape}")
EOF
}

# The full dump: float32 so that comparisons are bit for bit; predictions beside it.
expect_status 0 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json -o full.hm.h5 --float32 --batch-size 2 \
  --predictions preds.json --oks-nms 0.9 --visualize viz --limit 3
[ -f full.hm.h5 ] && [ ! -e full.hm.h5.partial ] || fail "full.hm.h5 not committed"
[ "$(ls viz | wc -l)" = 3 ] || fail "--visualize --limit 3 wrote $(ls viz | wc -l) files"
expect_status 0 pose-info full.hm.h5
expect_stdout 'posekd-heatmaps'
expect_stdout 'pose-dump-heatmaps'
expect_status 0 pose-eval data/annotations.json preds.json --json
expect_stdout '"AP"'
# /coords are the decoded maps: the stored maps' maxima are the stored scores.
checks=$((checks + 1))
"$py" - <<'EOF' || fail "/coords scores are not the maxima of /heatmaps"
import h5py, numpy as np
f = h5py.File("full.hm.h5", "r")
hm, co = f["heatmaps"][()], f["coords"][()]
assert hm.shape[1:] == (17, 16, 16), hm.shape
assert np.array_equal(hm.reshape(hm.shape[0], 17, -1).max(-1), co[:, :, 2])
assert (f["done"][()] == 1).all()
assert f.attrs["padding"] == "1.25", f.attrs["padding"]
assert f.attrs["flip_shift"] == "exact", f.attrs["flip_shift"]
EOF

# Four shards merged equal the full dump; the shards come in glob order, not shard order.
for i in 0 1 2 3; do
  expect_status 0 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json -o shard$i.hm.h5 --float32 --batch-size 2 --shard $i/4
done
expect_status 0 pose-dump-heatmaps -q --merge shard3.hm.h5 shard1.hm.h5 shard0.hm.h5 shard2.hm.h5 -o merged.hm.h5
same_datasets full.hm.h5 merged.hm.h5 sample_id image_id crop heatmaps coords done
# The Slurm array environment picks the shard.
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=4 expect_status 0 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json \
  -o slurm.hm.h5 --float32 --batch-size 2
same_datasets shard2.hm.h5 slurm.hm.h5 sample_id heatmaps coords

# A dump SIGKILLed part-way, resumed, equals the uninterrupted one.
pose-dump-heatmaps -q m.ckpt.h5 many/annotations.json -o killed.hm.h5 --float32 --batch-size 1 --threads 1 \
  --visualize slow --limit 1000 2> /dev/null &
pid=$!
# Overlays are drawn per batch: five of them mean some batches are through.
for _ in $(seq 1 2000); do [ "$(ls slow 2> /dev/null | wc -l)" -ge 5 ] && break; sleep 0.005; done
kill -9 $pid 2> /dev/null; wait $pid 2> /dev/null
checks=$((checks + 1))
[ -e killed.hm.h5.partial ] && [ ! -e killed.hm.h5 ] || fail "SIGKILL did not leave a .partial only"
"$py" -c 'import h5py, sys; d = h5py.File("killed.hm.h5.partial", "r")["done"][()]; s = int(d.sum()); sys.exit(not (0 < s < len(d) and d[:s].all()))' ||
  fail "SIGKILL: expected a partly written dump"
expect_status 1 pose-dump-heatmaps -q m.ckpt.h5 many/annotations.json -o killed.hm.h5 --float32 --batch-size 2 --resume
expect_stderr 'killed.hm.h5.partial:/@dump_config: cannot resume with different arguments: expected " batch_size=2", found " batch_size=1"'
expect_one_line_error
expect_status 0 pose-dump-heatmaps -q m.ckpt.h5 many/annotations.json -o killed.hm.h5 --float32 --batch-size 1 --resume
[ -f killed.hm.h5 ] && [ ! -e killed.hm.h5.partial ] || fail "resumed dump not committed"
expect_status 0 pose-dump-heatmaps -q m.ckpt.h5 many/annotations.json -o one.hm.h5 --float32 --batch-size 1
same_datasets one.hm.h5 killed.hm.h5 sample_id image_id crop heatmaps coords done

# SIGINT: stop at a batch boundary, keep the .partial, exit 75.
pose-dump-heatmaps m.ckpt.h5 many/annotations.json -o int.hm.h5 --batch-size 1 --threads 1 --visualize slow2 --limit 1000 \
  > /dev/null 2> int-err.txt &
pid=$!
for _ in $(seq 1 2000); do [ "$(ls slow2 2> /dev/null | wc -l)" -ge 5 ] && break; sleep 0.005; done
kill -INT $pid; wait $pid; status=$?
checks=$((checks + 1))
[ "$status" = 75 ] && [ -e int.hm.h5.partial ] && grep -q 'interrupted: signal 2 after' int-err.txt ||
  fail "SIGINT: exit $status, expected 75 and a kept .partial: $(tail -1 int-err.txt)"

# Detector boxes: sample_id = position in the detection file; float16 by default.
expect_status 0 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json --detections data/dets.json --det-threshold 0.3 \
  -o det.hm.h5 --features layer4
checks=$((checks + 1))
"$py" - <<'EOF' || fail "detection dump"
import h5py, json, numpy as np
f = h5py.File("det.hm.h5", "r")
dets = json.load(open("data/dets.json"))
keep = [i for i, d in enumerate(dets) if d["score"] >= 0.3]
assert list(f["sample_id"][()]) == keep, (list(f["sample_id"][()]), keep)
assert [dets[i]["image_id"] for i in keep] == list(f["image_id"][()])
assert f["heatmaps"].dtype == np.float16 and f["features/layer4"].dtype == np.float16
EOF

# -o - writes the file image to stdout, which pose-info - reads.
checks=$((checks + 1))
pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json -o - | pose-info - > piped.txt || fail "-o - | pose-info - failed"
grep -q 'posekd-heatmaps' piped.txt || fail "pose-info - did not describe the piped dump"

# Bad input.
expect_status 1 pose-dump-heatmaps -q mpii.ckpt.h5 data/annotations.json -o bad.hm.h5
expect_stderr 'error: mpii.ckpt.h5:/skeleton: expected skeleton coco17 \(17 joints\), found mpii16 \(16 joints\)'
expect_one_line_error
expect_status 0 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json -o other0.hm.h5 --float32 --batch-size 2 --shard 0/4 --no-flip-test
expect_status 1 pose-dump-heatmaps -q --merge other0.hm.h5 shard1.hm.h5 shard2.hm.h5 shard3.hm.h5 -o bad.hm.h5
expect_stderr 'shard1.hm.h5:/@dump_config: not a shard of the same dump as other0.hm.h5: expected " flip_test=false flip_shift=auto", found " flip_test=true flip_shift=auto"'
expect_status 1 pose-dump-heatmaps -q --merge shard0.hm.h5 shard1.hm.h5 shard3.hm.h5 -o bad.hm.h5
expect_stderr 'error: --merge: shard 2/4 is missing \(3 of 4 given\)'
expect_status 2 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json -o full.hm.h5
expect_stderr 'full.hm.h5: output exists \(use --force to overwrite\)'
expect_status 2 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json
expect_stderr 'nothing to write: give -o FILE'
expect_status 2 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json -o x.hm.h5 --shard 4/4
expect_stderr '--shard: expected i/n with 0 <= i < n, found "4/4"'
expect_status 2 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json -o x.hm.h5 --features nosuch
expect_stderr 'no feature "nosuch" \(this model has: '
expect_status 2 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json -o x.hm.h5 --tokens
expect_stderr '--tokens: model resnet:.* has no keypoint or visual tokens'

expect_status 1 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json --detections nope.json -o x.hm.h5
expect_stderr 'error: nope.json: cannot open'
# --print-config writes a file that --config reads back into the same dump.
pose-dump-heatmaps --print-config m.ckpt.h5 data/annotations.json -o cfg.hm.h5 --float32 --batch-size 2 > cfg.toml
expect_status 0 pose-dump-heatmaps -q --config cfg.toml
same_datasets full.hm.h5 cfg.hm.h5 sample_id heatmaps coords

# Every option in --help is in the man page and the other way round (STYLE 8).
expect_status 0 pose-dump-heatmaps --help
grep -oE -- '--[a-z][a-z0-9-]+' out.txt | sort -u > help-options.txt
grep -oE -- '\\-\\-[a-z][a-z0-9\\-]+' "$POSEKD_SOURCE_DIR/man/man1/pose-dump-heatmaps.1" | sed 's/\\//g' | sort -u > man-options.txt
diff help-options.txt man-options.txt > /dev/null || { fail "--help and pose-dump-heatmaps.1 list different options"; diff help-options.txt man-options.txt >&2; }
finish
