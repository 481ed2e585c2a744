# A private single-node Slurm cluster for CLI tests, sourced after helpers.sh:
#
#   . "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
#   . "$POSEKD_SOURCE_DIR/tests/cli/slurm_helpers.sh"
#   slurm_start                 # munged + slurmctld + slurmd on this host; or skip (exit 77)
#   job=$(sbatch --parsable --wrap 'hostname')    # sbatch, srun, squeue, scontrol, scancel work
#   slurm_wait "$job"           # waits until the job (all of an array) has left the queue
#   slurm_job_state "$job"      # COMPLETED, FAILED, ... (of each array task, one per line)
#   finish                      # helpers.sh: prints the counts; the daemons stop on exit
#
# slurm_start exports SLURM_CONF (clients read it) and SLURM_TEST_DIR (the cluster's private
# directory: config, state, spool and daemon logs). The node is this host with all its CPUs
# (select/cons_tres, CR_CPU: jobs share the node per CPU), one partition `debug`, no
# accounting database (so no sacct): slurm_job_state asks slurmctld, which keeps finished jobs
# for 5 minutes (MinJobAge).
# Ports are picked free at start, so tests running in parallel each get their own cluster.
#
# When it cannot run (not root, a package missing, a daemon that does not come up), it says
# why on stdout and exits 77, which tests/CMakeLists.txt tells ctest is a skip; on a machine
# with `make -f Makefile.dist deps` done and as root it runs.
#
# It installs an EXIT trap (slurm_stop): jobs are cancelled, the daemons stopped by their
# process ids and the directory removed, whether the test passed, failed or was interrupted.
# The daemons also carry a parent-death signal, so a test killed with SIGKILL (ctest's
# timeout) takes them with it, and a detached watcher then kills the jobs' processes and
# removes the directory. A test that needs its own EXIT trap calls slurm_stop from it.

SLURM_SKIP_CODE=77
slurm_pids=()

slurm_skip() {
  echo "SKIP: single-node Slurm not started: $*"
  exit "$SLURM_SKIP_CODE"
}

# A TCP port nobody listens on, from the range Linux does not hand out as ephemeral ports.
slurm_free_port() {
  local port
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

slurm_start() {
  [ "$(id -u)" = 0 ] || slurm_skip "needs root (slurmd runs jobs as their users), running as uid $(id -u)"
  local exe
  for exe in munged mungekey slurmctld slurmd sbatch srun squeue sinfo scontrol scancel setpriv; do
    command -v "$exe" > /dev/null || slurm_skip "$exe not found (make -f Makefile.dist deps installs slurm-wlm and munge)"
  done

  # munged insists that every directory above its socket is searchable by all and that only
  # root can write to the key's directory.
  SLURM_TEST_DIR=$(mktemp -d /tmp/posekd-slurm.XXXXXX) || slurm_skip "mktemp failed"
  export SLURM_TEST_DIR
  trap slurm_stop EXIT
  chmod 755 "$SLURM_TEST_DIR"
  local d=$SLURM_TEST_DIR
  mkdir -p "$d/munge" "$d/state" "$d/spool/$(hostname -s)" "$d/log"
  chmod 755 "$d/munge"
  mungekey --create --keyfile="$d/munge/munge.key" 2> "$d/log/mungekey.log" \
    || slurm_skip "mungekey failed: $(head -1 "$d/log/mungekey.log")"
  setpriv --pdeathsig TERM munged -F --socket="$d/munge/socket" --key-file="$d/munge/munge.key" \
    --log-file="$d/log/munged.log" --pid-file="$d/munge/munged.pid" --seed-file="$d/munge/seed" \
    > "$d/log/munged.out" 2>&1 &
  slurm_pids+=($!)
  local i
  for i in $(seq 50); do [ -S "$d/munge/socket" ] && break; sleep 0.1; done
  [ -S "$d/munge/socket" ] || slurm_skip "munged did not come up: $(grep -m1 Error "$d/log/munged.out")"

  local host cpus memory ctld_port slurmd_port
  host=$(hostname -s)
  cpus=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)  # nproc obeys OpenMP variables
  memory=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 / 2))
  ctld_port=$(slurm_free_port) && slurmd_port=$(slurm_free_port) || slurm_skip "no free TCP port found"
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(slurm_free_port); done

  # No cgroups (containers seldom delegate them) and no accounting daemon: process tracking by
  # /proc, jobs recorded in a completion log file.
  export SLURM_CONF="$d/slurm.conf"
  cat > "$SLURM_CONF" <<EOF
ClusterName=posekdtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/socket
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool/%n
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$d/log/jobcomp.log
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmdParameters=config_overrides
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

  # -i: ignore any state a crashed earlier run left (there is none: the directory is new).
  setpriv --pdeathsig TERM slurmctld -D -i -f "$SLURM_CONF" > "$d/log/slurmctld.out" 2>&1 &
  slurm_pids+=($!)
  setpriv --pdeathsig TERM slurmd -D -f "$SLURM_CONF" -N "$host" > "$d/log/slurmd.out" 2>&1 &
  slurm_pids+=($!)

  local state=""
  for i in $(seq 150); do
    state=$(sinfo -h -n "$host" -o %T 2> /dev/null)
    [ "$state" = idle ] && break
    local pid
    for pid in "${slurm_pids[@]}"; do
      kill -0 "$pid" 2> /dev/null || slurm_skip "a daemon exited at start: $(slurm_last_error)"
    done
    sleep 0.2
  done
  [ "$state" = idle ] || slurm_skip "node $host not idle after 30 s (sinfo: '${state:-no answer}'): $(slurm_last_error)"
  # Outside the test's process tree (setsid in a subshell that exits at once), so that a kill
  # of the tree does not reach it.
  (setsid bash -c '. "$0"; slurm_reap "$@"' "${BASH_SOURCE[0]}" $$ "$SLURM_TEST_DIR" "${slurm_pids[@]}" \
    > /dev/null 2>&1 < /dev/null &)
  echo "slurm: single-node cluster up on $host ($cpus CPUs, slurmctld port $ctld_port) in $SLURM_TEST_DIR"
}

# The first error line any daemon logged: the reason a skip or a failure gives.
slurm_last_error() {
  grep -h -m1 -iE 'error|fatal' "$SLURM_TEST_DIR"/log/*.out "$SLURM_TEST_DIR"/log/*.log 2> /dev/null | head -1
}

# slurm_wait JOBID [TIMEOUT_S]: until no task of the job is pending or running (default 120 s).
slurm_wait() {
  local job=$1 limit=${2:-120} i
  for i in $(seq $((limit * 5))); do
    [ -z "$(squeue -h -j "$job" -o %i 2> /dev/null)" ] && return 0
    sleep 0.2
  done
  fail "Slurm job $job still queued after $limit s: $(squeue -h -j "$job" -o '%i %T %r' | head -3 | tr '\n' ';')"
  return 1
}

# slurm_job_state JOBID: the final state of the job, one line per array task in task order.
slurm_job_state() {
  scontrol -o show job "$1" 2> /dev/null | awk '{
      task = 0; state = ""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^ArrayTaskId=/) task = substr($i, 13) + 0
        if ($i ~ /^JobState=/) state = substr($i, 10)
      }
      print task, state
    }' | sort -n | cut -d" " -f2
}

# Cancels what is left, stops the daemons by the process ids this file started, removes the
# cluster's directory. Safe to call twice.
slurm_stop() {
  [ -n "${SLURM_TEST_DIR:-}" ] || return 0
  local i
  if [ ${#slurm_pids[@]} -gt 0 ] && [ -n "$(squeue -h -o %i 2> /dev/null)" ]; then
    scancel --full --quiet $(squeue -h -o %i) 2> /dev/null
    for i in $(seq 25); do [ -z "$(squeue -h -o %i 2> /dev/null)" ] && break; sleep 0.2; done
  fi
  # slurmd, slurmctld, then munged, which the other two need to say goodbye.
  for ((i = ${#slurm_pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${slurm_pids[i]}" 2> /dev/null
    wait "${slurm_pids[i]}" 2> /dev/null
  done
  slurm_pids=()
  slurm_kill_steps "$SLURM_TEST_DIR"
  rm -rf "$SLURM_TEST_DIR"
  SLURM_TEST_DIR=""
}

# slurm_kill_steps DIR: kills the job steps of the cluster in DIR that outlived their slurmd,
# with everything they started. A slurmstepd is this cluster's when it holds one of the unix
# sockets in DIR/spool; each runs its job in a session of its own.
slurm_kill_steps() {
  local inodes pid inode session
  inodes=$(awk -v dir="$1/spool/" 'index($NF, dir) == 1 {print $7}' /proc/net/unix)
  [ -n "$inodes" ] || return 0
  for pid in $(pgrep -x slurmstepd); do
    for inode in $inodes; do
      if ls -l "/proc/$pid/fd" 2> /dev/null | grep -q "socket:\[$inode\]"; then
        session=$(ps -o sid= -p "$pid" | tr -d ' ')
        [ -n "$session" ] && pkill -KILL -s "$session"
        break
      fi
    done
  done
}

# slurm_reap TEST_PID DIR DAEMON_PIDS...: run detached by slurm_start. ctest's timeout kills
# the test's process tree with SIGKILL, which runs no trap; the daemons then end by their
# parent-death signal, and this finishes the rest once the test process is gone.
slurm_reap() {
  local test_pid=$1 dir=$2 pid
  shift 2
  while kill -0 "$test_pid" 2> /dev/null; do sleep 1; done
  [ -d "$dir" ] || return 0
  for pid in "$@"; do kill -TERM "$pid" 2> /dev/null; done
  sleep 1
  slurm_kill_steps "$dir"
  rm -rf "$dir"
}
