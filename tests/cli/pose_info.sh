# pose-info on good checkpoint and heatmaps files (text and --json), on stdin through a real
# pipe, and on truncated, foreign, non-HDF5, missing and future-version files. The posekd
# files come from tests/bin/posekd_h5_fixture (tests/fixtures), which writes them through
# the io library.
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
FIXTURE="$POSEKD_BINARY_DIR/tests/bin/posekd_h5_fixture"
PY=/usr/bin/python3

"$FIXTURE" checkpoint model.ckpt.h5 || fail "fixture checkpoint"
"$FIXTURE" heatmaps a.hm.h5 4 float16 1000 || fail "fixture heatmaps a"
"$FIXTURE" heatmaps b.hm.h5 3 float16 2000 || fail "fixture heatmaps b"
"$FIXTURE" merge all.hm.h5 a.hm.h5 b.hm.h5 || fail "fixture merge"
"$FIXTURE" foreign foreign.h5 || fail "fixture foreign"
cp model.ckpt.h5 future.ckpt.h5 && "$FIXTURE" set-version future.ckpt.h5 2 || fail "fixture set-version"
head -c 4000 model.ckpt.h5 > truncated.ckpt.h5
printf 'image_id,score\n1,0.5\n' > notes.csv

# Help and usage.
expect_status 0 pose-info --help
expect_stdout "--json"
expect_status 2 pose-info
expect_stderr "^pose-info: error: .*files is required"

# A checkpoint, text.
expect_status 0 pose-info model.ckpt.h5
expect_stdout "^model.ckpt.h5: posekd-checkpoint, format_version 1$"
expect_stdout "^  model_spec +simplebaseline:backbone=resnet18$"
expect_stdout "^  skeleton +coco17 \(17 joints\)$"
expect_stdout "^  input_size +192x256 \(width x height\)$"
expect_stdout "^  params +197$"
expect_stdout "^  gflops +1.500$"
expect_stdout "^  train +epoch 3, step 120, best AP 0.5$"
expect_stdout "^    tool +posekd_h5_fixture "
expect_stdout "^    argv +.*posekd_h5_fixture checkpoint model.ckpt.h5$"
expect_stdout "^    utc_time +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"
expect_stdout "^    /params/head.final_layer.weight +\[17,4,1,1\] float32$"
[ -s err.txt ] && fail "stderr not empty for a good file"

# A merged heatmaps file, text.
expect_status 0 pose-info all.hm.h5
expect_stdout "^all.hm.h5: posekd-heatmaps, format_version 1$"
expect_stdout "^  samples +7 \(7 done\)$"
expect_stdout "^  heatmaps +\[7,17,8,6\] float16$"
expect_stdout "^    input +a.hm.h5  size="
expect_stdout "^    /heatmaps +\[7,17,8,6\] float16  virtual \(2 sources\)$"
expect_status 0 pose-info a.hm.h5
expect_stdout "^    /heatmaps +\[4,17,8,6\] float16  chunks \[1,17,8,6\]$"

# --json: one object per file and line, parsed by a real JSON parser.
expect_status 0 pose-info --json model.ckpt.h5 all.hm.h5
[ "$(wc -l < out.txt)" = 2 ] || fail "--json: expected 2 lines"
$PY - out.txt <<'PYEOF' || fail "--json content"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ck, hm = (json.loads(l) for l in lines)
assert ck["format"] == "posekd-checkpoint" and ck["format_version"] == 1, ck
assert ck["model_spec"] == "simplebaseline:backbone=resnet18" and ck["skeleton"] == "coco17" and ck["joints"] == 17
assert ck["params"] == 197 and ck["gflops"] == 1.5 and ck["input_size"] == [192, 256]
assert ck["train"] == {"epoch": 3, "step": 120, "best_metric_name": "AP", "best_metric": 0.5}
assert ck["provenance"]["tool"] == "posekd_h5_fixture"
assert {"path": "/params/backbone.conv1.weight", "shape": [4, 3, 3, 3], "dtype": "float32", "chunks": None,
        "deflate": 0, "virtual_sources": 0} in ck["datasets"]
assert hm["samples"] == 7 and hm["done"] == 7 and hm["heatmaps_shape"] == [7, 17, 8, 6] and hm["heatmaps_dtype"] == "float16"
assert [i["path"] for i in hm["provenance"]["inputs"]] == ["a.hm.h5", "b.hm.h5"]
assert hm["attributes"] == {"decoding": "dark", "shards": "2"}
PYEOF

# stdin through a real pipe.
checks=$((checks + 1))
cat model.ckpt.h5 | pose-info - > out.txt 2> err.txt || fail "pose-info - (checkpoint) exited $?"
expect_stdout "^<stdin>: posekd-checkpoint, format_version 1$"
checks=$((checks + 1))
cat a.hm.h5 | pose-info --json - > out.txt 2> err.txt || fail "pose-info --json - (heatmaps) exited $?"
expect_stdout '"file":"<stdin>","format":"posekd-heatmaps"'
checks=$((checks + 1))
printf 'plain text' | pose-info - > out.txt 2> err.txt; [ $? = 1 ] || fail "text on stdin: expected exit 1"
expect_stderr "^pose-info: error: <stdin>: expected an HDF5 file, found no HDF5 signature$"
expect_status 2 pose-info - -
expect_stderr "stdin \('-'\) can be read only once"

# Bad files: one line each, exit 1.
expect_status 1 pose-info notes.csv
expect_one_line_error
expect_stderr "^pose-info: error: notes.csv: expected an HDF5 file, found no HDF5 signature$"
expect_status 1 pose-info truncated.ckpt.h5
expect_one_line_error
expect_stderr "^pose-info: error: truncated.ckpt.h5: truncated or damaged HDF5 file \(HDF5: truncated file: eof = 4000"
expect_status 1 pose-info foreign.h5
expect_one_line_error
expect_stderr "^pose-info: error: foreign.h5:/: expected a posekd file \(format posekd-checkpoint or posekd-heatmaps\), found an HDF5 file without a 'format' attribute$"
expect_status 1 pose-info future.ckpt.h5
expect_one_line_error
expect_stderr "^pose-info: error: future.ckpt.h5:/@format_version: expected 1 or older, found 2 \(written by a newer posekd\)$"
expect_status 1 pose-info missing.h5
expect_stderr "^pose-info: error: missing.h5: cannot open: No such file or directory$"

# A bad file among good ones: the good ones are still described, the status is 1.
expect_status 1 pose-info model.ckpt.h5 notes.csv a.hm.h5
expect_stdout "^model.ckpt.h5: posekd-checkpoint"
expect_stdout "^a.hm.h5: posekd-heatmaps"
expect_one_line_error

# A merged file whose shard went away is refused, not read as zeros.
mv b.hm.h5 b.moved.h5
expect_status 1 pose-info all.hm.h5
expect_stderr "^pose-info: error: all.hm.h5:/heatmaps: expected shard b.hm.h5 of this merged file, found it missing$"

finish
