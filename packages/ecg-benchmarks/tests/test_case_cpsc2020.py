"""cpsc2020 case: smoke runs of both models on a small fixture in the real on-disk format
(``data/A<nn>.mat`` key ``ecg`` at 400 Hz, ``ref/R<nn>.mat`` with ``S_ref``/``V_ref``), resume,
the beat labelling, the run-to-position decoding and bad data folders."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.io

from ecg_benchmarks.cases._cpsc2020_data import (
    BeatWindows,
    Segments,
    check_cpsc2020_folder,
    label_beats,
    load_records,
)
from ecg_benchmarks.cases.cpsc2020 import (
    CPSC2020Settings,
    detections,
    runs_to_positions,
    score_detections,
)
from ecg_benchmarks.cli import main

RunCheck = Callable[..., dict[str, Any]]  # the check_run_files fixture (conftest.py)

FS = 400


def _beat(t: np.ndarray, kind: str) -> np.ndarray:
    """One beat centred on its R peak at t=0 (s): N (P-QRS-T), S (no P wave), V (wide, inverted)."""

    def g(mu: float, sigma: float, amp: float) -> np.ndarray:
        return amp * np.exp(-0.5 * ((t - mu) / sigma) ** 2)

    if kind == "V":
        return g(0.0, 0.035, -1.3) + g(0.3, 0.06, 0.5)
    p = g(-0.18, 0.025, 0.15) if kind == "N" else 0.0
    return p + g(0.0, 0.011, 1.0) + g(-0.03, 0.01, -0.15) + g(0.28, 0.05, 0.3)


def write_cpsc2020(root: Path, n_records: int = 4, seconds: float = 60.0, seed: int = 0) -> Path:
    """A CPSC 2020 folder of synthetic records with S (every ~7th) and V (every ~9th) beats."""
    rng = np.random.default_rng(seed)
    (root / "data").mkdir(parents=True)
    (root / "ref").mkdir()
    n = int(seconds * FS)
    for k in range(1, n_records + 1):
        sig = rng.normal(0, 0.02, n) + 0.05 * np.sin(2 * np.pi * 0.2 * np.arange(n) / FS)
        pos, s_ref, v_ref = 0.5, [], []
        while pos < seconds - 1.0:
            u = rng.random()
            kind = "S" if u < 0.14 else "V" if u < 0.25 else "N"
            rr = rng.uniform(0.75, 0.9)
            if kind != "N":
                pos -= 0.35 * rr  # premature
            c = int(pos * FS)
            a, b = max(0, c - FS), min(n, c + FS)
            sig[a:b] += _beat((np.arange(a, b) - c) / FS, kind)
            if kind == "S":
                s_ref.append(c)
            elif kind == "V":
                v_ref.append(c)
            pos += rr + (0.35 * rr if kind != "N" else 0.0)
        scipy.io.savemat(root / "data" / f"A{k:02d}.mat", {"ecg": sig.reshape(-1, 1)})
        ref = {
            "S_ref": np.array(s_ref, dtype=float).reshape(-1, 1),
            "V_ref": np.array(v_ref, dtype=float).reshape(-1, 1),
        }
        scipy.io.savemat(root / "ref" / f"R{k:02d}.mat", {"ref": ref})
    return root


@pytest.fixture(scope="module")
def cpsc2020_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cpsc2020(tmp_path_factory.mktemp("cpsc2020"))


FAST = ["--set", "model.width=8", "--set", "train.batch_size=16", "--set", "train.train_ratio=0.5"]
FAST += ["--set", "data.fs=100", "--no-progress"]


def _check_run(check_run_files: RunCheck, out: Path) -> dict[str, Any]:
    metrics = check_run_files(out, "confusion.png", "per_class.png")
    score = metrics["cpsc2020_score"]
    assert math.isfinite(score) and score <= 0
    assert score == metrics["s_score"] + metrics["v_score"]
    # the score cannot be below -5 per reference beat minus 1 per detection
    assert score >= -5 * (metrics["n_ref_S"] + metrics["n_ref_V"]) - 10_000
    assert (
        "CPSC2020 score" in (out / "report.md").read_text()
        or "cpsc2020_score" in (out / "report.md").read_text()
    )
    return metrics


def test_smoke_crnn_then_resume(
    cpsc2020_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    check_run_files: RunCheck,
) -> None:
    out = tmp_path / "run"
    argv = ["run", "cpsc2020", "--data-dir", str(cpsc2020_dir), "--out", str(out)]
    argv += ["--epochs", "1", *FAST]
    assert main(argv) == 0, capsys.readouterr().err
    first = _check_run(check_run_files, out)
    assert first["model_kind"] == "crnn" and first["epochs_run"] == 1
    assert len(first["train_records"]) == 2 and first["test_records"]
    assert "cpsc2020 (crnn): CPSC2020 score" in capsys.readouterr().out
    assert main(["run", "cpsc2020", "--resume", str(out), "--epochs", "2", "--no-progress"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert _check_run(check_run_files, out)["epochs_run"] == 2
    # evaluate on every record of another CPSC 2020 folder; predict the beats of one record
    other = write_cpsc2020(tmp_path / "other", n_records=2, seconds=30.0, seed=1)
    capsys.readouterr()
    assert main(["evaluate", str(out), "--data-dir", str(other)]) == 0
    printed = capsys.readouterr().out
    evaluated = json.loads(printed[printed.index("{") :])
    assert evaluated["test_records"] == ["A01", "A02"] and evaluated["cpsc2020_score"] <= 0
    preds = tmp_path / "preds"
    assert main(["predict", str(out), str(other / "data" / "A01.mat"), "--out", str(preds)]) == 0
    import wfdb

    ann = wfdb.rdann(str(preds / "A01"), "pred")
    assert set(ann.symbol) <= {"N", "S", "V"} and len(ann.sample) > 20  # about 1 beat per s
    assert ann.fs == FS


def test_smoke_seq_lab(cpsc2020_dir: Path, tmp_path: Path, check_run_files: RunCheck) -> None:
    out = tmp_path / "seq"
    argv = ["run", "cpsc2020", "--data-dir", str(cpsc2020_dir), "--out", str(out)]
    argv += ["--epochs", "1", *FAST, "--set", "model.kind=seq_lab"]
    argv += ["--set", "train.batch_size=8", "--set", "data.max_minutes=1"]
    assert main(argv) == 0
    metrics = _check_run(check_run_files, out)
    assert metrics["model_kind"] == "seq_lab"


def test_perfect_outputs_decode_to_the_references(cpsc2020_dir: Path) -> None:
    """The pipeline around the model: the classic detector finds the beats of the fixture, and
    perfect model outputs (true beat classes, true tags) score (almost) 0 by the official rule."""
    s = CPSC2020Settings()
    s.data.fs = 200.0
    recs = load_records(cpsc2020_dir, ["A01", "A02"], s.data.fs, 0.0, s.data.label_tolerance_s)
    n_ref = sum(len(r.spb) + len(r.pvc) for r in recs)
    assert n_ref > 20 and all(len(r.beats) > 60 for r in recs)
    # nearly every reference beat got its label on a detected beat
    assert sum(int((r.labels > 0).sum()) for r in recs) >= 0.95 * n_ref
    beats = BeatWindows(recs, 256, training=False)
    assert len(beats) == sum(len(r.beats) for r in recs)
    onehot = np.eye(3, dtype=np.float32)[beats.labels]
    s_det, v_det = detections(beats, np.arange(len(beats)), onehot, s)
    score = score_detections(recs, s_det, v_det)
    missed = n_ref - sum(int((r.labels > 0).sum()) for r in recs)
    assert score["cpsc2020_score"] == -5 * missed
    # sequence tagging: the tags themselves decode to one detection per reference beat
    seg = Segments(recs, 2000, 10, training=False)
    tags = np.stack([seg[i][1].numpy() for i in range(len(seg))])
    s_det, v_det = detections(seg, np.arange(len(seg)), tags, s)
    assert score_detections(recs, s_det, v_det)["cpsc2020_score"] == 0.0
    np.testing.assert_allclose(np.concatenate(v_det), np.concatenate([r.pvc for r in recs]), atol=2)
    # all-N outputs: every reference beat is a false negative (-5 each)
    s_det, v_det = detections(
        beats,
        np.arange(len(beats)),
        np.eye(3, dtype=np.float32)[np.zeros(len(beats), dtype=int)],
        s,
    )
    assert score_detections(recs, s_det, v_det)["cpsc2020_score"] == -5 * n_ref


def test_label_beats_nearest_within_tolerance() -> None:
    beats = np.array([100, 200, 300, 400], dtype=np.int64)
    spb = np.array([205, 290], dtype=np.int64)
    pvc = np.array([460], dtype=np.int64)  # 60 samples from 400: outside a tolerance of 40
    np.testing.assert_array_equal(label_beats(beats, spb, pvc, 40), [0, 1, 1, 0])
    np.testing.assert_array_equal(label_beats(beats, spb, pvc, 60), [0, 1, 1, 2])
    assert label_beats(np.zeros(0, np.int64), spb, pvc, 10).shape == (0,)
    np.testing.assert_array_equal(label_beats(np.array([50]), np.array([45]), pvc, 10), [1])


def test_runs_to_positions() -> None:
    m = np.zeros(30, dtype=bool)
    m[2:7] = True  # centre 4
    m[10:11] = True  # length 1: dropped with min_len 2
    m[20:30] = True  # reaches the end: centre 24
    assert runs_to_positions(m, 2).tolist() == [4, 24]
    assert runs_to_positions(m).tolist() == [4, 10, 24]
    assert runs_to_positions(np.zeros(5, dtype=bool)).tolist() == []
    # a gap of 3 samples (7..9) joins the first two runs: one run 2..10, centre 6
    assert runs_to_positions(m, 1, 3).tolist() == [6, 24]
    assert runs_to_positions(m, 1, 2).tolist() == [4, 10, 24]


def test_bad_data_and_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope"
    assert main(["run", "cpsc2020", "--data-dir", str(missing), "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "CPSC 2020 data folder" in err and "does not exist" in err
    assert main(["run", "cpsc2020", "--out", str(tmp_path / "a2")]) == 2
    assert "pass --data-dir" in capsys.readouterr().err
    wrong = tmp_path / "wrong"
    (wrong / "data").mkdir(parents=True)
    scipy.io.savemat(wrong / "data" / "data_00001.mat", {"ecg": np.zeros((10, 1))})
    assert check_cpsc2020_folder(wrong) is not None
    assert main(["run", "cpsc2020", "--data-dir", str(wrong), "--out", str(tmp_path / "b")]) == 2
    assert "is not a CPSC 2020 folder" in capsys.readouterr().err
    assert not (tmp_path / "b" / "metrics.json").exists()
    assert main(["run", "cpsc2020", "--set", "model.kind=unet"]) == 2
    assert "model.kind must be" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"data.fs must lie in \[50, 400\] Hz, got 500"):
        CPSC2020Settings().data.__class__(fs=500.0)
