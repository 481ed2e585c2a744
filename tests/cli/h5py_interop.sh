# posekd files read by h5py, and files written by h5py read by posekd (DESIGN 3.4: a Python
# user needs nothing but h5py). Debian's h5py/numpy load only under /usr/bin/python3.
# posekd's side is tests/bin/posekd_h5_fixture, which writes and dumps through the io library.
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
FIXTURE="$POSEKD_BINARY_DIR/tests/bin/posekd_h5_fixture"
PY=/usr/bin/python3
PYDIR="$POSEKD_SOURCE_DIR/tests/cli/py"

# posekd -> h5py: attributes, skeleton, float16 values bit for bit, params into a state dict.
"$FIXTURE" checkpoint posekd.ckpt.h5 || fail "fixture checkpoint"
"$FIXTURE" heatmaps posekd.hm.h5 4 || fail "fixture heatmaps"
expect_status 0 $PY "$PYDIR/read_posekd_files.py" posekd.ckpt.h5 posekd.hm.h5
expect_stdout "^h5py read the posekd files$"

# h5py -> posekd: variable- and fixed-length string attributes, float16 (with subnormals,
# infinities, signed zeros) and gzip, read by the readers and by pose-info.
expect_status 0 $PY "$PYDIR/write_h5py_files.py" h5py.ckpt.h5 h5py.hm.h5
"$FIXTURE" dump-checkpoint h5py.ckpt.h5 > ckpt.dump 2> err.txt || { fail "posekd cannot read the h5py checkpoint"; cat err.txt >&2; }
"$FIXTURE" dump-heatmaps h5py.hm.h5 > hm.dump 2> err.txt || { fail "posekd cannot read the h5py heatmaps"; cat err.txt >&2; }
expect_status 0 $PY "$PYDIR/compare_dumps.py" h5py.ckpt.h5 ckpt.dump h5py.hm.h5 hm.dump
expect_stdout "^posekd read the h5py files$"

expect_status 0 pose-info h5py.ckpt.h5 h5py.hm.h5
expect_stdout "^h5py.ckpt.h5: posekd-checkpoint, format_version 1$"
expect_stdout "^  model_spec +hrnet:width=32$"
expect_stdout "^    tool +h5py [0-9.]+$"
expect_stdout "^    input +annotations/person_keypoints_val2017.json  size=1 mtime=2 fnv1a64=0000000000000003$"
expect_stdout "^  samples +3 \(3 done\)$"
expect_stdout "^    /heatmaps +\[3,17,4,5\] float16  chunks \[1,17,4,5\]  deflate 4$"

# A plain h5py file is foreign.
$PY -c 'import h5py, sys; h5py.File(sys.argv[1], "w")["x"] = [1.0]' plain.h5 || fail "h5py plain file"
expect_status 1 pose-info plain.h5
expect_stderr "^pose-info: error: plain.h5:/: expected a posekd file .*without a 'format' attribute$"

finish
