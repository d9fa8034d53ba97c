"""ptbxl case: smoke run on a PTB-XL fixture (CSV tables and WFDB records in the real layout)
with the standard folds, resume, the macro AUROC scorer against scikit-learn, bad folders."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ecg_benchmarks.cases.ptbxl import check_ptbxl_folder, macro_auroc_scorer
from ecg_benchmarks.cli import main

RunCheck = Callable[..., dict[str, Any]]  # the check_run_files fixture (conftest.py)

LEADS = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]
SCP = {  # code: (diagnostic, form, rhythm, class, subclass)
    "NORM": (1, None, None, "NORM", "NORM"),
    "IMI": (1, None, None, "MI", "IMI"),
    "LVH": (1, None, None, "HYP", "LVH"),
    "NDT": (1, 1, None, "STTC", "STTC"),
    "LVOLT": (None, 1, None, None, None),
    "SR": (None, None, 1, None, None),
    "AFIB": (None, None, 1, None, None),
}
CODES = [
    {"NORM": 100.0, "SR": 0.0},
    {"IMI": 100.0, "SR": 0.0},
    {"LVH": 100.0, "LVOLT": 0.0, "AFIB": 0.0},
    {"NDT": 100.0, "IMI": 50.0, "SR": 0.0},
]


def write_ptbxl(root: Path, per_fold: int = 4) -> Path:
    """PTB-XL tables and 100 Hz WFDB records: ``per_fold`` records in each of the 10 folds,
    cycling through :data:`CODES`; each label adds its own sine to the signal."""
    import wfdb

    rows = ["ecg_id,patient_id,age,sex,scp_codes,strat_fold,filename_lr,filename_hr"]
    rng = np.random.default_rng(0)
    t = np.arange(1000) / 100.0
    freq = {"NORM": 1.0, "IMI": 3.0, "LVH": 5.0, "NDT": 7.0}
    ecg_id = 0
    for fold in range(1, 11):
        for j in range(per_fold):
            ecg_id += 1
            codes = CODES[(fold + j) % len(CODES)]
            lr = f"records100/00000/{ecg_id:05d}_lr"
            hr = f"records500/00000/{ecg_id:05d}_hr"
            rows.append(f'{ecg_id},{ecg_id}.0,60,0,"{codes!r}",{fold},{lr},{hr}')
            base = sum(np.sin(2 * np.pi * freq[c] * t) for c in codes if c in freq)
            sig = np.stack([base * (0.5 + 0.05 * k) for k in range(12)])
            sig = sig + rng.normal(0, 0.05, sig.shape)
            out = root / lr
            out.parent.mkdir(parents=True, exist_ok=True)
            wfdb.wrsamp(
                out.name,
                fs=100,
                units=["mV"] * 12,
                sig_name=LEADS,
                p_signal=sig.T,
                fmt=["16"] * 12,
                adc_gain=[1000.0] * 12,
                baseline=[0] * 12,
                write_dir=str(out.parent),
            )
    (root / "ptbxl_database.csv").write_text("\n".join(rows) + "\n")
    lines = [",description,diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass"]
    for code, values in SCP.items():
        cells = ["" if v is None else str(v) for v in values]
        lines.append(f"{code},{code.lower()} statement," + ",".join(cells))
    (root / "scp_statements.csv").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="module")
def ptbxl_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ptbxl(tmp_path_factory.mktemp("ptbxl"))


FAST = ["--set", "model.width=8", "--set", "train.batch_size=8", "--set", "data.lazy=false"]
FAST += ["--set", "data.fs=50", "--set", "data.duration_s=8", "--no-progress"]


def test_smoke_superdiagnostic_then_resume(
    ptbxl_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    check_run_files: RunCheck,
) -> None:
    out = tmp_path / "run"
    argv = ["run", "ptbxl", "--data-dir", str(ptbxl_dir), "--out", str(out), "--epochs", "1"]
    assert main([*argv, *FAST]) == 0, capsys.readouterr().err
    metrics = check_run_files(out, "per_class.png", "confusion.png")
    assert metrics["task"] == "superdiagnostic"
    assert metrics["n_classes"] == 4  # HYP, MI, NORM, STTC
    # standard folds: 8 x 4 training records, fold 9 validation, fold 10 test
    assert (metrics["n_train"], metrics["n_val"], metrics["n_test"]) == (32, 4, 4)
    assert math.isfinite(metrics["macro_auroc"]) and 0.0 <= metrics["macro_auroc"] <= 1.0
    assert "ptbxl (superdiagnostic): macro_auroc" in capsys.readouterr().out
    assert "macro_auroc" in (out / "report.md").read_text()
    history = json.loads((out / "history.json").read_text())
    assert "val_macro_auroc" in history[0]
    assert main(["run", "ptbxl", "--resume", str(out), "--epochs", "2", "--no-progress"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    # evaluate on every record of another PTB-XL folder (all ten folds), predict one record
    other = write_ptbxl(tmp_path / "other", per_fold=1)
    capsys.readouterr()
    assert main(["evaluate", str(out), "--data-dir", str(other)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("ptbxl (superdiagnostic): macro_auroc")
    assert json.loads(printed[printed.index("{") :])["n_test"] == 10
    record = other / "records100" / "00000" / "00001_lr"
    assert main(["predict", str(out), str(record), "--out", str(tmp_path / "p")]) == 0
    rows = (tmp_path / "p" / "00001_lr_classes.csv").read_text().splitlines()
    assert len(rows) == 1 + 4


def test_smoke_rhythm_task(ptbxl_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "rhythm"
    argv = ["run", "ptbxl", "--data-dir", str(ptbxl_dir), "--out", str(out), "--epochs", "1"]
    argv += [*FAST, "--set", "data.task=rhythm", "--set", "train.tensorboard=false"]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == "rhythm" and metrics["n_classes"] == 2  # AFIB, SR


def test_macro_auroc_matches_sklearn() -> None:
    from sklearn.metrics import average_precision_score, roc_auc_score

    rng = np.random.default_rng(1)
    labels = rng.random((40, 4)) < 0.3
    labels[0] = True
    labels[1] = False
    probs = np.clip(labels * 0.3 + rng.random((40, 4)) * 0.8, 0, 1)
    score = macro_auroc_scorer(["a", "b", "c", "d"])(labels, probs >= 0.5, probs)
    assert score["macro_auroc"] == pytest.approx(roc_auc_score(labels, probs, average="macro"))
    assert score["micro_auroc"] == pytest.approx(roc_auc_score(labels, probs, average="micro"))
    assert score["macro_auprc"] == pytest.approx(
        average_precision_score(labels, probs, average="macro")
    )
    # a class without positives is left out of the macro mean
    labels[:, 3] = False
    ours = macro_auroc_scorer(["a", "b", "c", "d"])(labels, probs >= 0.5, probs)["macro_auroc"]
    assert ours == pytest.approx(roc_auc_score(labels[:, :3], probs[:, :3], average="macro"))


def test_bad_data_and_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope"
    assert main(["run", "ptbxl", "--data-dir", str(missing), "--out", str(tmp_path / "a")]) == 2
    assert "PTB-XL data folder" in capsys.readouterr().err
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "ptbxl_database.csv").write_text("ecg_id\n")
    assert "scp_statements.csv" in (check_ptbxl_folder(wrong) or "")
    assert main(["run", "ptbxl", "--data-dir", str(wrong), "--out", str(tmp_path / "b")]) == 2
    assert "is not a PTB-XL folder" in capsys.readouterr().err
    assert not (tmp_path / "b" / "metrics.json").exists()
    assert main(["run", "ptbxl", "--set", "data.task=diag"]) == 2
    assert "data.task must be one of" in capsys.readouterr().err
