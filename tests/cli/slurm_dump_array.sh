#!/usr/bin/env bash
# share/posekd/pipelines/slurm: a sharded dump submitted by submit-dump.sh as a Slurm array
# job, merged by a job that depends on it, run through a private single-node Slurm
# (slurm_helpers.sh). The merged file equals an unsharded dump dataset by dataset (h5diff);
# a failing shard cancels the merge; bad arguments are refused before anything is submitted.
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
source "$POSEKD_SOURCE_DIR/tests/cli/slurm_helpers.sh"
FIXTURE="$POSEKD_BINARY_DIR/tests/bin/posekd_model_fixture"
SUBMIT="$POSEKD_SOURCE_DIR/share/posekd/pipelines/slurm/submit-dump.sh"
SPEC="resnet:depth=18,width=4,deconvs=3,deconv_channels=8,joints=17,input=64x64"
export OMP_NUM_THREADS=1

slurm_start

pose-synth -q -o data -n 10 --split val --size 128x96 --seed 5 > /dev/null || exit 1
"$FIXTURE" m.ckpt.h5 "$SPEC" coco17 unbiased 3 || exit 1
# float32, so that the comparison is bit for bit.
expect_status 0 pose-dump-heatmaps -q m.ckpt.h5 data/annotations.json -o full.hm.h5 --float32 --batch-size 2

# Two shards of the 5 batches (3 and 2): one round on a 2-CPU node.
expect_status 0 "$SUBMIT" -n 2 m.ckpt.h5 data/annotations.json merged.hm.h5 -q --float32 --batch-size 2
read -r array merge < out.txt
slurm_wait "$array" 60 && slurm_wait "$merge" 60
checks=$((checks + 2))
[ "$(slurm_job_state "$array" | tr '\n' ' ')" = "COMPLETED COMPLETED " ] ||
  fail "array job $array: $(slurm_job_state "$array" | tr '\n' ' '); $(cat merged.hm.h5.shards/slurm-*_*.out)"
[ "$(slurm_job_state "$merge")" = COMPLETED ] ||
  fail "merge job $merge: $(slurm_job_state "$merge"); $(cat merged.hm.h5.shards/slurm-*-merge.out)"
checks=$((checks + 1))
[ "$(ls merged.hm.h5.shards/*.hm.h5 | xargs -n1 basename | tr '\n' ' ')" = "shard-0-of-2.hm.h5 shard-1-of-2.hm.h5 " ] || fail "shards: $(ls merged.hm.h5.shards)"

# Every dataset of the unsharded dump, values and attributes (the files' root attributes, the
# provenance, differ by design).
for name in $(h5ls -r full.hm.h5 | awk '$2 == "Dataset" {print $1}'); do
  checks=$((checks + 1))
  h5diff full.hm.h5 merged.hm.h5 "$name" "$name" > diff.txt 2>&1 || fail "merged $name differs: $(head -3 diff.txt)"
done
expect_status 0 pose-info merged.hm.h5
expect_stdout 'posekd-heatmaps'

# A shard that fails (no such checkpoint) fails its task, and the merge is cancelled, not run.
expect_status 0 "$SUBMIT" -n 2 missing.ckpt.h5 data/annotations.json never.hm.h5 -q
read -r array merge < out.txt
slurm_wait "$array" 60 && slurm_wait "$merge" 60
checks=$((checks + 3))
[ "$(slurm_job_state "$array" | tr '\n' ' ')" = "FAILED FAILED " ] || fail "failing array: $(slurm_job_state "$array")"
[ "$(slurm_job_state "$merge")" = CANCELLED ] || fail "merge after a failed shard: $(slurm_job_state "$merge")"
grep -q 'missing.ckpt.h5' never.hm.h5.shards/slurm-*_0.out || fail "shard log does not name the missing checkpoint"
checks=$((checks + 1))
[ ! -e never.hm.h5 ] || fail "a merge ran after a failed shard"

expect_status 2 "$SUBMIT" -n 0 m.ckpt.h5 data/annotations.json x.hm.h5
expect_stderr 'submit-dump.sh: -n: expected a positive number, found "0"'
expect_status 2 "$SUBMIT" m.ckpt.h5 data/annotations.json
expect_stderr '^usage: submit-dump.sh'
# The scripts refuse to run outside their array job / with missing arguments.
expect_status 2 bash "$POSEKD_SOURCE_DIR/share/posekd/pipelines/slurm/dump-shards.sbatch" m.ckpt.h5 data/annotations.json s
expect_stderr '^usage: sbatch --array'
expect_status 1 bash "$POSEKD_SOURCE_DIR/share/posekd/pipelines/slurm/dump-merge.sbatch" empty out.hm.h5
expect_stderr 'dump-merge: empty: expected shard-i-of-n.hm.h5 files, found none'
finish
