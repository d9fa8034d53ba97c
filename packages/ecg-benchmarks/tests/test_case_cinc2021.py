"""cinc2021 / cinc2020 cases: end-to-end smoke runs on a few sample records, resume, the
challenge scorer against the official metric, and bad data folders."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ecg_benchmarks.base import BenchmarkError
from ecg_benchmarks.cases.cinc2021 import challenge_scorer, check_cinc_folder
from ecg_benchmarks.cli import main

RunCheck = Callable[..., dict[str, Any]]  # the check_run_files fixture (conftest.py)

FAST = [
    "--set",
    "data.duration_s=4",
    "--set",
    "data.fs=125",
    "--set",
    "model.width=8",
    "--set",
    "train.batch_size=4",
    "--set",
    "data.lazy=false",
    "--no-progress",
]


def _small_copy(sample_data: Path, tmp_path: Path, n: int = 12) -> Path:
    dst = tmp_path / "cinc"
    dst.mkdir()
    for hea in sorted((sample_data / "cinc2021").glob("*.hea"))[:n]:
        shutil.copy(hea, dst / hea.name)
        shutil.copy(hea.with_suffix(".mat"), dst / hea.with_suffix(".mat").name)
    return dst


def _check_run(check_run_files: RunCheck, out: Path, metric: str) -> dict[str, Any]:
    metrics = check_run_files(out, "per_class.png", "confusion.png")
    assert list((out / "logs").glob("events.out.tfevents.*")), "no TensorBoard log"
    assert math.isfinite(metrics[metric])
    assert -10.0 < metrics[metric] <= 1.0
    report = (out / "report.md").read_text()
    assert metric in report and "examples.png" in report
    return metrics


@pytest.mark.data
@pytest.mark.parametrize(("name", "leads"), [("cinc2021", 2), ("cinc2020", 12)])
def test_smoke_run_then_resume(
    name: str,
    leads: int,
    sample_data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    check_run_files: RunCheck,
) -> None:
    data = _small_copy(sample_data, tmp_path)
    out = tmp_path / "run"
    argv = ["run", name, "--data-dir", str(data), "--out", str(out), "--epochs", "1"]
    argv += [*FAST, "--set", f"data.leads={leads}"]
    assert main(argv) == 0, capsys.readouterr().err
    first = _check_run(check_run_files, out, "challenge_metric")
    assert first["n_leads"] == leads and first["epochs_run"] == 1
    assert f"{name}: challenge_metric" in capsys.readouterr().out
    # resume: continue the finished 1-epoch run to 2 epochs, from its checkpoint
    assert main(["run", name, "--resume", str(out), "--epochs", "2", "--no-progress"]) == 0
    second = _check_run(check_run_files, out, "challenge_metric")
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert second["epochs_run"] == 2
    steps = [
        line.split(",")[2]
        for line in (out / "logs" / "metrics.csv").read_text().splitlines()
        if ",train," in line and line.endswith(tuple("0123456789")) and ",loss," in line
    ]
    # the second run continued the step count instead of starting over at step 1
    assert len(steps) == len(set(steps)), steps
    # evaluate on another folder of the database (every record of it), then predict a record
    other = tmp_path / "other"
    other.mkdir()
    for hea in sorted((sample_data / "cinc2021").glob("*.hea"))[12:18]:
        shutil.copy(hea, other / hea.name)
        shutil.copy(hea.with_suffix(".mat"), other / hea.with_suffix(".mat").name)
    scores = tmp_path / "scores.json"
    assert main(["evaluate", str(out), "--data-dir", str(other), "--out", str(scores)]) == 0
    evaluated = json.loads(scores.read_text())
    assert evaluated["n_test"] == 6 and math.isfinite(evaluated["challenge_metric"])
    assert f"{name}: challenge_metric" in capsys.readouterr().out
    record = sorted(other.glob("*.hea"))[0].with_suffix("")
    preds = tmp_path / "preds"
    assert main(["predict", str(out), str(record), "--out", str(preds)]) == 0
    rows = (preds / f"{record.name}_classes.csv").read_text().splitlines()
    assert rows[0] == "class,probability,predicted" and len(rows) == 1 + first["n_classes"]
    assert (preds / f"{record.name}.png").is_file()


def test_challenge_scorer_matches_official_metric() -> None:
    from ecg_data.readers.cinc2021 import SCORED_CINC2021, SNOMED_ABBR
    from ecg_train.metrics.challenge2020 import compute_challenge_metric

    classes = [SNOMED_ABBR[c] for c in SCORED_CINC2021]
    score = challenge_scorer(classes, SCORED_CINC2021)
    rng = np.random.default_rng(0)
    labels = rng.random((30, len(classes))) < 0.15
    pred = rng.random((30, len(classes))) < 0.15
    ours = score(labels, pred, pred.astype(float))["challenge_metric"]
    assert ours == pytest.approx(compute_challenge_metric(labels, pred))
    assert score(labels, labels, labels.astype(float))["challenge_metric"] == pytest.approx(1.0)
    normal = np.zeros_like(labels)
    normal[:, classes.index("NSR")] = True
    assert score(labels, normal, normal.astype(float))["challenge_metric"] == pytest.approx(0.0)


def test_challenge_scorer_subset_and_errors() -> None:
    from ecg_data.readers.cinc2021 import SCORED_CINC2020

    score = challenge_scorer(["NSR", "AF", "LBBB"], SCORED_CINC2020)
    lab = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)
    # the perfect classifier scores 1 on the (NSR, AF, LBBB) sub-table of the weights
    assert score(lab, lab, lab.astype(float))["challenge_metric"] == pytest.approx(1.0)
    with pytest.raises(BenchmarkError, match="needs the normal class NSR"):
        challenge_scorer(["AF", "PVC"], SCORED_CINC2020)
    with pytest.raises(BenchmarkError, match="'XYZ' is not a scored class"):
        challenge_scorer(["NSR", "XYZ"], SCORED_CINC2020)


def test_bad_data_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope"
    assert main(["run", "cinc2021", "--data-dir", str(missing), "--out", str(tmp_path / "a")]) == 2
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["run", "cinc2020", "--data-dir", str(empty), "--out", str(tmp_path / "b")]) == 2
    assert "is empty" in capsys.readouterr().err
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "100.hea").write_text("100 2 360 650000\n100.dat 212 200 11 1024 995 -22131 0 MLII\n")
    assert check_cinc_folder(wrong) is not None
    assert main(["run", "cinc2021", "--data-dir", str(wrong), "--out", str(tmp_path / "c")]) == 2
    assert "is not a CinC 2021 folder" in capsys.readouterr().err
    assert not (tmp_path / "c" / "metrics.json").exists()
    assert main(["run", "cinc2021", "--set", "data.leads=5"]) == 2
    assert "data.leads must be one of" in capsys.readouterr().err
