#!/usr/bin/python3
"""PyTorch twins of posekd's SimpleBaseline, regression head and stacked hourglass, written from
the papers with the attribute names of torchvision / pose_resnet.py / TokenPose /
princeton-vl's stacked hourglass, for nn_pytorch_compat_test; the TokenPose teacher too.

usage: nn_pytorch_reference.py DIR...
Each DIR holds spec.txt, params/<name>.npy (C++ named arrays), input.npy and the C++ outputs
(heatmaps.npy or coords/sigma/score/keypoint_tokens .npy). Loads the arrays by name with
strict=True, runs the model in eval mode and exits 1 when an output differs.
"""
import os
import sys

import numpy as np
import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + (self.downsample(x) if self.downsample is not None else x))


def res_layer(inplanes, planes, blocks, stride):
    down = None
    if stride != 1 or inplanes != planes:
        down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
    return nn.Sequential(BasicBlock(inplanes, planes, stride, down),
                         *[BasicBlock(planes, planes) for _ in range(blocks - 1)])


class Bottleneck(nn.Module):
    def __init__(self, inplanes, planes, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return torch.relu(out + (self.downsample(x) if self.downsample is not None else x))


def sine_table(rows, cols, dim):
    """DETR's 2-D sine embedding as DistilPose builds it: row channels, then column channels."""
    import math
    half = dim // 2
    t = 10000 ** (2 * (torch.arange(half, dtype=torch.float64) // 2) / half)

    def encode(angle):  # angle [rows, cols] -> [rows, cols, half], sin on even, cos on odd channels
        a = angle[..., None] / t
        return torch.stack((a[..., 0::2].sin(), a[..., 1::2].cos()), dim=-1).flatten(-2)

    y = torch.arange(1, rows + 1, dtype=torch.float64)[:, None].expand(rows, cols) / rows * 2 * math.pi
    x = torch.arange(1, cols + 1, dtype=torch.float64)[None, :].expand(rows, cols) / cols * 2 * math.pi
    return torch.cat((encode(y), encode(x)), -1).reshape(1, rows * cols, dim).float()


class TokenTransformer(nn.Module):
    def __init__(self, channels, feature, patch, dim, layers, heads, mlp, joints, outputs, heatmap_mlp=False,
                 pos="learnable", norm="post"):
        super().__init__()
        self.patch = patch
        self.joints = joints
        patches = (feature[0] // patch[0]) * (feature[1] // patch[1])
        self.patch_to_embedding = nn.Linear(channels * patch[0] * patch[1], dim)
        self.keypoint_token = nn.Parameter(torch.zeros(1, joints, dim))
        self.sine = None
        if pos == "sine-full":
            # The C++ table is loaded into the buffer but not used: this one, computed here, is.
            self.register_buffer("pos_embedding", torch.zeros(1, patches, dim))
            self.sine = sine_table(feature[0] // patch[0], feature[1] // patch[1], dim)
        else:
            self.pos_embedding = nn.Parameter(torch.zeros(1, patches, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, dim * mlp, dropout=0.0, activation="gelu",
                                           norm_first=(norm == "pre"))
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        hidden = outputs // 8
        if heatmap_mlp and dim <= hidden // 2:
            self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.LayerNorm(hidden),
                                          nn.Linear(hidden, outputs))
        else:
            self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, outputs))

    def forward(self, f):
        n, c, h, w = f.shape
        p1, p2 = self.patch
        x = f.reshape(n, c, h // p1, p1, w // p2, p2).permute(0, 2, 4, 3, 5, 1).reshape(n, -1, p1 * p2 * c)
        pos = self.pos_embedding if self.sine is None else self.sine
        x = self.patch_to_embedding(x) + pos
        x = torch.cat([self.keypoint_token.expand(n, -1, -1), x], 1)
        if self.sine is None:
            x = self.encoder(x.transpose(0, 1)).transpose(0, 1)
        else:  # DistilPose's sine-full: the table again before every layer but the first
            for i, layer in enumerate(self.encoder.layers):
                if i > 0:
                    x = torch.cat([x[:, :self.joints], x[:, self.joints:] + pos], 1)
                x = layer(x.transpose(0, 1)).transpose(0, 1)
        kp = x[:, :self.joints]
        return kp, self.mlp_head(kp)


class HgConv(nn.Module):
    def __init__(self, inp, out, kernel, stride=1, bn=False, relu=True):
        super().__init__()
        self.conv = nn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, bias=True)
        self.bn = nn.BatchNorm2d(out) if bn else None
        self.relu = relu

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return torch.relu(x) if self.relu else x


class Residual(nn.Module):
    def __init__(self, inp, out):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inp)
        self.conv1 = HgConv(inp, out // 2, 1, relu=False)
        self.bn2 = nn.BatchNorm2d(out // 2)
        self.conv2 = HgConv(out // 2, out // 2, 3, relu=False)
        self.bn3 = nn.BatchNorm2d(out // 2)
        self.conv3 = HgConv(out // 2, out, 1, relu=False)
        if inp != out:
            self.skip_layer = HgConv(inp, out, 1, relu=False)

    def forward(self, x):
        out = self.conv1(torch.relu(self.bn1(x)))
        out = self.conv2(torch.relu(self.bn2(out)))
        out = self.conv3(torch.relu(self.bn3(out)))
        return out + (self.skip_layer(x) if hasattr(self, "skip_layer") else x)


class Hourglass(nn.Module):
    def __init__(self, n, f):
        super().__init__()
        self.up1 = Residual(f, f)
        self.low1 = Residual(f, f)
        self.low2 = Hourglass(n - 1, f) if n > 1 else Residual(f, f)
        self.low3 = Residual(f, f)

    def forward(self, x):
        low = self.low3(self.low2(self.low1(nn.functional.max_pool2d(x, 2, 2))))
        return self.up1(x) + nn.functional.interpolate(low, scale_factor=2, mode="nearest")


class Merge(nn.Module):
    def __init__(self, inp, out):
        super().__init__()
        self.conv = HgConv(inp, out, 1, relu=False)

    def forward(self, x):
        return self.conv(x)


class StackedHourglass(nn.Module):
    def __init__(self, spec):
        super().__init__()
        stacks, c, depth, k = (int(spec[key]) for key in ("stacks", "channels", "depth", "joints"))
        s1, s2 = (64, 128) if c >= 128 else (max(1, c // 2), c)
        self.pre = nn.Sequential(HgConv(3, s1, 7, 2, bn=True), Residual(s1, s2), nn.MaxPool2d(2, 2),
                                 Residual(s2, s2), Residual(s2, c))
        self.hgs = nn.ModuleList([nn.Sequential(Hourglass(depth, c)) for _ in range(stacks)])
        self.features = nn.ModuleList([nn.Sequential(Residual(c, c), HgConv(c, c, 1, bn=True))
                                       for _ in range(stacks)])
        self.outs = nn.ModuleList([HgConv(c, k, 1, relu=False) for _ in range(stacks)])
        self.merge_features = nn.ModuleList([Merge(c, c) for _ in range(stacks - 1)])
        self.merge_preds = nn.ModuleList([Merge(k, c) for _ in range(stacks - 1)])

    def forward(self, x):
        x = self.pre(x)
        preds = []
        for i in range(len(self.hgs)):
            feature = self.features[i](self.hgs[i](x))
            preds.append(self.outs[i](feature))
            if i + 1 < len(self.hgs):
                x = x + self.merge_preds[i](preds[-1]) + self.merge_features[i](feature)
        return {"heatmaps": torch.stack(preds, 1)}


class TokenPose(nn.Module):
    def __init__(self, spec):
        super().__init__()
        stem, joints = int(spec["stem_width"]), int(spec["joints"])
        h, w = (int(v) for v in spec["input"].split("x"))
        self.conv1 = nn.Conv2d(3, stem, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.conv2 = nn.Conv2d(stem, stem, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(stem)
        down = nn.Sequential(nn.Conv2d(stem, stem * 4, 1, bias=False), nn.BatchNorm2d(stem * 4))
        self.layer1 = nn.Sequential(Bottleneck(stem, stem, down), *[Bottleneck(stem * 4, stem) for _ in range(3)])
        self.heatmap = (h // 4, w // 4)
        patch = tuple(int(v) for v in spec["patch"].split("x"))
        self.transformer = TokenTransformer(stem * 4, self.heatmap, patch, int(spec["dim"]), int(spec["layers"]),
                                            int(spec["heads"]), int(spec["mlp"]), joints,
                                            self.heatmap[0] * self.heatmap[1], heatmap_mlp=True)

    def forward(self, x):
        x = torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))
        kp, r = self.transformer(self.layer1(x))
        return {"heatmaps": r.reshape(x.shape[0], -1, *self.heatmap), "keypoint_tokens": kp}


class SimpleBaseline(nn.Module):
    def __init__(self, spec):
        super().__init__()
        width, joints = int(spec["width"]), int(spec["joints"])
        blocks = [2, 2, 2, 2] if spec["depth"] == "18" else [3, 4, 6, 3]
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = res_layer(width, width, blocks[0], 1)
        self.layer2 = res_layer(width, width * 2, blocks[1], 2)
        self.layer3 = res_layer(width * 2, width * 4, blocks[2], 2)
        self.layer4 = res_layer(width * 4, width * 8, blocks[3], 2)
        channels = width * 8
        layers = []
        for _ in range(int(spec["deconvs"])):
            out = int(spec["deconv_channels"])
            layers += [nn.ConvTranspose2d(channels, out, 4, 2, 1, 0, bias=False), nn.BatchNorm2d(out), nn.ReLU(True)]
            channels = out
        if layers:
            self.deconv_layers = nn.Sequential(*layers)
        self.head = spec["head"]
        h, w = (int(v) for v in spec["input"].split("x"))
        scale = 2 ** int(spec["deconvs"])
        feature = (h // 32 * scale, w // 32 * scale)
        if self.head == "heatmap":
            self.final_layer = nn.Conv2d(channels, joints, 1)
        else:
            patch = tuple(int(v) for v in spec["patch"].split("x"))
            self.transformer = TokenTransformer(channels, feature, patch, int(spec["dim"]), int(spec["layers"]),
                                                int(spec["heads"]), int(spec["mlp"]), joints, 5, pos=spec["pos"],
                                                norm=spec["norm"])

    def forward(self, x):
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        if hasattr(self, "deconv_layers"):
            x = self.deconv_layers(x)
        if self.head == "heatmap":
            return {"heatmaps": self.final_layer(x)}
        kp, r = self.transformer(x)
        # sigma: softplus in heatmap pixels (DistilPose), as a fraction of the input
        per_pixel = torch.tensor([1.0 / x.shape[3], 1.0 / x.shape[2]])
        return {"coords": r[..., 0:2].sigmoid(), "sigma": nn.functional.softplus(r[..., 2:4]) * per_pixel,
                "score": r[..., 4].sigmoid(), "keypoint_tokens": kp}


def main(folder):
    text = open(os.path.join(folder, "spec.txt")).read().strip()
    name, _, rest = text.partition(":")
    spec = dict(item.split("=") for item in rest.split(","))
    model = {"resnet": SimpleBaseline, "hourglass": StackedHourglass, "tokenpose": TokenPose}[name](spec)
    state = {}
    for f in os.listdir(os.path.join(folder, "params")):
        array = np.load(os.path.join(folder, "params", f))
        key = f[:-len(".npy")]
        state[key] = torch.from_numpy(array)
        if key.endswith("num_batches_tracked"):
            state[key] = state[key].long()
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(np.load(os.path.join(folder, "input.npy"))))
    worst = 0.0
    for key, value in out.items():
        expected = np.load(os.path.join(folder, key + ".npy"))
        if expected.shape != tuple(value.shape):
            print(f"{key}: expected shape {expected.shape}, found {tuple(value.shape)}", file=sys.stderr)
            return 1
        worst = max(worst, float(np.abs(expected - value.numpy()).max()))
    print(f"{folder}: {text}: max abs difference {worst:.3g}")
    return 0 if worst < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(max(main(folder) for folder in sys.argv[1:]))
