#!/usr/bin/env bash
# A data-parallel job whose rank dies or hangs ends instead of waiting forever: the other rank
# exits 1 with a one-line message naming itself, the step and the likely cause, within
# --dist-timeout. A bad launcher environment is refused before any work (exit 2).
source "$(dirname "$0")/helpers.sh"
export OMP_WAIT_POLICY=PASSIVE

pose-synth -q -o train -n 12 --size 96x72 --seed 1 >/dev/null || fail "pose-synth train"
tiny="resnet:depth=18,width=2,deconvs=1,deconv_channels=4,input=32x32"
common=(--train train/annotations.json --model "$tiny" --workers 0 --threads 1 --seed 3 --epochs 1000 -b 3
        --log-every 1 --dist-timeout 8)
port=$((20000 + RANDOM % 20000))

# start_job NAME: ranks 0 and 1 in the background (pids in $p0, $p1); returns once rank 0
# has logged a step, so both are inside the training loop.
start_job() {
  RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port pose-train "${common[@]}" -o "$1.ckpt.h5" 2> "$1.rank0.err" &
  p0=$!
  RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port pose-train "${common[@]}" -o "$1.ckpt.h5" 2> "$1.rank1.err" &
  p1=$!
  port=$((port + 1))
  for _ in $(seq 1 600); do
    grep -q ' step 2 ' "$1.rank0.err" 2>/dev/null && return 0
    kill -0 $p0 2>/dev/null || break
    sleep 0.1
  done
  fail "$1: rank 0 never reached step 2"; sed 's/^/  rank0: /' "$1.rank0.err" | tail -5 >&2
}

# wait_exit PID SECONDS: sets $status to the process's exit status if it ends within
# SECONDS, else to "hung".
wait_exit() {
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if kill -0 "$1" 2>/dev/null; then status=hung; else wait "$1"; status=$?; fi
}

expect_last_line() {  # FILE REGEX: the file's last line (the error) matches
  checks=$((checks + 1))
  tail -n 1 "$1" | grep -Eq -- "$2" || { fail "$1: last line does not match /$2/"; tail -n 3 "$1" | sed 's/^/  /' >&2; }
}

# Rank 1 killed: rank 0 notices at its next all-reduce (the socket closes), well within the timeout.
start_job killed
kill -KILL $p1; wait $p1 2>/dev/null
wait_exit $p0 8
checks=$((checks + 1)); [ "$status" = 1 ] || fail "killed: rank 0 exit status $status, expected 1"
expect_last_line killed.rank0.err \
  '^pose-train: error: distributed \(gloo rank 0 of 2\): (averaging the gradients of|averaging the batch-norm statistics after) step [0-9]+ failed \(another rank ended \(failed or was killed\); its log has the reason\): '

# Rank 1 stopped (SIGSTOP, as a hung node): rank 0 gives up after --dist-timeout 8 s.
start_job hung
kill -STOP $p1
start=$SECONDS
wait_exit $p0 20
took=$((SECONDS - start))
kill -KILL $p1; kill -CONT $p1; wait $p1 2>/dev/null
checks=$((checks + 1)); [ "$status" = 1 ] || fail "hung: rank 0 exit status $status, expected 1"
checks=$((checks + 1)); [ $took -ge 7 ] && [ $took -le 16 ] || fail "hung: rank 0 took $took s, expected about 8"
expect_last_line hung.rank0.err \
  '^pose-train: error: distributed \(gloo rank 0 of 2\): (averaging the gradients of|averaging the batch-norm statistics after) step [0-9]+ failed \(no answer within --dist-timeout 8 s: another rank hung or stopped\): '

# The launcher's environment, checked before anything is read.
RANK=0 WORLD_SIZE=2 expect_status 2 pose-train "${common[@]}" -o env.ckpt.h5
expect_stderr '^pose-train: error: environment variable MASTER_ADDR: required with RANK and WORLD_SIZE \(or use --dist-file\)$'
expect_one_line_error
RANK=0 WORLD_SIZE=two expect_status 2 pose-train "${common[@]}" -o env.ckpt.h5
expect_stderr 'environment variable WORLD_SIZE: expected an integer in \[1, 1048576\], found "two"'
expect_status 2 pose-train "${common[@]}" --dist-file store -o env.ckpt.h5
expect_stderr '^pose-train: error: --dist-file: needs RANK and WORLD_SIZE'

# Nobody else comes: the rendezvous ends after --dist-timeout with the address it waited on.
RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port expect_status 1 pose-train "${common[@]}" \
  --dist-timeout 2 -o alone.ckpt.h5
expect_stderr "^pose-train: error: distributed rendezvous at 127\.0\.0\.1:$port \(rank 1 of 2, from torchrun\) failed within --dist-timeout 2 s: "
expect_one_line_error

finish
