#!/usr/bin/env bash
# share/posekd/pipelines/slurm/train-multinode.sbatch through a private single-node Slurm
# (slurm_helpers.sh): `srun` starts 2 ranks of pose-train, which find each other from Slurm's
# variables (SLURM_PROCID, SLURM_STEP_NUM_TASKS, the first host of SLURM_STEP_NODELIST, a port
# from the job id). With --sync-bn the job's checkpoint has the weights of one process with
# twice the batch.
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
source "$POSEKD_SOURCE_DIR/tests/cli/slurm_helpers.sh"
SBATCH_SCRIPT="$POSEKD_SOURCE_DIR/share/posekd/pipelines/slurm/train-multinode.sbatch"
export OMP_WAIT_POLICY=PASSIVE
py=/usr/bin/python3

slurm_start

pose-synth -q -o train -n 12 --size 96x72 --seed 1 >/dev/null || fail "pose-synth train"
tiny="resnet:depth=18,width=2,deconvs=1,deconv_channels=4,input=32x32"
common=(--train "$PWD/train/annotations.json" --model "$tiny" --workers 0 --seed 3 --epochs 2
        --optimizer sgd --lr 0.05 --momentum 0.9)

expect_status 0 pose-train "${common[@]}" --threads 1 -b 8 -o one.ckpt.h5

# One node, two tasks of one CPU: the script's #SBATCH lines ask for two nodes, the command line wins.
expect_status 0 env OUT="$PWD/slurm.ckpt.h5" sbatch --parsable -N 1 -n 2 --ntasks-per-node=2 --cpus-per-task=1 \
  --time=10 -o "$PWD/job.log" "$SBATCH_SCRIPT" "${common[@]}" -b 4 --sync-bn --dist-timeout 60
job=$(cat out.txt)
slurm_wait "$job" 120
checks=$((checks + 1))
[ "$(slurm_job_state "$job")" = COMPLETED ] || { fail "job $job: $(slurm_job_state "$job")"; sed 's/^/  job: /' job.log | tail -8 >&2; }
checks=$((checks + 1))
grep -Eq "data-parallel: rank 0 of 2 \(slurm, gloo via $(hostname -s):$((29500 + job % 2000))\)" job.log ||
  { fail "rank 0 did not log a Slurm rendezvous"; tail -5 job.log >&2; }
checks=$((checks + 1))
"$py" - <<'PY' || fail "the Slurm job's weights differ from one process of batch 8"
import h5py, numpy as np
with h5py.File("one.ckpt.h5") as a, h5py.File("slurm.ckpt.h5") as b:
    names = []
    a["params"].visit(lambda n: names.append(n) if isinstance(a["params"][n], h5py.Dataset) else None)
    diff = max(float(np.max(np.abs(a["params"][n][()] - b["params"][n][()]))) for n in names)
print("max |diff|", diff)
assert diff <= 2e-5, diff
PY

finish
