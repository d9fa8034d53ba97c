"""ludb case: an end-to-end smoke run on a few sample records, resume, the delineation scores
against hand-derived values, and bad data folders."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ecg_benchmarks.cases.ludb import check_ludb_folder, delineation_scores
from ecg_benchmarks.cli import main

RunCheck = Callable[..., dict[str, Any]]  # the check_run_files fixture (conftest.py)


def _small_copy(sample_data: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ludb" / "data"
    dst.mkdir(parents=True)
    # record 7 is left out: its lead v1 has a QRS without '(' onset, which the reader rejects
    for rec in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11):
        for f in (sample_data / "ludb" / "data").glob(f"{rec}.*"):
            shutil.copy(f, dst / f.name)
    return dst.parent


@pytest.mark.data
def test_smoke_run_then_resume(
    sample_data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    check_run_files: RunCheck,
) -> None:
    data = _small_copy(sample_data, tmp_path)
    out = tmp_path / "run"
    argv = ["run", "ludb", "--data-dir", str(data), "--out", str(out), "--epochs", "1"]
    argv += ["--set", "data.leads=ii,v1", "--set", "data.fs=100", "--no-progress"]
    assert main(argv) == 0, capsys.readouterr().err
    metrics = check_run_files(out, "per_boundary.png")
    assert math.isfinite(metrics["mean_boundary_f1"]) and 0 <= metrics["mean_boundary_f1"] <= 1
    assert set(metrics["f1_per_boundary"]) == {
        f"{w} {b}" for w in ("P", "QRS", "T") for b in ("onset", "offset")
    }
    assert "ludb: mean boundary F1" in capsys.readouterr().out
    assert main(["run", "ludb", "--resume", str(out), "--epochs", "2", "--no-progress"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 2


def _mask(n: int, spans: list[tuple[int, int, int]]) -> np.ndarray:
    m = np.zeros(n, dtype=np.int64)
    for a, b, code in spans:
        m[a : b + 1] = code
    return m


def test_delineation_scores_hand_derived() -> None:
    fs = 100.0  # 150 ms tolerance = 15 samples
    true = _mask(400, [(100, 110, 1), (130, 140, 2), (170, 200, 3), (300, 310, 2)])
    perfect = delineation_scores([true], [true.copy()], fs)
    assert perfect["mean_boundary_f1"] == pytest.approx(1.0)
    # QRS onset shifted by +5 samples (50 ms); one extra QRS far outside the annotated span
    # (ignored); P missing entirely
    pred = _mask(400, [(135, 140, 2), (170, 200, 3), (300, 310, 2), (380, 390, 2)])
    res = delineation_scores([true], [pred], fs)
    assert res["qrs_onset_mean_error_ms"] == pytest.approx(25.0)  # errors 50 and 0 ms
    assert res["qrs_onset_f1"] == pytest.approx(1.0)
    assert res["p_onset_f1"] == 0.0 and res["p_offset_sensitivity"] == 0.0
    assert res["t_offset_f1"] == pytest.approx(1.0)
    assert res["mean_boundary_f1"] == pytest.approx(4 / 6)
    # an extra QRS inside the annotated span is a false positive: PPV 2/3
    pred2 = _mask(400, [(100, 110, 1), (130, 140, 2), (170, 200, 3), (250, 255, 2), (300, 310, 2)])
    res2 = delineation_scores([true], [pred2], fs)
    assert res2["qrs_onset_ppv"] == pytest.approx(2 / 3)
    assert res2["qrs_onset_f1"] == pytest.approx(0.8)


def test_bad_data_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = tmp_path / "wrong"
    (wrong / "data").mkdir(parents=True)
    (wrong / "data" / "1.hea").write_text("1 1 500 5000\n1.dat 16 1 16 0 0 0 0 i\n")
    assert check_ludb_folder(wrong) is not None
    assert main(["run", "ludb", "--data-dir", str(wrong), "--out", str(tmp_path / "o")]) == 2
    assert "is not a LUDB folder: no record has per-lead wave annotations" in (
        capsys.readouterr().err
    )
    assert main(["run", "ludb", "--set", "model.down_scales=2,2"]) == 2
    assert "model.down_scales" in capsys.readouterr().err
