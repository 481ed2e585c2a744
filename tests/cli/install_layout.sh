# `make -f Makefile.dist install PREFIX=...` lays out binaries, library, headers, share/posekd
# and man pages; installed tools run from the prefix.
. "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"

prefix="$WORK/prefix"
expect_status 0 cmake --install "$POSEKD_BINARY_DIR" --prefix "$prefix"

for f in bin/pose-info bin/pose-eval bin/pose-synth \
         share/posekd/skeletons/coco17.json share/posekd/skeletons/mpii16.json \
         share/man/man1/pose-info.1 share/man/man1/pose-eval.1 share/man/man1/pose-synth.1 \
         share/man/man5/posekd-checkpoint.5 share/man/man5/posekd-heatmaps.5 \
         include/posekd/core/skeleton.h include/posekd/io/h5.h; do
  checks=$((checks + 1))
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
checks=$((checks + 1))
ls "$prefix"/lib*/libposekd_core.* > /dev/null 2>&1 || fail "libposekd_core not installed"

# Every tool built is installed with its man page.
for tool in "$POSEKD_BINARY_DIR"/bin/pose-*; do
  name=$(basename "$tool")
  checks=$((checks + 2))
  [ -x "$prefix/bin/$name" ] || fail "tool not installed: $name"
  [ -f "$prefix/share/man/man1/$name.1" ] || fail "man page not installed: $name.1"
done

expect_status 0 "$prefix/bin/pose-info" --version
expect_stdout '^pose-info \(posekd\) '
finish
