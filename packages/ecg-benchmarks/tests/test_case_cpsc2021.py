"""cpsc2021 case: smoke runs of both tasks on the sample records, resume, episode extraction,
and bad data folders."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ecg_benchmarks.cases.cpsc2021 import PostSettings, check_cpsc2021_folder, mask_to_episodes
from ecg_benchmarks.cli import main

RunCheck = Callable[..., dict[str, Any]]  # the check_run_files fixture (conftest.py)


@pytest.mark.data
@pytest.mark.parametrize("task", ["rr_lstm", "main"])
def test_smoke_run_then_resume(
    task: str,
    sample_data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    check_run_files: RunCheck,
) -> None:
    out = tmp_path / "run"
    argv = ["run", "cpsc2021", "--data-dir", str(sample_data / "cpsc2021"), "--out", str(out)]
    argv += ["--epochs", "1", "--set", f"task={task}", "--set", "train.max_records=3"]
    argv += ["--set", "model.width=8", "--set", "data.fs=50", "--no-progress"]
    assert main(argv) == 0, capsys.readouterr().err
    metrics = check_run_files(out, "confusion.png")
    # official score_2021: -2 <= Ur <= 1 per record, plus 0 <= Ue <= 2 per true AF episode
    assert math.isfinite(metrics["cpsc2021_score"]) and metrics["cpsc2021_score"] >= -2
    assert metrics["task"] == task and metrics["n_test_records"] >= 1
    assert f"cpsc2021 ({task}): CPSC2021 score" in capsys.readouterr().out
    assert main(["run", "cpsc2021", "--resume", str(out), "--epochs", "2", "--no-progress"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    # evaluate on every record of another folder; predict AF episodes of one record
    other = tmp_path / "other"
    other.mkdir()
    heads = sorted((sample_data / "cpsc2021").rglob("data_*_*.hea"))[:2]
    for hea in heads:
        for f in hea.parent.glob(hea.stem + ".*"):
            shutil.copy(f, other / f.name)
    capsys.readouterr()
    assert main(["evaluate", str(out), "--data-dir", str(other)]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed[printed.index("{") :])["n_test_records"] == 2
    preds = tmp_path / "preds"
    assert main(["predict", str(out), str(other / heads[0].stem), "--out", str(preds)]) == 0
    assert (preds / f"{heads[0].stem}_episodes.csv").is_file()
    import wfdb

    beats = wfdb.rdann(str(preds / heads[0].stem), "pred")
    assert len(beats.sample) > 10 and set(beats.symbol) == {"N"}


def test_mask_to_episodes() -> None:
    post = PostSettings(min_af_s=2.0, merge_gap_s=1.0, persistent_fraction=0.9)
    fs = 10.0
    m = np.zeros(200, dtype=bool)
    m[20:45] = True  # 2.5 s: kept
    m[50:60] = True  # 0.5 s gap to the first run: merged
    m[100:110] = True  # 1.0 s: dropped
    assert mask_to_episodes(m, fs, post).tolist() == [[20, 59]]
    assert mask_to_episodes(np.ones(200, dtype=bool), fs, post).tolist() == [[0, 199]]
    assert mask_to_episodes(np.zeros(200, dtype=bool), fs, post).shape == (0, 2)


def test_bad_data_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "A0001.hea").write_text("A0001 12 500 5000\n")
    assert check_cpsc2021_folder(wrong) is not None
    assert main(["run", "cpsc2021", "--data-dir", str(wrong), "--out", str(tmp_path / "o")]) == 2
    assert "is not a CPSC 2021 folder" in capsys.readouterr().err
    assert main(["run", "cpsc2021", "--set", "task=qrs"]) == 2
    assert "task must be one of" in capsys.readouterr().err


# The torchrun smoke test of this case runs the real command: tests/test_cli_ddp.py.
