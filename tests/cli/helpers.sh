# Sourced by every tests/cli/*.sh: a scratch directory and assertions on exit status and text.
# ctest runs each script with build/bin first on PATH (cmake/PosekdHelpers.cmake).
set -u
WORK="${POSEKD_TEST_WORK:-$(mktemp -d)}"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect_status CODE CMD... : runs CMD, stdout to out.txt, stderr to err.txt.
expect_status() {
  local want=$1; shift
  checks=$((checks + 1))
  "$@" > out.txt 2> err.txt
  local got=$?
  if [ "$got" != "$want" ]; then
    fail "expected exit $want, got $got: $*"; sed 's/^/  stderr: /' err.txt | head -5 >&2
  fi
}

# expect_stderr PATTERN : the last command's stderr matches the extended regex.
expect_stderr() {
  checks=$((checks + 1))
  grep -Eq -- "$1" err.txt || { fail "stderr does not match /$1/"; sed 's/^/  stderr: /' err.txt | head -5 >&2; }
}

expect_stdout() {
  checks=$((checks + 1))
  grep -Eq -- "$1" out.txt || { fail "stdout does not match /$1/"; sed 's/^/  stdout: /' out.txt | head -5 >&2; }
}

# Exactly one line on stderr: errors are one line (DESIGN 3.6).
expect_one_line_error() {
  checks=$((checks + 1))
  [ "$(wc -l < err.txt)" = 1 ] || { fail "expected a one-line error, got:"; sed 's/^/  stderr: /' err.txt | head -5 >&2; }
}

have_realdata() { [ -f "${POSEKD_REALDATA:-/nonexistent}/README.md" ]; }

finish() {
  echo "$checks checks, $failures failed"
  [ "$failures" = 0 ]
  exit $?
}
