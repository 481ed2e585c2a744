#!/usr/bin/env bash
# tests/cli/slurm_helpers.sh itself: it says why it skips (exit 77) where Slurm cannot start,
# and a test that fails, or is killed with SIGKILL as ctest's timeout does, leaves no daemon,
# no job process and no directory behind.
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
harness="$POSEKD_SOURCE_DIR/tests/cli/slurm_helpers.sh"

# A test that starts the cluster, runs a job that would sleep for minutes, records what it
# started in $1.state and ends as $2 says: "exit" (a failed test) or "hang" (to be killed).
cat > cluster_test.sh <<'EOF'
fail() { echo "FAIL: $*"; }
source "$HARNESS"
slurm_start
job=$(sbatch --parsable --output=/dev/null --wrap "echo \$\$ > $PWD/$1.job_pid; sleep 600")
for _ in $(seq 100); do [ -s "$1.job_pid" ] && break; sleep 0.1; done
echo "$SLURM_TEST_DIR ${slurm_pids[*]} $(cat "$1.job_pid")" > "$1.state"
[ "$2" = hang ] && sleep 600
exit 3
EOF

# gone NAME: the cluster recorded in NAME.state has left nothing: directory, daemons, job.
gone() {
  local dir pids pid _
  read -r dir pids < "$1.state"
  for _ in $(seq 100); do
    [ ! -e "$dir" ] && ! kill -0 $pids 2> /dev/null && break
    sleep 0.1
  done
  checks=$((checks + 2))
  [ ! -e "$dir" ] || fail "$1: $dir left behind"
  for pid in $pids; do
    kill -0 "$pid" 2> /dev/null && fail "$1: process $pid ($(ps -o args= -p "$pid")) left behind"
  done
}

# Skips: not root, a binary missing.
if [ "$(id -u)" = 0 ]; then
  expect_status 77 setpriv --reuid=65534 --regid=65534 --clear-groups bash -c 'source "$0"; slurm_start' "$harness"
else
  expect_status 77 bash -c 'source "$0"; slurm_start' "$harness"
fi
expect_stdout '^SKIP: single-node Slurm not started: needs root \(slurmd runs jobs as their users\), running as uid [0-9]+$'
if [ "$(id -u)" = 0 ]; then
  mkdir -p nobin && ln -sf "$(command -v bash)" nobin/bash
  for tool in id mungekey munged; do
    [ -n "$(command -v $tool)" ] && ln -sf "$(command -v $tool)" nobin/$tool
  done
  expect_status 77 env PATH="$PWD/nobin" bash -c 'source "$0"; slurm_start' "$harness"
  expect_stdout '^SKIP: single-node Slurm not started: slurmctld not found \(make -f Makefile.dist deps installs slurm-wlm and munge\)$'
fi

export HARNESS="$harness"
# The real cluster: skip with the harness's reason where it cannot start.
slurm_start_check=$(bash -c 'source "$0"; slurm_start' "$harness")
case $slurm_start_check in
  SKIP:*) echo "$slurm_start_check"; exit 77 ;;
esac

expect_status 3 bash cluster_test.sh failed exit
gone failed

# ctest's timeout kills the test's whole process tree: here its process group.
setsid bash cluster_test.sh killed hang > killed.out 2>&1 &
test_pid=$!
for _ in $(seq 300); do [ -s killed.state ] && break; sleep 0.1; done
checks=$((checks + 1))
if [ -s killed.state ]; then
  kill -KILL -- -"$test_pid"
  wait "$test_pid" 2> /dev/null
  gone killed
else
  fail "the killed test never started its cluster: $(cat killed.out)"
  kill -KILL -- -"$test_pid"
fi
finish
