#!/usr/bin/env bash
# pose-train as a user runs it on a tiny synthetic set: a short run with validation (last and
# best checkpoints, metrics JSONL/CSV), --dry-run, --print-config round trip, presets, SIGTERM
# -> exit 75 -> --resume, and bad inputs refused before training (exit status and message).
source "$(dirname "$0")/helpers.sh"
export OMP_WAIT_POLICY=PASSIVE
py=/usr/bin/python3
src="${POSEKD_SOURCE_DIR:?}"

pose-synth -q -o train -n 12 --size 96x72 --seed 1 >/dev/null || fail "pose-synth train"
pose-synth -q -o val -n 4 --size 96x72 --seed 1 --split val >/dev/null || fail "pose-synth val"
tiny="resnet:depth=18,width=2,deconvs=1,deconv_channels=4,input=32x32"
common=(--train train/annotations.json --model "$tiny" -b 8 --workers 1 --threads 1 --seed 3)

# A short run: 2 epochs, validation after each, then the files beside the checkpoint.
expect_status 0 pose-train "${common[@]}" --val val/annotations.json --epochs 2 --lr 0.01 -o run.ckpt.h5
expect_stdout '^run\.best\.ckpt\.h5	AP [0-9.]+$'
expect_stderr 'BLAS: '
expect_stderr 'epoch 2 validation: AP '
for f in run.ckpt.h5 run.best.ckpt.h5 run.metrics.jsonl run.metrics.csv run.val.json; do
  checks=$((checks + 1)); [ -s "$f" ] || fail "$f missing"
done
"$py" - <<'PY' || fail "metrics files"
import csv, json
rows = [json.loads(l) for l in open("run.metrics.jsonl")]
assert [r["epoch"] for r in rows] == [1, 2], rows
assert "heatmap_mse" in rows[0]["loss"] and "AP" in rows[1]["val"], rows
assert rows[1]["step"] > rows[0]["step"] > 0 and rows[0]["epoch_time_s"] > 0
names = {r["name"] for r in csv.DictReader(open("run.metrics.csv"))}
assert {"lr", "loss/heatmap_mse", "val/AP", "val/AR", "epoch_time_s", "cpu_time_s"} <= names, names
PY
expect_status 0 pose-info run.ckpt.h5
expect_stdout 'resnet'

# An existing output needs --force.
expect_status 2 pose-train "${common[@]}" --epochs 1 -o run.ckpt.h5
expect_stderr 'run\.ckpt\.h5: output exists \(use --force'

# --dry-run: parameters and GFLOPs at the input size, and the configuration; nothing written.
expect_status 0 pose-train "${common[@]}" --dry-run -o dry.ckpt.h5
expect_stdout '^params: [0-9]+'
expect_stdout '^GFLOPs: 0\.[0-9]+'
expect_stdout "^model=[\"']resnet"
checks=$((checks + 1)); [ ! -e dry.ckpt.h5 ] || fail "--dry-run wrote a checkpoint"

# --print-config gives a file that --config reads back to the same configuration.
expect_status 0 pose-train "${common[@]}" --epochs 1 --lr-policy cosine -o cfg.ckpt.h5 --print-config
cp out.txt cfg.toml
expect_status 0 pose-train --config cfg.toml --print-config
checks=$((checks + 1)); cmp -s out.txt cfg.toml || fail "--print-config of --config cfg.toml differs"

# Presets: every shipped one parses and builds its model (--dry-run), an unknown name lists them.
for p in "$src"/share/posekd/presets/*.toml; do
  name=$(basename "$p" .toml)
  case "$name" in quick-*) ;; *) continue ;; esac
  expect_status 0 pose-train --preset "$name" --train train/annotations.json --dry-run
  expect_stdout '^GFLOPs: '
done
expect_status 2 pose-train --preset nosuch --train train/annotations.json --dry-run
expect_stderr 'nosuch: no .*nosuch\.toml \(known presets: .*quick-teacher'

# SIGTERM: the step finishes, a resumable checkpoint is written, exit 75; --resume continues.
pose-train "${common[@]}" -b 2 --epochs 500 --log-every 1 -o sig.ckpt.h5 > sig.out 2> sig.err &
pid=$!
# Wait for step 3 however slow a loaded machine is (ctest's timeout bounds the wait); a fixed
# short limit sent the signal before the handler was installed. A run that died stops the wait.
until grep -q 'step 3 ' sig.err 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -TERM "$pid"
wait "$pid"; status=$?
checks=$((checks + 1)); [ "$status" = 75 ] || { fail "SIGTERM: expected exit 75, got $status"; tail -3 sig.err >&2; }
grep -q 'interrupted: stopped after' sig.err || fail "SIGTERM: no interrupted message"
expect_status 75 pose-train "${common[@]}" -b 2 --epochs 500 --resume sig.ckpt.h5 -o sig.ckpt.h5 --stop-after 2
expect_stderr 'resuming sig\.ckpt\.h5 at epoch'
# Mid-epoch "stopped after step S (epoch E, batch B)", or "stopped after epoch E (step S)" when
# the second step is an epoch's last (where SIGTERM landed decides which).
expect_stderr 'interrupted: stopped after (step [0-9]+ \(epoch [0-9]+, batch|epoch [0-9]+ \(step)'
# Finish the epoch it stopped in and one more (a run may change --epochs when it resumes).
epoch=$(grep -oE 'interrupted: stopped after .*epoch [0-9]+' err.txt | grep -oE '[0-9]+$')
end=$((epoch + 1))
expect_status 0 pose-train "${common[@]}" -b 2 --epochs "$end" --resume sig.ckpt.h5 -o sig.ckpt.h5
expect_stderr "epoch $end/$end done"

# Bad inputs, each refused before any training step.
expect_status 2 pose-train "${common[@]}" -o missing-dir/x.ckpt.h5
expect_stderr 'output directory missing-dir does not exist'
expect_one_line_error
expect_status 2 pose-train "${common[@]}" --model "resnet:depth=18,colour=red" -o bad.ckpt.h5
expect_stderr 'colour'
expect_status 2 pose-train "${common[@]}" --optimizer lion -o bad.ckpt.h5
expect_stderr 'lion'
expect_status 1 pose-train "${common[@]}" --model "resnet:depth=18,width=4,deconvs=1,deconv_channels=4,input=32x32" \
  --resume run.ckpt.h5 -o other.ckpt.h5
expect_stderr 'run\.ckpt\.h5:/model_spec: expected resnet:.*width=4.*found resnet:.*width=2'
expect_one_line_error
pose-synth -q -o mpii -n 3 --size 96x72 --format mpii >/dev/null
expect_status 1 pose-train --train mpii/annotations.json --model "${tiny},joints=16" --init run.ckpt.h5 -o m.ckpt.h5
expect_stderr 'run\.ckpt\.h5:/skeleton'
"$py" - <<'PY'
import json
d = json.load(open("train/annotations.json"))
for a in d["annotations"]:
    a["iscrowd"] = 1
json.dump(d, open("crowd.json", "w"))
PY
expect_status 1 pose-train -q --train crowd.json --train-images train "${common[@]:2}" -o c.ckpt.h5
expect_stderr 'crowd\.json: no usable training instance'
expect_one_line_error

# The man page lists every option that --help lists.
pose-train --help > help.txt
man_text=$(sed 's/\\-/-/g' "$src/man/man1/pose-train.1")
for opt in $(grep -oE -- '--[a-z][a-z0-9-]+' help.txt | sort -u); do
  checks=$((checks + 1))
  grep -qF -- "$opt" <<< "$man_text" || fail "man page lacks $opt"
done
finish
