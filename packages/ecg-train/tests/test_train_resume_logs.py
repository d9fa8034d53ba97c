"""A resume from an earlier checkpoint truncates the logs: no record appears twice."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import torch
import train_toy as toy

from ecg_train.trainer.checkpoint import list_checkpoints


def _config(tmp: Path) -> dict[str, Any]:
    return toy.train_config(
        tmp,
        n_epochs=2,
        learning_rate=0.01,
        loggers=("csv", "text"),
        log_every_n_steps=1,
        checkpoint_every_n_steps=2,
        keep_checkpoint_max=10,
        seed=4,
    )


def _records(log_dir: Path) -> list[tuple[str, int, str, str]]:
    with (log_dir / "metrics.csv").open(newline="") as fh:
        return [(r["phase"], int(r["step"]), r["name"], r["value"]) for r in csv.DictReader(fh)]


def _run(tmp: Path, resume_from: Path | None = None) -> Any:
    torch.manual_seed(0)
    trainer = toy.ToyTrainer(toy.ToyModel(), _config(tmp))
    trainer.train(resume_from=resume_from)
    trainer.close()
    return trainer


def test_resume_from_an_earlier_checkpoint_truncates_the_logs(tmp_path: Path) -> None:
    ref = _records(_run(tmp_path / "ref").loggers.loggers[0].log_dir)
    run = tmp_path / "run"
    trainer = _run(run)
    assert trainer.global_step == 10
    # the whole run is over; resume from the checkpoint after step 2 (mid epoch 1)
    early = next(p for p in list_checkpoints(run / "ckpt") if "step00000002" in p.name)
    _run(run, resume_from=early)
    got = _records(run / "logs")
    keys = [(phase, step, name) for phase, step, name, _ in got]
    assert len(keys) == len(set(keys)), "a record appears twice in metrics.csv"
    assert got == ref  # the same records, in the same order, with the same (exact) values
    text = (run / "logs" / "log.txt").read_text()
    assert text.count("[final]") == 1
    assert text.count("[train] step 3:") == 1
    assert "resumed after optimizer step 2 (epoch 0)" in text


def test_resume_at_the_last_checkpoint_keeps_every_record(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _run(run)
    before = _records(run / "logs")
    n_final = sum(r[0] == "final" for r in before)
    assert n_final > 0
    _run(run, resume_from=run / "ckpt")  # the last checkpoint: the run is complete
    after = _records(run / "logs")
    assert [r for r in after if r[0] != "final"] == [r for r in before if r[0] != "final"]
    assert sum(r[0] == "final" for r in after) == n_final
