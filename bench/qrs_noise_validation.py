"""Noise-aware validation of a cpsc2019 run's QRS network on CPSC2021 (never NSTDB).

The validation set on which the cpsc2019 recipe's noise-related choices are made: the CPSC2021
records of the sample data (2 leads, 200 Hz, every beat annotated), each lead cut into 60-s
chunks, clean and with coloured noise of ecg-signal (:mod:`ecg_signal.augment.coloured_noise`,
a seeded random mix of motion, muscle, baseline and bursts per chunk) added at 24, 18, 12, 6, 0
and -6 dB. Beats are matched at 150 ms (Se, PPV and F1 pooled per SNR); ``overall`` pools the
noisy chunks, ``>=6 dB`` is the mean F1 at 24 to 6 dB.

The run must have been trained without CPSC2021: ``ecg-bench run cpsc2019 --set
'data.extra_databases=["qtdb","ludb","mitdb","cinc2021","cpsc2018"]' --set detect.nstdb=false``.
The post-processing threshold can be swept (``--thresholds``) on the same probabilities.
NSTDB (a test set) is scored by ``bench/rpeaks_noise.py`` once a recipe is chosen.

Usage:
    .venv/bin/python bench/qrs_noise_validation.py RUN [--thresholds 0.3,0.5] [--classic]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

SNRS: tuple[float | None, ...] = (None, 24.0, 18.0, 12.0, 6.0, 0.0, -6.0)
CHUNK_S = 60.0


def chunks(root: Path) -> Iterator[tuple[str, np.ndarray, float, np.ndarray]]:
    """``(snr, signal, fs, reference beats)`` of every 60-s chunk of every lead and SNR."""
    from ecg_data import CPSC2021
    from ecg_signal.augment.coloured_noise import NOISE_KINDS, add_noise_at_snr

    reader = CPSC2021(root)
    for ri, rec in enumerate(reader.all_records):
        ann = reader.load_ann(rec)
        fs = float(ann.fs)
        data = reader.load_data(rec).astype(np.float64)
        n_s = round(CHUNK_S * fs)
        n = data.shape[-1] // n_s
        beats = np.asarray(ann.beat_samples, dtype=np.int64)
        refs = [beats[(beats >= c * n_s) & (beats < (c + 1) * n_s)] - c * n_s for c in range(n)]
        for lead in range(data.shape[0]):
            x = torch.from_numpy(data[lead, : n * n_s].reshape(n, 1, n_s).copy())
            for si, snr in enumerate(SNRS):
                noisy = x
                if snr is not None:
                    gen = torch.Generator().manual_seed(1000 * ri + 10 * lead + si)
                    noisy = add_noise_at_snr(x, fs, 1.0, snr, snr, gen, NOISE_KINDS)
                for c in range(n):
                    yield str(snr), noisy[c, 0].numpy(), fs, refs[c]


def _table(counts: dict[str, list[int]]) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    for snr, (tp, fp, fn) in counts.items():
        rows[snr] = {
            "se": tp / max(1, tp + fn),
            "ppv": tp / max(1, tp + fp),
            "f1": 2 * tp / max(1, 2 * tp + fp + fn),
        }
    noisy = [k for k in counts if k != "None"]
    tp = sum(counts[k][0] for k in noisy)
    bad = sum(counts[k][1] + counts[k][2] for k in noisy)
    rows["overall"] = {"f1": 2 * tp / max(1, 2 * tp + bad)}
    rows[">=6 dB"] = {
        "f1": float(np.mean([rows[k]["f1"] for k in ("24.0", "18.0", "12.0", "6.0")]))
    }
    return rows


def main(argv: list[str] | None = None) -> int:
    from ecg_benchmarks.cases.cpsc2019 import CPSC2019Case
    from ecg_benchmarks.runs import RunDir
    from ecg_benchmarks.settings import apply_overrides, load_toml
    from ecg_signal.rpeaks import compare, detect_rpeaks

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("run", help="a finished ecg-bench run cpsc2019 folder trained without cpsc2021")
    p.add_argument("--data", default=os.environ.get("ECG_SAMPLE_DATA", "/work/shared/data"))
    p.add_argument("--thresholds", default="", help="comma list (default: the run's threshold)")
    p.add_argument("--classic", action="store_true", help="also score ecg-signal's detector")
    p.add_argument("--json", help="also write the tables to this JSON file")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    case = CPSC2019Case()
    rd = RunDir(Path(args.run))
    s = case.default_settings()
    apply_overrides(s, load_toml(rd.config))
    if "cpsc2021" in s.data.extra_databases:
        p.error(f"{args.run} was trained on cpsc2021 (data.extra_databases): not a validation")
    det = case.detector(s, case.load_model(s, rd))
    ths = [float(t) for t in args.thresholds.split(",")] if args.thresholds else [det.threshold]
    counts: dict[str, dict[str, list[int]]] = {}
    for snr, sig, fs, ref in chunks(Path(args.data) / "cpsc2021"):
        x = det.filtered(sig, fs)
        prob = det.probabilities(x)
        found = {
            f"network {th:g}": det.to_input_rate(
                det.peaks_from_probabilities(prob, x, th), fs, len(sig)
            )
            for th in ths
        }
        if args.classic:
            found["classic"] = detect_rpeaks(sig, fs)
        for key, pred in found.items():
            c = compare(ref, pred, fs, 0.15)
            t = counts.setdefault(key, {}).setdefault(snr, [0, 0, 0])
            t[0], t[1], t[2] = t[0] + c.tp, t[1] + c.fp, t[2] + c.fn
    result: dict[str, Any] = {key: _table(v) for key, v in counts.items()}
    print(f"CPSC2021 (15 records x 2 leads, 60-s chunks) + coloured noise; run {args.run}\n")
    cols = ["clean", "24", "18", "12", "6", "0", "-6"]
    print("| detector | " + " | ".join(f"{c} dB" if c != "clean" else c for c in cols)
          + " | overall | >=6 dB |")  # fmt: skip
    print("|---|" + "---|" * (len(cols) + 2))
    for key, rows in result.items():
        cells = [
            f"{r['f1']:.3f} ({r['ppv']:.3f}/{r['se']:.3f})" for k, r in rows.items() if "se" in r
        ]
        print(f"| {key} | " + " | ".join(cells)
              + f" | {rows['overall']['f1']:.4f} | {rows['>=6 dB']['f1']:.4f} |")  # fmt: skip
    print("\ncells: F1 (PPV/Se) at 150 ms", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
