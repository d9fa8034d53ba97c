"""Benchmark ecg_signal against torch_ecg: augmentation and preprocessing throughput.

Runs, on the same seeded inputs,

* the augmentation pipeline of the seed example (``AugmenterManager.from_config`` with
  baseline_wander, label_smooth, mixup, random_flip, random_masking, random_renormalize and
  stretch_compress at 500 Hz) on a ``(64, 12, 5000)`` float32 batch with a ``(64, 26)`` label
  and a ``(64, 5000, 1)`` mask;
* the preprocessing pipeline (resample 200 -> 500 Hz, band-pass, z-score) on a ``(12, 80000)``
  array at 200 Hz (``PreprocManager.from_config(...)`` then ``ppm(sig, 200) -> (sig, fs)``);

for ecg_signal in this interpreter and for torch_ecg in a subprocess run by ``--peer-python``
(torch_ecg's numpy ``PreprocManager`` with the ``(sig, fs)`` call is
``torch_ecg._preprocessors.PreprocManager``; its torch ``preprocessors.PreprocManager`` takes no
``fs`` argument and has no resampling, so it is not used). It installs nothing. Each timing is the
median of ``--repeats`` runs after one warm-up run, with the same number of torch threads on both
sides (``--threads``, default 1), in ``--rounds`` rounds that alternate the two sides. Our
preprocessing output is also checked against a scipy reference (resample_poly,
Butterworth ``sosfiltfilt``, z-score).

Usage:
    .venv/bin/python bench/signal_vs_torch_ecg.py --peer-python .venv-peer/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _peer import require_peer

AUG_CONFIG: dict[str, Any] = {
    "random": False,
    "fs": 500,
    "baseline_wander": {},
    "label_smooth": {},
    "mixup": {},
    "random_flip": {},
    "random_masking": {},
    "random_renormalize": {},
    "stretch_compress": {},
}
PRE_CONFIG: dict[str, Any] = {
    "random": False,
    "resample": {"fs": 500},
    "bandpass": {},
    "normalize": {},
}

_PEER_CODE = r"""
import json, statistics, sys, time
import numpy as np
import torch
torch.set_num_threads(int(sys.argv[3]))
torch.manual_seed(0)
from torch_ecg.cfg import CFG
from torch_ecg.augmenters import AugmenterManager
data = np.load(sys.argv[1])
repeats = int(sys.argv[2])
aug_cfg = CFG(json.loads(sys.argv[4]))
pre_cfg = CFG(json.loads(sys.argv[5]))

def med(fn):
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)

res = {}
am = AugmenterManager.from_config(aug_cfg)
am.train()
sig = torch.from_numpy(data["sig"]); label = torch.from_numpy(data["label"])
mask = torch.from_numpy(data["mask"])
# torch_ecg's augmenters work in place by default: feed fresh copies, as a training loop would
def run_aug():
    am(sig.clone(), label.clone(), mask.clone())
res["aug"] = med(run_aug)
res["aug_clone"] = med(lambda: (sig.clone(), label.clone(), mask.clone()))
try:
    from torch_ecg._preprocessors import PreprocManager
    ppm = PreprocManager.from_config(pre_cfg)
    x = data["pre"]
    res["pre"] = med(lambda: ppm(x.copy(), 200))
    out, fs = ppm(x.copy(), 200)
    res["pre_fs"] = int(fs)
    np.save(sys.argv[6], np.asarray(out))
except Exception as exc:  # report, do not hide
    res["pre_error"] = repr(exc)
print("RESULT " + json.dumps(res))
"""


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time in seconds of ``repeats`` calls after one warm-up call."""
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def make_inputs(seed: int, batch: int) -> dict[str, np.ndarray]:
    """Seeded inputs shared by both sides (saved to an .npz for the peer)."""
    rng = np.random.default_rng(seed)
    return {
        "sig": rng.standard_normal((batch, 12, 5000)).astype(np.float32),
        "label": (rng.random((batch, 26)) < 0.2).astype(np.float32),
        "mask": (rng.random((batch, 5000, 1)) < 0.5).astype(np.float32),
        "pre": _ecg_like(rng, 12, 80000, 200.0).astype(np.float32),  # float32, as in the seed
    }


def _ecg_like(rng: np.random.Generator, leads: int, n: int, fs: float) -> np.ndarray:
    """A cheap ECG-like test signal: QRS-like Gaussian bumps at ~70 bpm + wander + noise (mV)."""
    t = np.arange(n) / fs
    beats = np.arange(0.3, t[-1], 60.0 / 70.0)
    base = np.zeros(n)
    for b in beats:
        lo, hi = int((b - 0.1) * fs), int((b + 0.1) * fs) + 1
        base[max(lo, 0) : min(hi, n)] += np.exp(
            -0.5 * ((t[max(lo, 0) : min(hi, n)] - b) / 0.012) ** 2
        )
    gains = rng.uniform(0.3, 1.5, (leads, 1))
    wander = 0.2 * np.sin(2 * np.pi * 0.2 * t + rng.uniform(0, 2 * np.pi, (leads, 1)))
    return gains * base + wander + 0.02 * rng.standard_normal((leads, n))


def scipy_reference(
    x: np.ndarray, fs_in: int, fs_out: int, low: float, high: float, order: int
) -> np.ndarray:
    """The scipy form of our default pipeline order (filters at the input rate, then resample).

    Zero-phase Butterworth band-pass (``butter(..., output="sos")`` + ``sosfiltfilt`` with its
    default padding) at ``fs_in``, ``resample_poly`` to ``fs_out``, z-score per lead (ddof 0).
    """
    from math import gcd

    import scipy.signal as ss

    sos = ss.butter(order, [low, high], btype="bandpass", fs=fs_in, output="sos")
    y = ss.sosfiltfilt(sos, x, axis=-1)
    g = gcd(fs_out, fs_in)
    y = ss.resample_poly(y, fs_out // g, fs_in // g, axis=-1)
    z: np.ndarray = np.asarray((y - y.mean(axis=-1, keepdims=True)) / y.std(axis=-1, keepdims=True))
    return z


def run_ours(data: dict[str, np.ndarray], repeats: int) -> dict[str, Any]:
    import torch

    from ecg_signal.augment.manager import AugmenterManager

    res: dict[str, Any] = {}
    am = AugmenterManager.from_config({**AUG_CONFIG, "seed": 0})
    am.train()
    sig, label, mask = (torch.from_numpy(data[k]) for k in ("sig", "label", "mask"))
    res["aug"] = median_time(lambda: am(sig, label, mask), repeats)
    try:
        from ecg_signal.preprocess import PreprocManager  # type: ignore[attr-defined]

        ppm = PreprocManager.from_config(dict(PRE_CONFIG))
        x = data["pre"]
        res["pre"] = median_time(lambda: ppm(x, 200), repeats)
        out, fs = ppm(x, 200)
        res["pre_out"], res["pre_fs"] = np.asarray(out), int(fs)
    except Exception as exc:  # the preprocessing module may not exist yet: report it
        res["pre_error"] = repr(exc)
    return res


def run_peer(
    python: str, data_path: Path, repeats: int, threads: int, out_path: Path
) -> dict[str, Any]:
    cmd = [
        python,
        "-c",
        _PEER_CODE,
        str(data_path),
        str(repeats),
        str(threads),
        json.dumps(AUG_CONFIG),
        json.dumps(PRE_CONFIG),
        str(out_path),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    return {"error": f"peer failed (rc={proc.returncode}): {proc.stderr.strip()[-2000:]}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--peer-python",
        default=".venv-peer/bin/python",
        help="python with torch-ecg installed (default: %(default)s)",
    )
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case (median)")
    parser.add_argument("--batch", type=int, default=64, help="augmentation batch size")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads on both sides (default 1: on a shared, loaded machine OpenMP "
        "waits for descheduled threads dominate the timings of both sides)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds of both sides (median of rounds)"
    )
    parser.add_argument("--no-peer", action="store_true", help="time ecg_signal only")
    args = parser.parse_args(argv)
    if not args.no_peer:
        args.peer_python = require_peer(args.peer_python, script="signal_vs_torch_ecg.py")

    import torch

    torch.set_num_threads(args.threads)
    data = make_inputs(args.seed, args.batch)
    ours: dict[str, Any] = {}
    peer: dict[str, Any] = {}
    rounds: dict[str, list[float]] = {"aug": [], "pre": [], "peer_aug": [], "peer_pre": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inputs.npz"
        np.savez(path, sig=data["sig"], label=data["label"], mask=data["mask"], pre=data["pre"])
        peer_out = Path(tmp) / "peer_pre.npy"
        run_peer_too = True
        if args.no_peer:
            peer, run_peer_too = {"error": "skipped (--no-peer)"}, False
        elif not Path(args.peer_python).exists():
            peer, run_peer_too = {"error": f"peer python not found: {args.peer_python}"}, False
        else:
            marker = Path(args.peer_python).absolute().parent.parent / ".installed"
            if not marker.exists():
                print(f"note: {marker} is missing; the peer environment may still be installing")
        # alternate the two sides, so that a change of machine load hits both alike
        for _ in range(args.rounds):
            ours = run_ours(data, args.repeats)
            for key in ("aug", "pre"):
                if key in ours:
                    rounds[key].append(ours[key])
            if run_peer_too:
                peer = run_peer(args.peer_python, path, args.repeats, args.threads, peer_out)
                if "error" in peer:
                    break
                for key in ("aug", "pre"):
                    if key in peer:
                        rounds["peer_" + key].append(peer[key])
        if peer_out.exists():
            peer["pre_out"] = np.load(peer_out)
    for key in ("aug", "pre"):
        if rounds[key]:
            ours[key] = statistics.median(rounds[key])
        if rounds["peer_" + key]:
            peer[key] = statistics.median(rounds["peer_" + key])
    if args.rounds > 1:
        for key, vals in rounds.items():
            if vals:
                print(
                    f"per-round medians {key}: " + ", ".join(f"{v * 1e3:.1f}" for v in vals) + " ms"
                )

    print(
        f"\ninputs: aug ({args.batch}, 12, 5000) float32; pre (12, 80000) at 200 Hz; "
        f"{args.rounds} alternating rounds x {args.repeats} repeats, medians; "
        f"torch threads {args.threads}"
    )
    if "error" in peer:
        print(f"torch_ecg: {peer['error']}")
    if "aug_clone" in peer:
        print(
            f"(torch_ecg aug time includes {peer['aug_clone'] * 1e3:.1f} ms of input copies, "
            "since it augments in place; ours copies internally)"
        )
    print(f"{'pipeline':<14}{'ecg_signal (ms)':>17}{'torch_ecg (ms)':>16}{'speed-up':>10}")
    for key, title in (("aug", "augmentation"), ("pre", "preprocessing")):
        a, b = ours.get(key), peer.get(key)
        sa = f"{a * 1e3:.1f}" if a is not None else "n/a"
        sb = f"{b * 1e3:.1f}" if b is not None else "n/a"
        ratio = f"{b / a:.2f}x" if a and b else "n/a"
        print(f"{title:<14}{sa:>17}{sb:>16}{ratio:>10}")
    for side, res in (("ecg_signal", ours), ("torch_ecg", peer)):
        if "pre_error" in res:
            print(f"{side} preprocessing unavailable: {res['pre_error']}")

    if "pre_out" in ours:
        ref = scipy_reference(data["pre"], 200, 500, 0.5, 45.0, 4)
        out = ours["pre_out"]
        if out.shape == ref.shape:
            err = float(np.max(np.abs(out - ref)))
            print(
                "ecg_signal preprocessing vs scipy (butter(4) sosfiltfilt 0.5-45 Hz at 200 Hz, "
                f"resample_poly 5/2, z-score per lead): max |diff| = {err:.3g} (z-score units), "
                f"fs out {ours['pre_fs']}"
            )
        else:
            print(f"ecg_signal preprocessing shape {out.shape} != scipy reference {ref.shape}")
        if "pre_out" in peer and peer["pre_out"].shape == out.shape:
            corr = float(np.corrcoef(out.ravel(), peer["pre_out"].ravel())[0, 1])
            print(f"ecg_signal vs torch_ecg preprocessing output correlation: {corr:.6f}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
