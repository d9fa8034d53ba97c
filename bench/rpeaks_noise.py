"""Noise robustness of the R-peak detectors on the MIT-BIH Noise Stress Test records (NSTDB).

Each NSTDB record (119e24 ... 119e_6: record 119 with electrode-motion noise at 24 to -6 dB SNR)
is scored beat by beat on lead 0 against its reference beats (the AAMI beat classes of the
``.atr``), F1 at 150 ms from minute 5 on (the learning period of ANSI/AAMI EC57, as WFDB's
``bxb``), for:

* the pretrained network (``ecg_models.pretrained.load_pretrained("qrs")``, or the model of a
  finished ``ecg-bench run cpsc2019`` folder with ``--run``) and its hybrid with the classic
  detector (the cpsc2019 case's rule);
* ecg-signal's classic detector (``ecgsuite``) and WFDB's ``xqrs`` (NSTDB only);
* neurokit2's default (``nk.ecg_peaks(nk.ecg_clean(x))``) in the peer environment
  (``--peer-python``, default ``.venv-peer/bin/python`` when it exists).

``overall`` pools the beats of the six records (EC57's gross F1). A second table scores the
classic detectors on the QTDB records with reference beats (lead 0, same rule): records the
classic detector was not tuned on. NSTDB is a test set: nothing here trains or tunes.

Usage:
    .venv/bin/python bench/rpeaks_noise.py [--peer-python .venv-peer/bin/python] [--run DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from _peer import require_peer

ROOT = Path(__file__).resolve().parents[1]

_PEER_CODE = r"""
import json, sys
import numpy as np
import neurokit2 as nk
data = np.load(sys.argv[1])
out = {}
for key in data.files:
    if key.startswith("fs_"):
        continue
    fs = float(data["fs_" + key])
    try:
        _, info = nk.ecg_peaks(nk.ecg_clean(data[key], sampling_rate=fs), sampling_rate=fs)
        out[key] = np.asarray(info["ECG_R_Peaks"], dtype=int).tolist()
    except Exception:
        out[key] = []
json.dump(out, open(sys.argv[2], "w"))
"""


def _peer(peer: str, signals: dict[str, tuple[np.ndarray, float]]) -> dict[str, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "in.npz"
        arrays: dict[str, Any] = {}
        for k, (x, fs) in signals.items():
            arrays[k] = x
            arrays["fs_" + k] = np.array(fs)
        np.savez(npz, **arrays)
        out = Path(tmp) / "out.json"
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        proc = subprocess.run(
            [peer, "-c", _PEER_CODE, str(npz), str(out)],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            print(f"peer run failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            return {}
        return {k: np.asarray(v, dtype=np.int64) for k, v in json.loads(out.read_text()).items()}


def _network(run: str | None) -> tuple[Any, Any, Any, str]:
    from ecg_benchmarks.cases.cpsc2019 import CPSC2019Case

    case = CPSC2019Case()
    if run is None:
        settings, det = case.load_pretrained("qrs")
        return case, settings, det, "pretrained qrs"
    from ecg_benchmarks.runs import RunDir
    from ecg_benchmarks.settings import apply_overrides, load_toml

    rd = RunDir(Path(run))
    settings = case.default_settings()
    apply_overrides(settings, load_toml(rd.config))
    return case, settings, case.detector(settings, case.load_model(settings, rd)), f"run {run}"


def main(argv: list[str] | None = None) -> int:
    from ecg_benchmarks.cases._qrs import gross_f1, score_long_record
    from ecg_data import NSTDB, QTDB
    from ecg_signal.rpeaks import detect_rpeaks

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    default_peer = ROOT / ".venv-peer" / "bin" / "python"
    p.add_argument("--peer-python", default=str(default_peer) if default_peer.exists() else None)
    p.add_argument("--data", default=os.environ.get("ECG_SAMPLE_DATA", "/work/shared/data"))
    p.add_argument("--run", help="a finished ecg-bench run cpsc2019 folder (default: pretrained)")
    p.add_argument("--no-qtdb", action="store_true", help="skip the QTDB table")
    p.add_argument("--json", help="also write the tables to this JSON file")
    p.add_argument(
        "--methods", default="network,hybrid,ecgsuite,xqrs,nk2-neurokit", help="subset to run"
    )
    args = p.parse_args(argv)

    methods = args.methods.split(",")
    net = "network" in methods or "hybrid" in methods
    args.peer_python = require_peer(args.peer_python, script="rpeaks_noise.py")

    case, settings, det, which = _network(args.run) if net else (None, None, None, "not run")
    data = Path(args.data)
    nst = NSTDB(data / "nstdb")
    signals: dict[str, tuple[np.ndarray, float]] = {}
    refs: dict[str, np.ndarray] = {}
    for rec in nst.all_records:
        ann = nst.load_ann(rec)
        signals["nstdb_" + rec] = (
            nst.load_data(rec, leads=[0])[0].astype(np.float64),
            float(ann.fs),
        )
        refs["nstdb_" + rec] = np.asarray(ann.beat_samples, dtype=np.int64)
    if not args.no_qtdb:
        qt = QTDB(data / "qtdb")
        for rec in qt.all_records:
            ann = qt.load_ann(rec)
            if ann.beats is None:
                continue
            signals["qtdb_" + rec] = (
                qt.load_data(rec, leads=[0])[0].astype(np.float64),
                float(ann.beats.fs),
            )
            refs["qtdb_" + rec] = np.asarray(ann.beats.beat_samples, dtype=np.int64)
    use_peer = args.peer_python and "nk2-neurokit" in methods
    peer = _peer(args.peer_python, signals) if use_peer else {}
    rows: dict[str, dict[str, dict[str, float]]] = {}
    for key, (x, fs) in signals.items():
        got: dict[str, np.ndarray] = {}
        if key.startswith("nstdb_") and net:
            got["network"], got["hybrid"], got["ecgsuite"] = case._three(settings, det, x, fs)
        elif "ecgsuite" in methods:
            got["ecgsuite"] = detect_rpeaks(x, fs)
        if "xqrs" in methods and key.startswith("nstdb_"):  # xqrs: NSTDB only (slow)
            got["xqrs"] = detect_rpeaks(x, fs, method="xqrs")
        if key in peer:
            got["nk2-neurokit"] = peer[key]
        rows[key] = {m: score_long_record(refs[key], v, fs) for m, v in got.items()}
        print(f"done {key}", file=sys.stderr)

    print(f"NSTDB, lead 0, F1 at 150 ms from minute 5 (network: {which})\n")
    print("| record | SNR (dB) | " + " | ".join(methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    nkeys = [k for k in rows if k.startswith("nstdb_")]
    for k in nkeys:
        snr = nst.snr_db(k[6:])
        cells = [f"{rows[k][m]['f1']:.4f}" if m in rows[k] else "-" for m in methods]
        print(f"| {k[6:]} | {snr:g} | " + " | ".join(cells) + " |")
    overall = {m: gross_f1([rows[k][m] for k in nkeys if m in rows[k]]) for m in methods}
    print("| overall | | " + " | ".join(f"{overall[m]:.4f}" for m in methods) + " |")
    result: dict[str, Any] = {"nstdb": {k: rows[k] for k in nkeys}, "nstdb_overall": overall}
    qkeys = [k for k in rows if k.startswith("qtdb_")]
    if qkeys:
        classic = [m for m in ("ecgsuite", "nk2-neurokit") if m in methods]
        qt_overall = {m: gross_f1([rows[k][m] for k in qkeys if m in rows[k]]) for m in classic}
        print(
            f"\nQTDB ({len(qkeys)} records with reference beats), lead 0, F1 at 150 ms from minute 5\n"
        )
        print("| | " + " | ".join(classic) + " |")
        print("|---|" + "---|" * len(classic))
        print("| overall | " + " | ".join(f"{qt_overall[m]:.4f}" for m in classic) + " |")
        result["qtdb_overall"] = qt_overall
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
