"""cpsc2019 case: export of a run as the pretrained QRS detector, the examples figure and the
NSTDB scoring."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir

if TYPE_CHECKING:
    from ecg_benchmarks.cases.cpsc2019 import CPSC2019Settings, IntArray, TestRecord

__all__ = ["export_pretrained", "git_commit", "plot_examples", "score_nstdb"]


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parent,
        )  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def export_pretrained(s: CPSC2019Settings, run: RunDir, metrics: dict[str, Any]) -> Path:
    """Write the run's model as the pretrained detector ``s.export_pretrained`` with its card."""
    from ecg_benchmarks.cases.cpsc2019 import detector_config, split_text
    from ecg_models import TaskModel
    from ecg_models.pretrained import save_pretrained

    model = TaskModel.from_checkpoint(run.checkpoints / "model.safetensors")
    n_test = metrics.get("n_test_records")
    scores = {
        f"cpsc2019 QRS score, {n_test} held-out records, {split_text(s)}, network": metrics[
            "qrs_score"
        ],
        f"cpsc2019 QRS score, {n_test} held-out records, hybrid": metrics["hybrid_qrs_score"],
    }
    nst = metrics.get("nstdb")
    if isinstance(nst, dict):
        for rec, row in nst.items():
            scores[f"nstdb {rec} F1 at 150 ms (lead 0, from minute 5), network"] = row["network"]
    used = metrics.get("extra_recordings", {})
    return save_pretrained(
        model,
        s.export_pretrained,
        task="qrs_detection",
        summary="R-peak detector: ECG_SEQ_LAB_NET over overlapping windows, any single lead at 100-2000 Hz",
        training_data=(
            f"CPSC2019 ({metrics.get('n_train_records')} records of the case's split, "
            f"{split_text(s)}) "
            f"and windows of {sorted(used)}; NSTDB never"
        ),
        scores=scores,
        provenance={
            "command": "ecg-bench " + " ".join(sys.argv[1:])
            if sys.argv[1:2] == ["run"]
            else f"ecg-bench run cpsc2019 --seed {s.seed}",
            "data": {
                "cpsc2019": metrics.get("data_source"),
                "extra_recordings": used,
                "test_records": metrics.get("test_records"),
            },
            "seed": s.seed,
            "commit": git_commit(),
            "run": str(run.path),
            "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        config=detector_config(s),
    )


def plot_examples(run: RunDir, recs: list[TestRecord], preds: list[IntArray]) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    k = min(4, len(recs))
    if k == 0:
        return
    fig, axes = plt.subplots(k, 1, figsize=(12, 2.2 * k), squeeze=False, constrained_layout=True)
    for row in range(k):
        ax = axes[row][0]
        r = recs[row]
        t = np.arange(len(r.signal)) / r.fs
        ax.plot(t, r.signal, lw=0.7, color="k")
        ax.plot(r.rpeaks / r.fs, r.signal[r.rpeaks], "go", ms=6, mfc="none", label="reference R")
        if len(preds[row]):
            p = np.clip(preds[row], 0, len(r.signal) - 1)
            ax.plot(p / r.fs, r.signal[p], "rx", ms=6, label="predicted R")
        ax.set_title(f"record {r.name}", fontsize=9)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("mV")
        ax.legend(fontsize=7, loc="upper right")
    fig.savefig(
        add_figure(run, "examples.png", "Held-out records: reference and predicted R peaks"), dpi=90
    )
    plt.close(fig)


def score_nstdb(
    detect: Callable[[npt.NDArray[np.float64], float], tuple[IntArray, IntArray, IntArray]],
) -> dict[str, Any] | None:
    """F1 per NSTDB record of the sample data (lead 0, 150 ms, from minute 5) for the network,
    hybrid and classic R peaks that ``detect(signal, fs)`` returns, and overall (pooled beats);
    None without NSTDB. NSTDB is a test set: this only scores."""
    from ecg_benchmarks.cases._qrs import gross_f1, score_long_record
    from ecg_benchmarks.paths import sample_data_dir

    path = sample_data_dir("nstdb")
    if path is None or not path.is_dir():
        return None
    from ecg_data import NSTDB

    reader = NSTDB(path)
    out: dict[str, Any] = {}
    rows: dict[str, list[dict[str, float]]] = {"network": [], "hybrid": [], "classic": []}
    for rec in reader.all_records:
        sig = reader.load_data(rec, leads=[0])[0].astype(np.float64)
        ann = reader.load_ann(rec)
        fs = float(ann.fs)
        ref = np.asarray(ann.beat_samples, dtype=np.int64)
        got = dict(zip(rows, detect(sig, fs), strict=True))
        scored = {k: score_long_record(ref, p, fs) for k, p in got.items()}
        snr = reader.snr_db(rec)
        out[rec] = {"snr_db": None if snr is None else float(snr)}
        for k, row in scored.items():
            out[rec][k] = row["f1"]
            rows[k].append(row)
    out["overall"] = {k: gross_f1(v) for k, v in rows.items()}
    return out
