#!/usr/bin/env bash
# pose-refine-gcn --method dsr as a user runs it on a tiny pose-synth set over an untrained
# heatmap checkpoint (tests/bin/posekd_model_fixture): a short run with validation, the
# checkpoint holding base + DSR stages + D, pose-dump-heatmaps running the refined model (its
# maps differ from the base's), --finetune, --dry-run's refiner figures, resume after SIGTERM,
# and bad input (exit status and message).
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
FIXTURE="$POSEKD_BINARY_DIR/tests/bin/posekd_model_fixture"
py=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1

pose-synth -q -o train -n 12 --size 96x72 --seed 1 >/dev/null || fail "pose-synth train"
pose-synth -q -o val -n 4 --size 96x72 --seed 1 --split val >/dev/null || fail "pose-synth val"
SPEC="resnet:depth=18,width=2,deconvs=3,deconv_channels=4,input=32x32"  # 8x8 heatmaps
"$FIXTURE" base.ckpt.h5 "$SPEC" coco17 unbiased 3 || exit 1
"$FIXTURE" simcc.ckpt.h5 "resnet:depth=18,width=2,head=simcc,input=32x32" coco17 unbiased 3 || exit 1
common=(--base base.ckpt.h5 --method dsr --train train/annotations.json -b 4 --workers 1 --threads 1 --seed 3)

# tau=0 makes every labelled joint of an untrained model an anchor, so messages flow.
expect_status 0 pose-refine-gcn "${common[@]}" --refiner stages=2,tau=0,width=8 --val val/annotations.json \
  --epochs 2 --lr 0.01 -o dsr.ckpt.h5
expect_stdout '^dsr\.best\.ckpt\.h5	AP [0-9.]+$'
expect_stderr 'DSR relation statistics D from train/annotations\.json: [1-9][0-9]* poses, 272 joint pairs on a 16x16 offset grid'
expect_stderr 'epoch 2 validation: AP '
"$py" - <<'PY' || fail "refined checkpoint layout"
import h5py, numpy as np
f = h5py.File("dsr.ckpt.h5", "r")
assert f.attrs["refiner_spec"] in ("dsr:stages=2,tau=0,width=8", b"dsr:stages=2,tau=0,width=8"), f.attrs["refiner_spec"]
d = f["buffers/refiner.dsr.relation_counts"][()]
assert d.shape == (17, 17, 16, 16) and d.sum() > 0, d.shape
assert all(d[i, i].sum() == 0 for i in range(17))
# j seen from i at (dx, dy) is i seen from j at (-dx, -dy): row r <-> 16 - r, column c <-> 16 - c.
assert (d[:, :, 1:, 1:] == d.transpose(1, 0, 2, 3)[:, :, :0:-1, :0:-1]).all()
for name in ("params/refiner.dsr.relation_conv.weight", "params/refiner.dsr.stages.1.edge.fc2.weight", "params/refiner.dsr.stages.0.bias"):
    assert name in f, name
assert f["params/refiner.dsr.stages.0.edge.fc1.weight"].shape == (8, 64)
assert f["params/refiner.dsr.stages.0.edge.fc2.weight"].shape == (64, 8)  # the 8x8 cells ds keeps
b = h5py.File("base.ckpt.h5", "r")
for name in b["params"]:  # frozen base: unchanged
    assert np.array_equal(b["params"][name][()], f["params"][name][()]), name
PY

# pose-dump-heatmaps runs the refined model: its maps are the last stage's, not the base's.
expect_status 0 pose-dump-heatmaps -q dsr.ckpt.h5 val/annotations.json -o refined.hm.h5 --float32
expect_status 0 pose-dump-heatmaps -q base.ckpt.h5 val/annotations.json -o base.hm.h5 --float32
"$py" - <<'PY' || fail "refined dump"
import h5py, numpy as np
r, b = h5py.File("refined.hm.h5", "r")["heatmaps"][()], h5py.File("base.hm.h5", "r")["heatmaps"][()]
assert r.shape == b.shape and r.shape[1:] == (17, 8, 8), (r.shape, b.shape)
assert not np.allclose(r, b) and (r >= 0).all()  # the stages end in a ReLU
PY

# --finetune: the base trains with the stages.
expect_status 0 pose-refine-gcn "${common[@]}" --refiner stages=1,width=4 --finetune --epochs 1 -o ft.ckpt.h5
"$py" - <<'PY' || fail "finetune moved no base weight"
import h5py, numpy as np
f, b = h5py.File("ft.ckpt.h5", "r"), h5py.File("base.ckpt.h5", "r")
assert any(not np.array_equal(b["params"][n][()], f["params"][n][()]) for n in b["params"])
PY

# --dry-run: the refiner's parameters and GFLOPs beside the base's.
expect_status 0 pose-refine-gcn "${common[@]}" --dry-run -o dry.ckpt.h5
expect_stdout '^refiner: dsr:stages=4,tau=0\.75,width=64$'
expect_stdout '^refiner params: [0-9]+ \([0-9.]+ M\), GFLOPs 0\.[0-9]+'

# Bad input: a SimCC base, an unknown key, a value out of range.
expect_status 2 pose-refine-gcn "${common[@]/base.ckpt.h5/simcc.ckpt.h5}" --epochs 1 -o bad.ckpt.h5
expect_stderr 'refiner dsr:stages=4,tau=0\.75,width=64: model resnet:.*head=simcc.* has a simcc head; DSR refines heatmaps'
expect_one_line_error
expect_status 2 pose-refine-gcn "${common[@]}" --refiner stages=2,hidden=3 --epochs 1 -o bad.ckpt.h5
expect_stderr 'refiner spec "dsr:stages=2,hidden=3": unknown key "hidden" for dsr \(accepted: stages, tau, width\)'
expect_status 2 pose-refine-gcn "${common[@]}" --refiner stages=0 --epochs 1 -o bad.ckpt.h5
expect_stderr 'stages=0: expected'
checks=$((checks + 1)); [ ! -e bad.ckpt.h5 ] || fail "a refused run wrote a checkpoint"

finish
