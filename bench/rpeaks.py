"""Benchmark the R-peak detectors of ecg_signal.rpeaks (and neurokit2's, when a peer env has it).

Every method of ``ecg_signal.rpeaks.list_methods()`` runs on the same inputs:

* MIT-BIH record 100 (lead 0, MLII, 360 Hz, 30 min) against its beat annotations (wfdb's
  beat-code set ``NLRBAaJSVrFejnE/fQ?``): Se, PPV, F1 at 50 ms and 150 ms (wfdb matching rule);
* the CPSC2019 sample records (500 Hz, 10 s): the official CPSC2019 QRS score;
* speed: samples per second on mitdb 100 on ONE pinned core (best of ``--repeats`` for methods
  that take under a second, one run otherwise), per wall second and per CPU second, and the
  wall ratio to ``ecgsuite``; the load averages before and after are printed (on a shared
  machine wall time grows with the load, CPU time much less);
* the pretrained network detector of ecg-models (``load_pretrained("qrs")``, row
  ``pretrained-qrs``; skip with ``--no-pretrained``; ``--checkpoint`` runs another trained
  model, e.g. a cpsc2019 run's ``checkpoints/model.safetensors``, with the shipped detector
  settings): it was trained on 30 of the 40 CPSC2019 sample records (the cpsc2019 case's split),
  so its CPSC2019 column is not a held-out score, and one thread (``torch.set_num_threads(1)``);
* a Holter-length input (``--holter-hours``, default 24; 0 skips): record 100 repeated to that
  length, timed once for the pretrained detector and ``ecgsuite`` (wall and CPU seconds,
  samples/s, the growth of the peak resident memory over the input's size: exact for the
  first run, a lower bound for the second).

neurokit2 (its default ``neurokit`` method and ``pantompkins1985``) runs in a subprocess with
``--peer-python`` (default ``.venv-peer/bin/python`` when it exists) on the same arrays, saved
to a temporary ``.npz``; the peer env is not required. Nothing is installed.

Usage:
    .venv/bin/python bench/rpeaks.py [--peer-python .venv-peer/bin/python] [--methods a,b]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _peer import require_peer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packages" / "ecg-signal" / "src"))
sys.path.insert(0, str(ROOT / "packages" / "ecg-models" / "src"))

from ecg_signal.rpeaks.api import detect_rpeaks, list_methods  # noqa: E402
from ecg_signal.rpeaks.compare import compare, cpsc2019_score  # noqa: E402

BEAT_SYMBOLS = set("NLRBAaJSVrFejnE/fQ?")

_PEER_CODE = r"""
import json, sys, time
import numpy as np
import neurokit2 as nk
data = np.load(sys.argv[1])
out = {}
for method in ("neurokit", "pantompkins1985"):
    res = {"mitdb": None, "cpsc": [], "seconds": None}
    x = data["mitdb"]
    best = best_cpu = float("inf")
    for _ in range(int(sys.argv[3])):
        t0, c0 = time.perf_counter(), time.process_time()
        _, info = nk.ecg_peaks(nk.ecg_clean(x, sampling_rate=360, method=method),
                               sampling_rate=360, method=method)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    res["mitdb"] = np.asarray(info["ECG_R_Peaks"], dtype=int).tolist()
    res["seconds"] = best
    res["cpu_seconds"] = best_cpu
    for k in range(int(data["n_cpsc"])):
        e = data[f"cpsc{k}"]
        try:
            _, info = nk.ecg_peaks(nk.ecg_clean(e, sampling_rate=500, method=method),
                                   sampling_rate=500, method=method)
            res["cpsc"].append(np.asarray(info["ECG_R_Peaks"], dtype=int).tolist())
        except Exception:
            res["cpsc"].append([])
    out["nk2-" + method] = res
json.dump(out, open(sys.argv[2], "w"))
"""


def _load(data: Path) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    import scipy.io as sio
    import wfdb

    rec = str(data / "mitdb" / "100")
    sig, _ = wfdb.rdsamp(rec, channels=[0])
    ann = wfdb.rdann(rec, "atr")
    ref = np.array([s for s, c in zip(ann.sample, ann.symbol) if c in BEAT_SYMBOLS])
    xs, refs = [], []
    for f in sorted((data / "cpsc2019" / "data").glob("data_*.mat")):
        xs.append(sio.loadmat(str(f))["ecg"].ravel().astype(np.float64))
        r = sio.loadmat(str(data / "cpsc2019" / "ref" / f.name.replace("data_", "R_")))
        refs.append(r["R_peak"].ravel().astype(np.int64))
    return sig[:, 0].astype(np.float64), ref, xs, refs


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, float, float]:
    """``fn()``, its best wall and best CPU seconds over ``repeats`` runs (one run when it
    takes a second or more)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    best, best_cpu = time.perf_counter() - t0, time.process_time() - c0
    if best < 1.0:
        for _ in range(repeats - 1):
            t0, c0 = time.perf_counter(), time.process_time()
            out = fn()
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
    return out, best, best_cpu


def _row(
    name: str, ref: np.ndarray, pred: np.ndarray, cp_refs: list[np.ndarray],
    cp_preds: list[np.ndarray], seconds: float, n: int, cpu_seconds: float,
) -> dict[str, Any]:  # fmt: skip
    c50 = compare(ref, pred, 360.0, 0.05)
    c150 = compare(ref, pred, 360.0, 0.15)
    return {
        "method": name,
        "se": c150.sensitivity,
        "ppv": c150.ppv,
        "f1_50": c50.f1,
        "f1_150": c150.f1,
        "cpsc2019": cpsc2019_score(cp_refs, cp_preds, 500.0),
        "msps": n / seconds / 1e6,
        "cpu_msps": n / max(cpu_seconds, 1e-9) / 1e6,
    }


def _peer(
    peer: str, x: np.ndarray, xs: list[np.ndarray], repeats: int
) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "in.npz"
        arrays = {"mitdb": x, "n_cpsc": np.array(len(xs))}
        arrays.update({f"cpsc{k}": e for k, e in enumerate(xs)})
        np.savez(npz, **arrays)  # type: ignore[arg-type]
        out = Path(tmp) / "out.json"
        cmd = [peer, "-c", _PEER_CODE, str(npz), str(out), str(repeats)]
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            print(f"peer run failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            return {}
        result: dict[str, dict[str, Any]] = json.loads(out.read_text())
        return result


def _pretrained(checkpoint: str | None) -> Any:
    """The shipped detector (one torch thread), or its settings around ``checkpoint``."""
    import torch

    from ecg_models.pretrained import load_pretrained

    torch.set_num_threads(1)
    det = load_pretrained("qrs")
    if checkpoint:
        from ecg_models.models._base import TaskModel
        from ecg_models.pretrained._registry import list_pretrained
        from ecg_models.pretrained.qrs import QRSDetector

        info = next(i for i in list_pretrained() if i.name == "qrs")
        det = QRSDetector(TaskModel.from_checkpoint(checkpoint), **dict(info.config))
    return det


def _load_average() -> str:
    """The 1, 5 and 15 min load averages (the machine may be shared: timings vary with it)."""
    if not hasattr(os, "getloadavg"):  # pragma: no cover - not on Unix
        return "n/a"
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _holter(x: np.ndarray, hours: float, det: Any) -> dict[str, Any]:
    """Time ``ecgsuite`` and ``det`` once on ``x`` (360 Hz) repeated to ``hours``."""
    import resource

    reps = max(1, round(hours * 3600 * 360 / x.size))
    long = np.tile(x, reps)
    out: dict[str, Any] = {"samples": long.size, "hours": long.size / 360 / 3600}
    runs: list[tuple[str, Callable[[], Any]]] = []
    if det is not None:
        det(x[:36000], 360.0)  # warm-up outside the timing
        runs.append(("pretrained-qrs", lambda: det(long, 360.0)))
    runs.append(("ecgsuite", lambda: detect_rpeaks(long, 360.0, method="ecgsuite")))
    print(f"\nHolter-length input: record 100 x {reps} = {out['hours']:.2f} h, {long.size} samples")
    print(
        "| method | seconds | CPU seconds | M samples/s | M samples/CPU s "
        "| peak RSS growth over the input |"
    )
    print("|---|---|---|---|---|---|")
    for k, (name, fn) in enumerate(runs):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0, c0 = time.perf_counter(), time.process_time()
        peaks = fn()
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        # the peak RSS only grows: the first run's growth is its own, later ones a lower bound
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        mem = f"{grown:.0f} MB" if k == 0 else f">= {grown:.0f} MB"
        out[name] = {"seconds": secs, "cpu_seconds": cpu, "peaks": int(len(peaks))}
        rate, cpu_rate = long.size / secs / 1e6, long.size / max(cpu, 1e-9) / 1e6
        print(f"| {name} | {secs:.2f} | {cpu:.2f} | {rate:.2f} | {cpu_rate:.2f} | {mem} |")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    default_peer = ROOT / ".venv-peer" / "bin" / "python"
    p.add_argument("--peer-python", default=str(default_peer) if default_peer.exists() else None)
    p.add_argument("--data", default=os.environ.get("ECG_SAMPLE_DATA", "/work/shared/data"))
    p.add_argument("--methods", default=",".join(list_methods()))
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--no-pin", action="store_true", help="do not pin the process to one core")
    p.add_argument("--json", help="also write the rows to this JSON file")
    p.add_argument("--no-pretrained", action="store_true", help="skip the pretrained network")
    p.add_argument("--checkpoint", help="a TaskModel checkpoint to run as the pretrained detector")
    p.add_argument("--holter-hours", type=float, default=24.0, help="0: no Holter-length timing")
    args = p.parse_args(argv)
    args.peer_python = require_peer(args.peer_python, script="rpeaks.py")

    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})  # the peer subprocess inherits the pinning
    x, ref, xs, refs = _load(Path(args.data))
    load0 = _load_average()
    rows = []
    for m in args.methods.split(","):

        def run(m: str = m) -> Any:
            return detect_rpeaks(x, 360.0, method=m)

        pred, secs, cpu_s = _timed(run, args.repeats)
        preds = []
        for k, e in enumerate(xs):
            try:
                preds.append(detect_rpeaks(e, 500.0, method=m))
            except RuntimeError as exc:  # a library failure counts as no detection
                print(f"{m} failed on CPSC2019 record {k}: {exc}", file=sys.stderr)
                preds.append(np.zeros(0, dtype=np.int64))
        rows.append(_row(m, ref, pred, refs, preds, secs, x.size, cpu_s))
        print(f"done {m}", file=sys.stderr)
    det: Any = None
    if not args.no_pretrained:
        det = _pretrained(args.checkpoint)
        det(x[:36000], 360.0)  # warm-up outside the timing
        pred, secs, cpu_s = _timed(lambda: det(x, 360.0), args.repeats)
        preds = [det(e, 500.0) for e in xs]
        rows.append(_row("pretrained-qrs", ref, pred, refs, preds, secs, x.size, cpu_s))
        print("done pretrained-qrs", file=sys.stderr)
    if args.peer_python:
        for name, res in _peer(args.peer_python, x, xs, args.repeats).items():
            preds = [np.asarray(c, dtype=np.int64) for c in res["cpsc"]]
            pred = np.asarray(res["mitdb"], dtype=np.int64)
            cpu_s = float(res.get("cpu_seconds", res["seconds"]))
            rows.append(_row(name, ref, pred, refs, preds, res["seconds"], x.size, cpu_s))
    ours = next((r["msps"] for r in rows if r["method"] == "ecgsuite"), float("nan"))
    nk2 = next((r["msps"] for r in rows if r["method"] == "nk2-neurokit"), float("nan"))
    print(f"load average before the timings: {load0}, after: {_load_average()}")
    print(
        "| method | Se | PPV | F1@50ms | F1@150ms | CPSC2019 | M samples/s | M samples/CPU s "
        "| speed vs ecgsuite | speed vs nk2-neurokit |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['method']} | {r['se'] * 100:.2f}% | {r['ppv'] * 100:.2f}% | "
            f"{r['f1_50'] * 100:.2f}% | {r['f1_150'] * 100:.2f}% | {r['cpsc2019']:.3f} | "
            f"{r['msps']:.2f} | {r['cpu_msps']:.2f} | {r['msps'] / ours:.3f} | "
            f"{r['msps'] / nk2:.3f} |"
        )
    if args.holter_hours > 0:
        rows.append({"holter": _holter(x, args.holter_hours, det)})
        print(f"load average after the Holter timings: {_load_average()}")
    rows.append({"load_average": {"before": load0, "after": _load_average()}})
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
