#!/usr/bin/env python3
"""PyTorch twins of medqr's gorgonia training steps (package train and
train/iwave): the same layers, parameter names and counts, batch, crop,
losses, gradient clipping and Adam, so that one step of each can be timed
beside the Go benchmark and checked against it.

  twins.py bench MODEL [--steps N] [--threads T]   time N steps, print JSON
  twins.py check CASE_DIR                          run the steps of a case
                                                   written by a Go test,
                                                   print the losses as JSON

MODEL is learned (the conv autoencoder, 8 x 64x64 crops), learned256
(2 x 256x256), filter (the iwave post-filter, 8 x 32x32), filter256
(1 x 256x256) or lift (the iwave lifting MLP, hidden 32, 256 samples).
Architectures and loss weights are read from experiments/default.json and
experiments/iwave.json. Needs Debian's python3-torch (1.13); nothing else.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def load_json(name):
    with open(os.path.join(ROOT, "experiments", name)) as f:
        return json.load(f)


# ---------------------------------------------------------------- learned

def learned_params(cfg):
    """Parameter names and shapes in model.Config.Params() order."""
    ps = []
    conv = lambda n, o, i: ps.append((n + ".w", [o, i, 3, 3]))
    bias = lambda n, o: ps.append((n + ".b", [o]))

    def cb(n, o, i):
        conv(n, o, i)
        bias(n, o)

    def rev(prefix, half):
        for i in range(cfg["rev_blocks"]):
            for f in ("f", "g"):
                cb("%s.%d.%s1" % (prefix, i, f), half, half)
                cb("%s.%d.%s2" % (prefix, i, f), half, half)

    e1, e2, e3 = cfg["enc"][0], cfg["enc"][1], cfg["enc"][2] // 2
    d1, d2, d3 = cfg["dec"][0] // 2, cfg["dec"][1], cfg["dec"][2]
    lat = cfg["latent"]
    f = cfg.get("down") or 16
    cb("enc1", e1, 1)
    cb("enc2", e2, e1)
    cb("enc3a", e3, e2)
    cb("enc3b", e3, e2)
    rev("encrev", e3)
    conv("enc4a", lat, e3)
    conv("enc4b", lat, e3)
    bias("enc4", lat)
    up1 = 1 if f == 8 else 4
    cb("dec1a", up1 * d1, lat)
    cb("dec1b", up1 * d1, lat)
    rev("decrev", d1)
    conv("dec2a", 4 * d2, d1)
    conv("dec2b", 4 * d2, d1)
    bias("dec2", 4 * d2)
    cb("dec3", 4 * d3, d2)
    cb("dec4", 4, d3)
    if cfg["linear"]:
        conv("encskip", lat, f * f)
        conv("decskip", f * f, lat)
    return ps


def gauss1d(k=11, sigma=1.5):
    w = [math.exp(-((i - k // 2) ** 2) / (2 * sigma * sigma)) for i in range(k)]
    s = sum(w)
    return torch.tensor([v / s for v in w], dtype=torch.float32)


class Learned(torch.nn.Module):
    """The training graph of train.NewNet: encoder, noisy quantiser with
    erasures, decoder, and the four losses."""

    def __init__(self, cfg, loss, init=None):
        super().__init__()
        self.cfg, self.w = cfg, loss
        self.names = [n for n, _ in learned_params(cfg)]
        self.p = torch.nn.ParameterList()
        for i, (n, shape) in enumerate(learned_params(cfg)):
            v = init[i] if init is not None else torch.randn(shape) * 0.05
            self.p.append(torch.nn.Parameter(v.reshape(shape).clone()))
        self.idx = {n: i for i, n in enumerate(self.names)}
        g = gauss1d()
        self.win = torch.outer(g, g).reshape(1, 1, 11, 11)

    def P(self, n):
        return self.p[self.idx[n]]

    def conv(self, x, name, stride=1, bias=None):
        b = self.P((bias or name) + ".b") if bias != "" else None
        return F.conv2d(x, self.P(name + ".w"), b, stride=stride, padding=1)

    def forward(self, x, noise, mask, gain):
        cfg = self.cfg
        s = cfg["slope"]
        act = lambda v: F.leaky_relu(v, s)
        f = cfg.get("down") or 16
        s4 = 1 if f == 8 else 2

        def rev(prefix, a, b):
            for i in range(cfg["rev_blocks"]):
                res = lambda fn, v: self.conv(act(self.conv(v, "%s.%d.%s1" % (prefix, i, fn))), "%s.%d.%s2" % (prefix, i, fn))
                a = a + res("f", b)
                b = b + res("g", a)
            return a, b

        h = act(self.conv(x, "enc1", 2))
        h = act(self.conv(h, "enc2", 2))
        a = act(self.conv(h, "enc3a", 2))
        b = act(self.conv(h, "enc3b", 2))
        a, b = rev("encrev", a, b)
        y = self.conv(a, "enc4a", s4, bias="enc4") + self.conv(b, "enc4b", s4, bias="")
        if cfg["linear"]:
            y = y + self.conv(F.pixel_unshuffle(x, f), "encskip", bias="")
        yq = (y + noise) * mask
        if f == 8:
            a, b = act(self.conv(yq, "dec1a")), act(self.conv(yq, "dec1b"))
        else:
            a = F.pixel_shuffle(act(self.conv(yq, "dec1a")), 2)
            b = F.pixel_shuffle(act(self.conv(yq, "dec1b")), 2)
        a, b = rev("decrev", a, b)
        h = self.conv(a, "dec2a", bias="dec2") + self.conv(b, "dec2b", bias="")
        h = F.pixel_shuffle(act(h), 2)
        h = F.pixel_shuffle(act(self.conv(h, "dec3")), 2)
        xhat = F.pixel_shuffle(self.conv(h, "dec4"), 2)
        if cfg["linear"]:
            xhat = xhat + F.pixel_shuffle(self.conv(yq, "decskip", bias=""), f)
        return y, xhat

    def loss(self, x, noise, mask, gain):
        y, xhat = self.forward(x, noise, mask, gain)
        cfg, w = self.cfg, self.w
        f = cfg.get("down") or 16
        mse = ((xhat - x) ** 2).mean()
        total = w["mse"] * mse
        rate = torch.log(torch.abs(y * gain) + 1).mean() * (cfg["latent"] / (f * f) / math.log(2))
        if w.get("rate", 0):
            total = total + w["rate"] * rate
        if w.get("ssim", 0):
            total = total + w["ssim"] * (1 - ssim(x + 0.5, xhat + 0.5, self.win))
        if w.get("decor", 0):
            total = total + w["decor"] * decor(y)
        return total


def ssim(x, y, win):
    blur = lambda v: F.conv2d(v, win)
    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    return ((2 * mx * my + c1) * (2 * sxy + c2) / ((mx * mx + my * my + c1) * (sxx + syy + c2))).mean()


def decor(y, eps=1e-2):
    """train.Decor: mean squared off-diagonal channel correlation."""
    c = y.shape[1]
    z = y.transpose(0, 1).reshape(c, -1)
    z = z - z.mean(dim=1, keepdim=True)
    cov = z @ z.t() / z.shape[1]
    sd = torch.sqrt(torch.diagonal(cov) + eps)
    r = cov / (sd[:, None] * sd[None, :])
    off = r * r * (1 - torch.eye(c))
    return off.sum() / (c * (c - 1))


# ---------------------------------------------------------------- iwave

class Filter(torch.nn.Module):
    """train/iwave.NewNet: 3x3 convolutions with bias, leaky ReLU between,
    MSE against the target residual."""

    def __init__(self, fc, init=None):
        super().__init__()
        self.leak = fc["leak"]
        self.p = torch.nn.ParameterList()
        shapes = []
        for l in range(fc["layers"]):
            cin = 2 if l == 0 else fc["channels"]
            cout = 1 if l == fc["layers"] - 1 else fc["channels"]
            shapes += [[cout, cin, 3, 3], [cout]]
        for i, s in enumerate(shapes):
            v = init[i] if init is not None else torch.randn(s) * 0.1
            self.p.append(torch.nn.Parameter(v.reshape(s).clone()))

    def loss(self, x, t):
        h = x
        n = len(self.p) // 2
        for l in range(n):
            h = F.conv2d(h, self.p[2 * l], self.p[2 * l + 1], padding=1)
            if l < n - 1:
                h = F.leaky_relu(h, self.leak)
        return ((h - t) ** 2).mean()


# model/iwave.LiftFeatures: inputs of a lifting network
LIFT_FEATURES = 18


class Lift(torch.nn.Module):
    """train/iwave.newLiftNet: x (batch x features) -> leaky(x W1) ->
    leaky(. W2) -> . W3; loss mean(log1p(|t + out|))."""

    def __init__(self, features, hidden, leak, init=None):
        super().__init__()
        self.leak = leak
        shapes = [[features, hidden], [hidden, hidden], [hidden, 1]]
        self.p = torch.nn.ParameterList()
        for i, s in enumerate(shapes):
            v = init[i] if init is not None else torch.randn(s) * 0.1
            self.p.append(torch.nn.Parameter(v.reshape(s).clone()))

    def loss(self, x, t):
        a = F.leaky_relu(x @ self.p[0], self.leak)
        a = F.leaky_relu(a @ self.p[1], self.leak)
        return torch.log1p(torch.abs(a @ self.p[2] + t)).mean()


# ---------------------------------------------------------------- steps

def clip_(params, clip):
    """Global-norm clipping as train.Adam does it (scale by clip/norm when
    the norm exceeds clip)."""
    norm = math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in params))
    if clip > 0 and norm > clip:
        for p in params:
            p.grad.mul_(clip / norm)
    return norm


def step(model, opt, clip, args):
    opt.zero_grad(set_to_none=False)
    loss = model.loss(*args)
    loss.backward()
    clip_(list(model.parameters()), clip)
    opt.step()
    return float(loss)


def make(name, rng):
    """A model and one batch of random inputs at the Go benchmark's shapes."""
    g = lambda *s: torch.from_numpy(rng.random(s, dtype=np.float32) - 0.5)
    if name.startswith("learned"):
        d = load_json("default.json")
        batch, size = (2, 256) if name == "learned256" else (8, 64)
        cfg = d["model"]
        f = cfg.get("down") or 16
        lat = (batch, cfg["latent"], size // f, size // f)
        gain = 1.0
        m = Learned(cfg, d["loss"])
        noise = g(*lat)
        mask = torch.from_numpy((rng.random(lat) >= d["erase"]).astype(np.float32))
        return m, (g(batch, 1, size, size), noise, mask, gain), batch
    d = load_json("iwave.json")
    if name.startswith("filter"):
        batch, size = (1, 256) if name == "filter256" else (8, 32)
        return Filter(d["filter"]), (g(batch, 2, size, size), g(batch, 1, size, size) * 0), batch
    if name == "lift":
        lt = d["lift"]
        batch = lt["batch"]
        x = torch.from_numpy(rng.standard_normal((batch, LIFT_FEATURES)).astype(np.float32))
        return Lift(LIFT_FEATURES, lt["hidden"], lt["leak"]), (x, torch.zeros(batch, 1)), batch
    raise SystemExit("twins.py: unknown model %r" % name)


def bench(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    m, args, batch = make(a.model, rng)
    opt = torch.optim.Adam(m.parameters(), lr=1e-4)
    for _ in range(a.warmup):
        step(m, opt, 1.0, args)
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        step(m, opt, 1.0, args)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(json.dumps({"model": a.model, "threads": a.threads, "steps": a.steps, "batch": batch,
                      "params": sum(p.numel() for p in m.parameters()),
                      "items_per_s": batch * a.steps / wall, "items_per_cpu_s": batch * a.steps / cpu,
                      "torch": torch.__version__}))


def check(a):
    """Run the steps of a case written by the Go test (case.json,
    params.bin, inputs.bin: little-endian float32) and print the losses."""
    torch.set_num_threads(1)
    with open(os.path.join(a.case, "case.json")) as f:
        c = json.load(f)
    flat = np.fromfile(os.path.join(a.case, "params.bin"), dtype="<f4")
    inp = np.fromfile(os.path.join(a.case, "inputs.bin"), dtype="<f4")
    init, off = [], 0
    for shape in c["shapes"]:
        k = int(np.prod(shape))
        init.append(torch.from_numpy(flat[off:off + k].copy()))
        off += k
    kind, batch = c["model"], c["batch"]
    if kind == "learned":
        m = Learned(c["config"], c["loss"], init)
    elif kind == "filter":
        m = Filter(c["config"], init)
    else:
        m = Lift(c["shapes"][0][0], c["config"]["hidden"], c["config"]["leak"], init)
    opt = torch.optim.Adam(m.parameters(), lr=c["lr"], betas=(0.9, 0.999), eps=1e-8)
    losses, off = [], 0
    take = lambda shape: torch.from_numpy(inp[off:off + int(np.prod(shape))].copy()).reshape(shape)
    for s in range(c["steps"]):
        args = []
        for shape in c["inputs"]:
            args.append(take(shape))
            off += int(np.prod(shape))
        if kind == "learned":
            args.append(c["gains"][s])
        losses.append(step(m, opt, c["clip"], args))
    print(json.dumps({"loss": losses}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bench")
    b.add_argument("model")
    b.add_argument("--steps", type=int, default=20)
    b.add_argument("--warmup", type=int, default=2)
    b.add_argument("--threads", type=int, default=1)
    k = sub.add_parser("check")
    k.add_argument("case")
    a = ap.parse_args()
    {"bench": bench, "check": check}[a.cmd](a)


if __name__ == "__main__":
    main()
