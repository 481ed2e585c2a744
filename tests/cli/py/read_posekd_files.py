"""Reads files written by posekd (tests/bin/posekd_h5_fixture) with h5py, as a user would,
and checks them against the fixture's formula. Usage: read_posekd_files.py CKPT HEATMAPS"""
import sys

import h5py
import numpy as np


def formula(n, seed):
    # posekd_h5_fixture: float(i % 97) * 0.37f - float(seed), in float32.
    i = (np.arange(n) % 97).astype(np.float32)
    return i * np.float32(0.37) - np.float32(seed)


def load_state_dict(path):
    """The man page's recipe (posekd-checkpoint(5)): /params and /buffers into one dict."""
    state = {}
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "posekd-checkpoint", f.attrs["format"]
        for group in ("params", "buffers"):
            f[group].visititems(
                lambda name, obj: state.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return state


def check_checkpoint(path):
    with h5py.File(path, "r") as f:
        a = f.attrs
        # Variable-length UTF-8 string attributes come back as str.
        assert a["format"] == "posekd-checkpoint" and isinstance(a["format"], str)
        assert a["format_version"] == 1
        assert a["model_spec"] == "simplebaseline:backbone=resnet18"
        assert a["skeleton"] == "coco17"
        assert list(a["input_size"]) == [192, 256] and list(a["heatmap_size"]) == [48, 64]
        assert a["head_type"] == "heatmap" and a["decoding"] == "dark"
        assert a["params"] == 197 and a["gflops"] == 1.5
        assert a["tool"] == "posekd_h5_fixture" and "checkpoint" in a["argv"]
        assert a["utc_time"].endswith("Z")
        names = [n.decode() for n in f["skeleton/names"][()]]
        assert names[0] == "nose" and len(names) == 17, names
        assert f["skeleton/flip_pairs"].shape == (8, 2) and f["skeleton/flip_pairs"][0].tolist() == [1, 2]
        assert f["train"].attrs["epoch"] == 3 and f["train"].attrs["best_metric_name"] == "AP"
        assert f["train/rng_state"][()].tolist() == [7, 8, 9]
        assert f["train/optimizer/state/backbone.conv1.weight/exp_avg"].shape == (4, 3, 3, 3)
    state = load_state_dict(path)
    expected = {
        "backbone.conv1.weight": ((4, 3, 3, 3), 1), "backbone.bn1.weight": ((4,), 2),
        "head.final_layer.weight": ((17, 4, 1, 1), 3), "head.final_layer.bias": ((17,), 4),
        "backbone.bn1.running_mean": ((4,), 5), "backbone.bn1.running_var": ((4,), 6),
    }
    assert sorted(state) == sorted(expected), sorted(state)
    for name, (shape, seed) in expected.items():
        v = state[name]
        assert v.dtype == np.float32 and v.shape == shape, (name, v.dtype, v.shape)
        assert np.array_equal(v.ravel(), formula(v.size, seed)), name
    try:
        import torch
    except ImportError:
        return
    tensors = {k: torch.from_numpy(np.asarray(v)) for k, v in state.items()}
    assert tensors["head.final_layer.bias"].dtype == torch.float32


def check_heatmaps(path):
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "posekd-heatmaps" and f.attrs["format_version"] == 1
        hm = f["heatmaps"]
        assert hm.dtype == np.float16, hm.dtype
        assert hm.shape == (4, 17, 8, 6) and hm.chunks == (1, 17, 8, 6)
        assert f["sample_id"][()].tolist() == [1000, 1001, 1002, 1003]
        assert f["done"][()].tolist() == [1, 1, 1, 1]
        assert f["crop"].shape == (4, 2, 3) and f["crop"][2].ravel().tolist() == [0.25, 0, 2, 0, 0.25, 1]
        for i in range(4):
            # numpy's float32 -> float16 is correctly rounded, ties to even: equal bit for bit.
            want = formula(17 * 8 * 6, i).astype(np.float16)
            got = hm[i].ravel()
            assert np.array_equal(got.view(np.uint16), want.view(np.uint16)), i
        assert np.array_equal(f["coords"][1].ravel(), formula(17 * 3, 11))


check_checkpoint(sys.argv[1])
check_heatmaps(sys.argv[2])
print("h5py read the posekd files")
