#!/usr/bin/env bash
# Runs every built benchmark (BUILD_DIR/bench/bench_*) one after another, each under a header.
#   tests/bench/run.sh [BUILD_DIR]      (default: build)
# Benchmarks print figures and ratios; a benchmark that exits non-zero makes this exit 1.
set -uo pipefail

build_dir=${1:-build}
bench_dir=$build_dir/bench
if [ ! -d "$bench_dir" ]; then
  echo "run.sh: $bench_dir not found: configure with POSEKD_BUILD_BENCH=ON and build first" >&2
  exit 2
fi

found=0
failed=0
for bench in "$bench_dir"/bench_*; do
  [ -f "$bench" ] && [ -x "$bench" ] || continue
  found=$((found + 1))
  name=$(basename "$bench")
  echo "=== $name ==="
  "$bench"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "=== $name failed (exit status $rc) ==="
    failed=$((failed + 1))
  fi
  echo
done

# Script benchmarks (those that compare with another program) take the build directory.
for script in "$(dirname "$0")"/bench_*.sh; do
  [ -f "$script" ] || continue
  found=$((found + 1))
  name=$(basename "$script")
  echo "=== $name ==="
  bash "$script" "$build_dir"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "=== $name failed (exit status $rc) ==="
    failed=$((failed + 1))
  fi
  echo
done

if [ $found -eq 0 ]; then
  echo "run.sh: no benchmarks built in $bench_dir" >&2
  exit 2
fi
echo "$found benchmarks run, $failed failed"
[ $failed -eq 0 ]
