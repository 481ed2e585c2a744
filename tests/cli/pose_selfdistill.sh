#!/usr/bin/env bash
# pose-selfdistill as a user runs it on a tiny synthetic set: a run whose multistep milestone
# triggers the stepping (sd_mse in the metrics), SIGTERM -> exit 75 -> --resume, and the
# refusals: a SimCC head, stepping under a cosine schedule or a mismatched --gamma, resuming a
# pose-train checkpoint; the man page lists every option of --help.
source "$(dirname "$0")/helpers.sh"
export OMP_WAIT_POLICY=PASSIVE
py=/usr/bin/python3
src="${POSEKD_SOURCE_DIR:?}"

pose-synth -q -o train -n 12 --size 96x72 --seed 1 --label-noise 0.15 >/dev/null || fail "pose-synth train"
pose-synth -q -o val -n 4 --size 96x72 --seed 1 --split val >/dev/null || fail "pose-synth val"
tiny="resnet:depth=18,width=2,deconvs=1,deconv_channels=4,input=32x32"
common=(--train train/annotations.json --model "$tiny" -b 4 --workers 1 --threads 1 --seed 3 --lr 0.01)

# Two epochs, the lr divided by 10 after the first: s goes 1 -> 10.
expect_status 0 pose-selfdistill "${common[@]}" --val val/annotations.json --epochs 2 --milestones 1 -o run.ckpt.h5
expect_stdout '^run\.best\.ckpt\.h5	AP [0-9.]+$'
expect_stderr 'sdp objective, model resnet'
expect_stderr 'sdp: lr 0\.01 -> 0\.001: distance s 1 -> 10 \(queue up to 10 batches'
"$py" - <<'PY' || fail "metrics files"
import json
rows = [json.loads(l) for l in open("run.metrics.jsonl")]
assert [r["epoch"] for r in rows] == [1, 2], rows
assert rows[0]["loss"]["sd_mse"] > 0 and rows[0]["loss"]["heatmap_mse"] > 0, rows
PY
expect_status 0 pose-info run.ckpt.h5
expect_stdout 'state/queue/'

# SIGTERM: the step finishes, a resumable checkpoint with the queue is written, exit 75.
pose-selfdistill "${common[@]}" -b 2 --epochs 500 --distance 3 --no-stepping --log-every 1 -o sig.ckpt.h5 \
  > sig.out 2> sig.err &
pid=$!
for _ in $(seq 1 300); do grep -q 'step 4 ' sig.err 2>/dev/null && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"; status=$?
checks=$((checks + 1)); [ "$status" = 75 ] || { fail "SIGTERM: expected exit 75, got $status"; tail -3 sig.err >&2; }
grep -q 'interrupted: stopped after' sig.err || fail "SIGTERM: no interrupted message"
epoch=$(grep -oE 'interrupted: stopped after .*epoch [0-9]+' sig.err | grep -oE '[0-9]+$')
end=$((epoch + 1))
expect_status 0 pose-selfdistill "${common[@]}" -b 2 --epochs "$end" --distance 3 --no-stepping \
  --resume sig.ckpt.h5 -o sig.ckpt.h5
expect_stderr 'resuming sig\.ckpt\.h5 at epoch'
expect_stderr "epoch $end/$end done"

# Refusals, before any step.
expect_status 2 pose-selfdistill "${common[@]}" --model "${tiny},head=simcc" -o bad.ckpt.h5
expect_stderr 'SDP distils heatmaps and this model has a simcc head'
expect_one_line_error
expect_status 2 pose-selfdistill "${common[@]}" --lr-policy cosine -o bad.ckpt.h5
expect_stderr '--lr-policy cosine: the stepping strategy multiplies s by 10 .* or --no-stepping'
expect_one_line_error
expect_status 2 pose-selfdistill "${common[@]}" --milestones 1 --gamma 0.5 -o bad.ckpt.h5
expect_stderr '--gamma 0\.5: the stepping strategy needs the learning rate divided by --stepping-gamma 10'
expect_status 0 pose-selfdistill "${common[@]}" --lr-policy cosine --no-stepping --dry-run
expect_status 0 pose-selfdistill "${common[@]}" --dry-run
expect_stderr 'no --milestones: the learning rate never drops, so the distance stays s = 1'
expect_status 2 pose-selfdistill "${common[@]}" --alpha -1 -o bad.ckpt.h5
expect_stderr 'alpha'
pose-train "${common[@]}" --epochs 1 --stop-after 1 -o gt.ckpt.h5 2>/dev/null
expect_status 1 pose-selfdistill -q "${common[@]}" --epochs 1 --no-stepping --resume gt.ckpt.h5 -o gt2.ckpt.h5
expect_stderr 'gt\.ckpt\.h5:/extra/state/distance: missing'
expect_one_line_error

# --print-config round trip with the SDP options.
expect_status 0 pose-selfdistill "${common[@]}" --alpha 2 --no-stepping -o cfg.ckpt.h5 --print-config
expect_stdout '^alpha=2'
cp out.txt cfg.toml
expect_status 0 pose-selfdistill --config cfg.toml --print-config
checks=$((checks + 1)); cmp -s out.txt cfg.toml || fail "--print-config of --config cfg.toml differs"

# The man page lists every option that --help lists.
pose-selfdistill --help > help.txt
man_text=$(sed 's/\\-/-/g' "$src/man/man1/pose-selfdistill.1")
for opt in $(grep -oE -- '--[a-z][a-z0-9-]+' help.txt | sort -u); do
  checks=$((checks + 1))
  grep -qF -- "$opt" <<< "$man_text" || fail "man page lacks $opt"
done
finish
