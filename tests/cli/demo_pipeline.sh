# The demo pipeline end to end at its tiny size: every tool as a separate process, the report
# written, and a re-run that skips every stage (stamps) unless inputs change.
. "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"

demo="$POSEKD_SOURCE_DIR/share/posekd/pipelines/demo.sh"
export DEMO=tiny DEMO_OUT="$WORK/demo" DEMO_JOBS=2  # two students at a time, as on a 2-core machine

expect_status 0 bash "$demo"
expect_stdout '^\| teacher \| gt \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|'
expect_stdout '^\| student-gt \| gt \| [0-9]+ \|.* \+0\.0000 \|$'
expect_stdout '^\| student-gt \| gt \| [0-9]+ \| [0-9.]+ \| [0-9]+\.[0-9]+ \| '
# The distilled students: the student-gt recipe, so the same size, and a gain column of their own.
row='[0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [-+][0-9.]+ \|$'
for entry in student-fpd:fpd student-skd:skd student-sdp:sdp student-sdp-fixed:sdp-no-stepping \
  student-igp:igp student-igp-gt:igp-gt-targets student-dsr:dsr simcc-gt:gt simcc-two-stage:two-stage \
  regression-gt:gt regression-distilpose:distilpose; do
  expect_stdout "^\\| ${entry%%:*} \\| ${entry#*:} \\| $row"
done
checks=$((checks + 1))
[ "$(grep -c '^| [a-z-]* | [a-z-]* | [0-9]' out.txt)" = 13 ] || fail "expected 13 model rows in the report"
checks=$((checks + 1))
[ "$(awk -F'|' '$2 ~ /student-(gt|fpd|skd|sdp|sdp-fixed) / {print $4}' out.txt | sort -u | wc -l)" = 1 ] ||
  fail "the distilled students and student-gt differ in size"
# A refiner adds parameters to the student it refines.
checks=$((checks + 1))
[ "$(awk -F'|' '$2 ~ /student-igp / {print $4 + 0}' out.txt)" -gt "$(awk -F'|' '$2 ~ /student-gt / {print $4 + 0}' out.txt)" ] ||
  fail "student-igp is not larger than student-gt"
for f in teacher.ckpt.h5 teacher.hm.h5 student-gt.ckpt.h5 student-fpd.ckpt.h5 student-skd.ckpt.h5 \
  student-sdp.ckpt.h5 student-igp.ckpt.h5 student-dsr.ckpt.h5 simcc-two-stage.ckpt.h5 regression-distilpose.ckpt.h5 \
  teacher.preds.json student-fpd.preds.json student-skd.preds.json report.md ap.png curves.png grid.png; do
  checks=$((checks + 1))
  [ -s "$DEMO_OUT/$f" ] || fail "demo did not write $f"
done

# pose-train's validation and pose-dump-heatmaps predict through the same code: on the last
# checkpoint, with HRNet's rescoring, which both the demo's predictions and validation apply,
# the results files are equal.
checks=$((checks + 1))
cmp -s "$DEMO_OUT/teacher.preds.json" "$DEMO_OUT/teacher.val.json" || fail "validation predictions differ from the dump's"

expect_status 0 bash "$demo"
expect_stderr 'train-teacher: up to date'
expect_stderr 'eval-student-gt: up to date'
expect_stderr 'distill-skd: up to date'
checks=$((checks + 1))
if grep -q 'train-teacher: .*pose-train' err.txt; then fail "an unchanged stage ran again"; fi

# A changed input reruns what depends on it.
touch "$DEMO_OUT/data/val/annotations.json"
expect_status 0 bash "$demo"
expect_stderr 'train-teacher: .*pose-train'
expect_stderr 'distill-fpd: pose-distill'
expect_stderr 'synth-val: up to date'

expect_status 2 env DEMO=huge bash "$demo"
expect_stderr "DEMO must be quick, full or tiny"
expect_status 2 env DEMO_JOBS=two bash "$demo"
expect_stderr "DEMO_JOBS must be a positive number, not 'two'"
finish
