#!/usr/bin/env python3
"""Interleaved speed comparison of medqr's gorgonia training steps with
their PyTorch twins (twins.py): for each round, each Go benchmark runs,
then its twin, in fresh processes, on the same number of threads
(GOMAXPROCS / torch.set_num_threads). Prints the median throughput of
each and the ratio Go / PyTorch, by wall clock and by process CPU time
(on a shared machine the wall clock mostly measures waiting for a core).

  compare.py [--rounds R] [--threads T] [--out FILE]

Run from the repository root (make train-bench does).
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

# (label, Go package, Go benchmark, Go benchtime, twin model, twin steps, unit)
CASES = [
    ("learned autoencoder, 8 x 64x64", "./train", "BenchmarkTrainStepCrop64", "20x", "learned", 20, "images"),
    ("learned autoencoder, 2 x 256x256", "./train", "BenchmarkTrainStep256", "2x", "learned256", 2, "images"),
    ("iwave post-filter, 8 x 32x32", "./train/iwave", "BenchmarkFilterStepCrop32", "100x", "filter", 100, "images"),
    ("iwave lifting MLP (hidden 32), 256 samples", "./train/iwave", "BenchmarkLiftStep", "2000x", "lift", 2000, "samples"),
]


def twin(python, model, steps, threads):
    out = subprocess.run([python, os.path.join(HERE, "twins.py"), "bench", model, "--steps", str(steps),
                          "--threads", str(threads)], capture_output=True, text=True, check=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return r["items_per_s"], r["items_per_cpu_s"], r["torch"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default="", help="run only cases whose twin model is in this comma list")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    python = sys.executable
    bins = {}
    for pkg in sorted({c[1] for c in CASES}):
        b = os.path.join(ROOT, "bin", "bench-" + pkg.strip("./").replace("/", "-") + ".test")
        subprocess.run(["go", "test", "-c", "-o", b, pkg], cwd=ROOT, check=True)
        bins[pkg] = b
    cases = [c for c in CASES if not a.only or c[4] in a.only.split(",")]
    res = {c[0]: {"go": [], "goc": [], "pt": [], "ptc": []} for c in cases}
    tv = ""
    t0 = time.time()
    for r in range(a.rounds):
        for label, pkg, name, bt, model, steps, unit in cases:
            w, c = go_bench(bins[pkg], pkg, name, bt, a.threads, unit)
            res[label]["go"].append(w)
            res[label]["goc"].append(c)
            w, c, tv = twin(python, model, steps, a.threads)
            res[label]["pt"].append(w)
            res[label]["ptc"].append(c)
            print("round %d %-45s go %10.1f (%10.1f/cpu-s)  torch %10.1f (%10.1f/cpu-s)" % (
                r + 1, label, res[label]["go"][-1], res[label]["goc"][-1], w, c), file=sys.stderr)
    git = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    lines = ["# make train-bench: gorgonia step vs PyTorch twin, %d thread(s) each, %d interleaved rounds, medians" % (a.threads, a.rounds),
             "# code %s, torch %s, %s, load average at end %s" % (git, tv, platform.machine(), " ".join("%.1f" % v for v in os.getloadavg())),
             "| model, batch | gorgonia /s | PyTorch /s | ratio | gorgonia /cpu-s | PyTorch /cpu-s | ratio (CPU) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, *_rest in cases:
        m = {k: statistics.median(v) for k, v in res[label].items()}
        lines.append("| %s | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |" % (
            label, m["go"], m["pt"], m["go"] / m["pt"], m["goc"], m["ptc"], m["goc"] / m["ptc"]))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    print("# %.0f s" % (time.time() - t0), file=sys.stderr)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


def go_bench(binary, pkg, name, benchtime, threads, unit):
    """Run one Go benchmark in its package directory (as go test does)."""
    env = dict(os.environ, GOMAXPROCS=str(threads))
    out = subprocess.run([binary, "-test.run", "^$", "-test.bench", "^%s$" % name, "-test.benchtime", benchtime],
                         env=env, cwd=os.path.join(ROOT, pkg), capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith(name):
            m = dict((u, float(v)) for v, u in re.findall(r"([0-9.e+]+) (\S+)", line))
            return m[unit + "/s"], m.get(unit + "/cpu-s", float("nan"))
    raise SystemExit("compare.py: no result for %s in:\n%s" % (name, out))


if __name__ == "__main__":
    main()
