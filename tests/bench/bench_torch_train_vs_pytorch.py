"""PyTorch side of bench_torch_train_vs_pytorch.sh: the same stacked hourglass (the twin in
tests/unit/nn_pytorch_reference.py), batch and input size, trained with Adam on heatmap MSE, fed
by a torch DataLoader whose workers decode JPEGs with cv2, crop with a random affine (scale,
rotation, flip) and draw Gaussian targets, as mmpose's top-down pipeline does.

usage: bench_torch_train_vs_pytorch.py ANNOTATIONS SPEC_KEYS BATCH WORKERS THREADS STEPS
prints: samples/s, and the share of the step spent waiting for data."""
import json
import math
import os
import sys
import time

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit"))
from nn_pytorch_reference import StackedHourglass  # noqa: E402

FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]


class Coco(Dataset):
    def __init__(self, path, input_hw, heatmap_hw, sigma):
        d = json.load(open(path))
        images = {i["id"]: os.path.join(os.path.dirname(path), i["file_name"]) for i in d["images"]}
        self.items = [(images[a["image_id"]], a["bbox"], np.array(a["keypoints"], np.float32).reshape(-1, 3))
                      for a in d["annotations"] if not a.get("iscrowd") and a.get("num_keypoints", 1) > 0]
        self.h, self.w = input_hw
        self.hh, self.hw = heatmap_hw
        self.sigma = sigma

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, (x, y, bw, bh), kp = self.items[i]
        rng = np.random.default_rng(i)
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        aspect = self.w / self.h
        if bw > aspect * bh:
            bh = bw / aspect
        else:
            bw = bh * aspect
        scale = float(np.clip(rng.normal() * 0.5 + 1, 0.5, 1.5)) * 1.25
        rot = float(np.clip(rng.normal() * 40, -80, 80)) if rng.random() < 0.6 else 0.0
        centre = (x + bw / 2, y + bh / 2)
        m = cv2.getRotationMatrix2D(centre, rot, self.w / (bw * scale))
        m[:, 2] += np.array([self.w / 2, self.h / 2]) - np.array(centre)
        crop = cv2.warpAffine(image, m, (self.w, self.h), flags=cv2.INTER_LINEAR)
        pts = np.c_[kp[:, :2], np.ones(len(kp))] @ m.T
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
            pts[:, 0] = self.w - 1 - pts[:, 0]
            pts, kp = pts[FLIP], kp[FLIP]
        rgb = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_BGR2RGB).astype(np.float32) / 255
        rgb = (rgb - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
        xs = np.arange(self.hw, dtype=np.float32)
        ys = np.arange(self.hh, dtype=np.float32)[:, None]
        target = np.zeros((len(kp), self.hh, self.hw), np.float32)
        weight = (kp[:, 2] > 0).astype(np.float32)
        for k, (px, py) in enumerate(pts * (self.hw / self.w)):
            if weight[k]:
                target[k] = np.exp(-((xs - px) ** 2 + (ys - py) ** 2) / (2 * self.sigma ** 2))
        return torch.from_numpy(rgb.transpose(2, 0, 1).copy()), torch.from_numpy(target), torch.from_numpy(weight)


def main():
    path, keys, batch, workers, threads, steps = sys.argv[1:7]
    batch, workers, threads, steps = int(batch), int(workers), int(threads), int(steps)
    spec = dict(item.split("=") for item in keys.split(","))
    h, w = (int(v) for v in spec["input"].split("x"))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = StackedHourglass(spec)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = Coco(path, (h, w), (h // 4, w // 4), 1.5)
    loader = DataLoader(data, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True,
                        persistent_workers=workers > 0)
    warmup = 3
    done = 0
    waited = 0.0
    start = None
    while done < steps + warmup:
        t_wait = time.perf_counter()
        for images, targets, weights in loader:
            if done == warmup:
                start = time.perf_counter()
                waited = 0.0
            waited += time.perf_counter() - t_wait
            out = model(images)["heatmaps"]
            wt = weights[:, None, :, None, None]
            loss = 0.5 * ((out * wt - targets[:, None] * wt) ** 2).mean() * out.shape[1]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            done += 1
            if done == steps + warmup:
                break
            t_wait = time.perf_counter()
    seconds = time.perf_counter() - start
    print(f"pytorch {torch.__version__}: {steps * batch / seconds:.1f} samples/s "
          f"({seconds / steps:.3f} s/step, {100 * waited / seconds:.0f}% waiting for data)")


if __name__ == "__main__":
    main()
