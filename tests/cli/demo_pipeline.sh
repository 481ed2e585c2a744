# The demo pipeline end to end at its tiny size: every tool as a separate process, the report
# written, and a re-run that skips every stage (stamps) unless inputs change.
. "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"

demo="$POSEKD_SOURCE_DIR/share/posekd/pipelines/demo.sh"
export DEMO=tiny DEMO_OUT="$WORK/demo"

expect_status 0 bash "$demo"
expect_stdout '^\| teacher \| gt \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|'
expect_stdout '^\| student-gt \| gt \| [0-9]+ \|.* \+0\.0000 \|$'
expect_stdout '^\| student-gt \| gt \| [0-9]+ \| [0-9.]+ \| [0-9]+\.[0-9]+ \| '
# The distilled students: the student-gt recipe, so the same size, and a gain column of their own.
for method in fpd skd; do
  expect_stdout "^\\| student-$method \\| $method \\| [0-9]+ \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\| [-+][0-9.]+ \\|\$"
done
checks=$((checks + 1))
[ "$(grep -c '^| student-' out.txt)" = 3 ] || fail "expected 3 student rows in the report"
checks=$((checks + 1))
[ "$(awk -F'|' '$2 ~ /student-/ {print $4}' out.txt | sort -u | wc -l)" = 1 ] ||
  fail "the distilled students and student-gt differ in size"
for f in teacher.ckpt.h5 teacher.hm.h5 student-gt.ckpt.h5 student-fpd.ckpt.h5 student-skd.ckpt.h5 \
  teacher.preds.json student-fpd.preds.json student-skd.preds.json report.md ap.png curves.png grid.png; do
  checks=$((checks + 1))
  [ -s "$DEMO_OUT/$f" ] || fail "demo did not write $f"
done

# pose-train's validation and pose-dump-heatmaps predict through the same code: on the last
# checkpoint, with HRNet's rescoring as validation applies it, the results files are equal.
expect_status 0 pose-dump-heatmaps "$DEMO_OUT/teacher.ckpt.h5" "$DEMO_OUT/data/val/annotations.json" \
  --rescore --predictions "$WORK/teacher.rescored.json"
checks=$((checks + 1))
cmp -s "$WORK/teacher.rescored.json" "$DEMO_OUT/teacher.val.json" || fail "validation predictions differ from the dump's"

expect_status 0 bash "$demo"
expect_stderr 'train-teacher: up to date'
expect_stderr 'eval-student-gt: up to date'
expect_stderr 'distill-skd: up to date'
checks=$((checks + 1))
if grep -q 'train-teacher: pose-train' err.txt; then fail "an unchanged stage ran again"; fi

# A changed input reruns what depends on it.
touch "$DEMO_OUT/data/val/annotations.json"
expect_status 0 bash "$demo"
expect_stderr 'train-teacher: pose-train'
expect_stderr 'distill-fpd: pose-distill'
expect_stderr 'synth-val: up to date'

expect_status 2 env DEMO=huge bash "$demo"
expect_stderr "DEMO must be quick, full or tiny"
finish
