"""Loggers: CSV, text and TensorBoard (read back with EventAccumulator)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ecg_train.loggers import CSVLogger, LoggerConfig, LoggerManager


def test_manager_writes_all_three(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    mgr = LoggerManager.from_config(
        {"log_dir": str(tmp_path), "loggers": ["csv", "text", "tensorboard"]}
    )
    mgr.log_config({"lr": 0.01, "loggers": ("csv",)})
    for step in (1, 2, 3):
        mgr.log_scalars({"loss": 1.0 / step, "lr": 0.01}, step, "train")
    mgr.log_scalars({"val_f1": 0.75}, 1, "epoch")
    mgr.log_final({"val_f1": 0.8})
    mgr.close()

    rows = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    losses = [(int(r["step"]), float(r["value"])) for r in rows if r["name"] == "loss"]
    assert losses == [(1, 1.0), (2, 0.5), (3, 1.0 / 3)]
    assert any(
        r["phase"] == "final" and r["name"] == "val_f1" and float(r["value"]) == 0.8 for r in rows
    )
    assert json.loads((tmp_path / "config.json").read_text()) == {"lr": 0.01, "loggers": ["csv"]}
    text = (tmp_path / "log.txt").read_text()
    assert "[train] step 2: loss=0.5, lr=0.01" in text and "[final] val_f1=0.8" in text

    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    assert {"train/loss", "train/lr", "epoch/val_f1", "final/val_f1"} <= set(acc.Tags()["scalars"])
    events = acc.Scalars("train/loss")
    assert [e.step for e in events] == [1, 2, 3]
    assert [e.value for e in events] == pytest.approx([1.0, 0.5, 1.0 / 3])
    assert acc.Scalars("final/val_f1")[0].value == pytest.approx(0.8)
    assert "config/text_summary" in acc.Tags()["tensors"]


def test_csv_appends_without_duplicate_header(tmp_path: Path) -> None:
    for _ in range(2):
        lg = CSVLogger(tmp_path)
        lg.log_scalars({"a": 1.0}, 0)
        lg.close()
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert lines[0] == "time,phase,step,name,value" and len(lines) == 3


def test_config_errors_and_disabled(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown logger 'tensorbord'.*'tensorboard'"):
        LoggerConfig(loggers=("tensorbord",))
    with pytest.raises(ValueError, match="unknown LoggerConfig key 'logdir'"):
        LoggerManager.from_config({"logdir": "x"})
    mgr = LoggerManager.from_config(LoggerConfig(log_dir=str(tmp_path / "off"), enabled=False))
    mgr.log_scalars({"a": 1.0}, 0)
    assert not (tmp_path / "off").exists()
