"""Writes a checkpoint and a heatmaps file in the posekd formats with h5py alone (as a
Python user following posekd-checkpoint(5) and posekd-heatmaps(5) would), using h5py's
defaults: variable-length string attributes, numpy float16 datasets; one attribute is a
fixed-length byte string. Usage: write_h5py_files.py CKPT HEATMAPS"""
import sys

import h5py
import numpy as np

COCO = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
        "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
        "right_ankle"]
FLIP = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]]
EDGES = [[15, 13], [13, 11], [16, 14], [14, 12], [11, 12], [5, 11], [6, 12], [5, 6], [5, 7], [6, 8], [7, 9], [8, 10],
         [1, 2], [0, 1], [0, 2], [1, 3], [2, 4], [3, 5], [4, 6]]
SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]) / 10.0


def header(f, fmt):
    f.attrs["format"] = fmt
    f.attrs["format_version"] = np.int64(1)
    f.attrs["tool"] = "h5py"
    f.attrs["version"] = h5py.__version__
    f.attrs["argv"] = " ".join(sys.argv)
    f.attrs["config"] = ""
    f.attrs["utc_time"] = "2026-11-22T12:00:00Z"
    f.attrs["inputs"] = np.array(["annotations/person_keypoints_val2017.json"], dtype=h5py.string_dtype())
    f.attrs["input_fingerprints"] = np.array(["size=1 mtime=2 fnv1a64=0000000000000003"], dtype=h5py.string_dtype())
    f.attrs["skeleton"] = np.bytes_("coco17")  # fixed-length: posekd reads both kinds
    g = f.create_group("skeleton")
    g.attrs["name"] = "coco17"
    g.create_dataset("names", data=np.array(COCO, dtype=h5py.string_dtype()))
    g.create_dataset("flip_pairs", data=np.array(FLIP, dtype=np.int64))
    g.create_dataset("edges", data=np.array(EDGES, dtype=np.int64))
    g.create_dataset("sigmas", data=SIGMAS)


def special_halves(n, seed):
    """float16 values with subnormals, the largest finite, infinities and signed zeros."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(n).astype(np.float16)
    specials = np.array([0.0, -0.0, 6e-8, -6e-8, 6.1e-5, 65504, -65504, np.inf, -np.inf, 1 / 3], dtype=np.float16)
    v[:len(specials)] = specials
    return v


def write_checkpoint(path):
    with h5py.File(path, "w") as f:
        header(f, "posekd-checkpoint")
        f.attrs["model_spec"] = "hrnet:width=32"
        f.attrs["input_size"] = np.array([192, 256], dtype=np.int64)
        f.attrs["heatmap_size"] = np.array([48, 64], dtype=np.int64)
        f.attrs["head_type"] = "heatmap"
        f.attrs["decoding"] = "udp"
        rng = np.random.default_rng(1)
        f["params/stem.conv1.weight"] = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
        f["params/final_layer.bias"] = rng.standard_normal(17).astype(np.float32)
        f["params/half.weight"] = special_halves(12, 2)  # float16 arrays read as float32
        f["buffers/stem.bn1.num_batches_tracked"] = np.float32(5)


def write_heatmaps(path):
    n, k, h, w = 3, 17, 4, 5
    with h5py.File(path, "w") as f:
        header(f, "posekd-heatmaps")
        f.attrs["model_spec"] = "hrnet:width=32"
        f.attrs["input_size"] = np.array([20, 16], dtype=np.int64)
        f.attrs["decoding"] = "dark"
        f["sample_id"] = np.array([11, 22, 33], dtype=np.int64)
        f["image_id"] = np.array([1, 1, 2], dtype=np.int64)
        f["crop"] = np.tile(np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32), (n, 1, 1))
        f.create_dataset("heatmaps", data=special_halves(n * k * h * w, 3).reshape(n, k, h, w),
                         chunks=(1, k, h, w), compression="gzip")
        f["coords"] = np.zeros((n, k, 3), dtype=np.float32)
        f["done"] = np.ones(n, dtype=np.uint8)


write_checkpoint(sys.argv[1])
write_heatmaps(sys.argv[2])
