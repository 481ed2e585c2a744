"""Compares what posekd read (posekd_h5_fixture dump-checkpoint / dump-heatmaps, values as C
hex floats) with what h5py reads from the same file. Usage: compare_dumps.py CKPT CKPT_DUMP
HEATMAPS HEATMAPS_DUMP"""
import sys

import h5py
import numpy as np


def values(tokens):
    return np.array([float.fromhex(t) for t in tokens], dtype=np.float64)


def same(a, b):
    return a.shape == b.shape and np.array_equal(a, b)


def compare_checkpoint(path, dump):
    lines = open(dump).read().splitlines()
    assert lines[0] == "model_spec hrnet:width=32", lines[0]
    assert lines[1] == "skeleton coco17 17", lines[1]
    seen = set()
    with h5py.File(path, "r") as f:
        for line in lines[2:]:
            name, shape, *rest = line.split(" ")
            group = "buffers" if name.endswith("num_batches_tracked") else "params"
            want = f[group][name][()]
            assert shape == "[" + ",".join(str(d) for d in want.shape) + "]", (name, shape)
            # float16 arrays are converted by posekd; every half is exact in float32.
            assert same(values(rest), np.asarray(want, dtype=np.float64).ravel()), name
            seen.add(name)
    assert seen == {"stem.conv1.weight", "final_layer.bias", "half.weight", "stem.bn1.num_batches_tracked"}, seen


def compare_heatmaps(path, dump):
    lines = open(dump).read().splitlines()
    assert lines[0] == "samples 3 joints 17 size 4x5 dtype float16", lines[0]
    with h5py.File(path, "r") as f:
        for i, line in enumerate(lines[1:]):
            sample_id, image_id, *rest = line.split(" ")
            assert int(sample_id) == f["sample_id"][i] and int(image_id) == f["image_id"][i]
            want = f["heatmaps"][i].astype(np.float64).ravel()
            assert same(values(rest), want), i
        assert len(lines) == 4


compare_checkpoint(sys.argv[1], sys.argv[2])
compare_heatmaps(sys.argv[3], sys.argv[4])
print("posekd read the h5py files")
