#!/usr/bin/env bash
# Submits a sharded pose-dump-heatmaps run to Slurm: an array job of N shards, then the merge,
# which starts only when every shard succeeded (and is cancelled when one fails).
#
#   submit-dump.sh [-n SHARDS] [-c CPUS] CHECKPOINT DATASET OUTPUT [pose-dump-heatmaps options...]
#
# -n: shards, one array task each (default 8); -c: CPUs (and compute threads) per shard
# (default 1). Shards go to OUTPUT.shards/ (keep it: the merged OUTPUT refers to it), their
# logs beside them. Prints the two job ids, array then merge, on stdout. Partition, account,
# time limit and the like come from sbatch's own environment variables (SBATCH_PARTITION,
# SBATCH_ACCOUNT, SBATCH_TIMELIMIT, ...).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  echo "usage: submit-dump.sh [-n SHARDS] [-c CPUS] CHECKPOINT DATASET OUTPUT [pose-dump-heatmaps options...]" >&2
  exit 2
}
positive() {
  case $2 in
    '' | *[!0-9]* | 0) echo "submit-dump.sh: -$1: expected a positive number, found \"$2\"" >&2; exit 2 ;;
  esac
}
shards=8 cpus=1
while getopts "n:c:h" opt; do
  case $opt in
    n) positive n "$OPTARG"; shards=$OPTARG ;;
    c) positive c "$OPTARG"; cpus=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 3 ] || usage
checkpoint=$1 dataset=$2 output=$3
shift 3
shard_dir=$output.shards
mkdir -p "$shard_dir"

array=$(sbatch --parsable --array=0-$((shards - 1)) --cpus-per-task="$cpus" --output="$shard_dir/slurm-%A_%a.out" \
  "$here/dump-shards.sbatch" "$checkpoint" "$dataset" "$shard_dir" "$@")
array=${array%%;*}  # --parsable prints "id;cluster" on federated clusters
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$shard_dir/slurm-%j-merge.out" "$here/dump-merge.sbatch" "$shard_dir" "$output")
echo "$array ${merge%%;*}"
