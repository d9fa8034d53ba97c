"""BaseTrainer: exact resume, early stopping, checkpoints, NaN stop and bad input."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
import torch
import train_toy as toy

from ecg_train.trainer.checkpoint import list_checkpoints, load_checkpoint
from ecg_train.trainer.config import TrainConfig
from ecg_train.trainer.errors import (
    CheckpointMismatchError,
    NonFiniteLossError,
    TrainingInterruptedError,
)


def _config(tmp: Path, **kw: Any) -> dict[str, Any]:
    return toy.train_config(
        tmp, **{"n_epochs": 3, "learning_rate": 0.01, "loggers": ("csv",), "seed": 11, **kw}
    )


def _model(seed: int = 0, cls: type = None) -> torch.nn.Module:  # type: ignore[assignment]
    torch.manual_seed(seed)
    return (cls or toy.ToyModel)()


@pytest.mark.parametrize(
    "extra",
    [
        {"scheduler": "one_cycle"},
        {"optimizer": "sgd", "scheduler": "cosine", "grad_accumulation": 2, "grad_clip": 0.5},
        {"amp": True, "scheduler": "plateau", "monitor": "val_loss", "monitor_mode": "min"},
    ],
    ids=["adamw-onecycle", "sgd-cosine-accum-clip", "bf16-plateau"],
)
def test_resume_is_bit_exact(tmp_path: Path, extra: dict[str, Any]) -> None:
    full = toy.ToyTrainer(_model(), _config(tmp_path / "full", **extra))
    full.train()
    ref = list(full.loss_history)
    assert len(ref) == full.global_step > 6

    def interrupt(trainer: Any, loss: torch.Tensor) -> torch.Tensor:
        if trainer.calls == 7:  # a real SIGINT in the middle of epoch 2
            os.kill(os.getpid(), signal.SIGINT)
        return loss

    part = toy.ToyTrainer(_model(), _config(tmp_path / "part", **extra), hook=interrupt)
    with pytest.raises(TrainingInterruptedError) as info:
        part.train()
    assert info.value.checkpoint is not None and info.value.checkpoint.is_file()
    assert len(part.loss_history) < len(ref)
    # a fresh process: differently initialised model, RNGs disturbed
    torch.manual_seed(999)
    resumed = toy.ToyTrainer(_model(seed=5), _config(tmp_path / "part", **extra))
    resumed.train(resume_from=tmp_path / "part" / "ckpt")
    assert resumed.loss_history == ref  # bit for bit
    for k, v in full.model.state_dict().items():
        assert torch.equal(v, resumed.model.state_dict()[k]), k


def test_early_stopping_and_best_model(tmp_path: Path) -> None:
    cfg = _config(tmp_path, n_epochs=10, monitor="constant", early_stopping_patience=2)
    tr = toy.ToyTrainer(_model(), cfg)
    final = tr.train()
    assert tr.epoch == 3 and tr.best_epoch == 1  # improves once, then 2 epochs without
    assert final["best_constant"] == 1.0
    best = load_checkpoint(tmp_path / "ckpt" / "best_model.pt")
    assert best["epoch"] == 1 and best["monitor"] == "constant"


def test_keep_checkpoint_max(tmp_path: Path) -> None:
    cfg = _config(tmp_path, n_epochs=2, checkpoint_every_n_steps=1, keep_checkpoint_max=2)
    tr = toy.ToyTrainer(_model(), cfg)
    tr.train()
    files = list_checkpoints(tmp_path / "ckpt")
    assert len(files) == 2
    assert files[-1].name == "checkpoint_epoch0002_step00000010.pt"
    assert not list((tmp_path / "ckpt").glob("*.tmp"))  # atomic writes leave no temp file


def test_nan_loss_stops_with_step_and_keeps_checkpoint(tmp_path: Path) -> None:
    def poison(trainer: Any, loss: torch.Tensor) -> torch.Tensor:
        return loss * float("nan") if trainer.calls == 8 else loss

    cfg = _config(tmp_path, checkpoint_every_n_steps=2)
    tr = toy.ToyTrainer(_model(), cfg, hook=poison)
    with pytest.raises(NonFiniteLossError, match=r"optimizer step 8 \(epoch 2, batch 3\)") as info:
        tr.train()
    assert info.value.step == 8
    assert all(torch.isfinite(p).all() for p in tr.model.parameters())
    last = list_checkpoints(tmp_path / "ckpt")[-1]
    state = load_checkpoint(last)
    assert state["global_step"] == 6
    assert all(torch.isfinite(v).all() for v in state["model"].values())


def test_missing_required_field(tmp_path: Path) -> None:
    class NeedsClasses(toy.ToyTrainer):  # type: ignore[name-defined,misc]
        @property
        def extra_required_train_config_fields(self) -> list[str]:
            return ["classes", "n_epochs"]

    with pytest.raises(ValueError, match="missing required field\\(s\\) 'classes'"):
        NeedsClasses(_model(), _config(tmp_path))
    tr = NeedsClasses(_model(), _config(tmp_path, extra={"classes": ["a", "b", "c"]}))
    assert tr.train_config.get("classes") == ["a", "b", "c"]


def test_bad_dataset_items(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="arity 1"):
        toy.ToyTrainer(_model(), _config(tmp_path), dataset=toy.ToyDataset(arity=1))
    with pytest.raises(ValueError, match="arity 4"):
        toy.ToyTrainer(_model(), _config(tmp_path), dataset=toy.ToyDataset(arity=4))
    with pytest.raises(ValueError, match="3 leads but the model expects n_leads=2"):
        toy.ToyTrainer(_model(), _config(tmp_path), dataset=toy.ToyDataset(n_leads=3))
    toy.ToyTrainer(_model(), _config(tmp_path), dataset=toy.ToyDataset(arity=3), val=False).train()


def test_resume_errors(tmp_path: Path) -> None:
    tr = toy.ToyTrainer(_model(), _config(tmp_path, n_epochs=1))
    tr.train()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="holds no checkpoint"):
        toy.ToyTrainer(_model(), _config(tmp_path)).resume(empty)
    with pytest.raises(CheckpointMismatchError, match="OtherModel"):
        toy.ToyTrainer(_model(cls=toy.OtherModel), _config(tmp_path)).resume(tmp_path / "ckpt")
    with pytest.raises(CheckpointMismatchError, match="batch_size: 8 vs 4"):
        toy.ToyTrainer(_model(), _config(tmp_path, batch_size=4)).resume(tmp_path / "ckpt")
    big = toy.ToyModel(classes=("a", "b", "c"))
    big.fc = torch.nn.Linear(4, 3, bias=False)
    with pytest.raises(CheckpointMismatchError, match="architecture"):
        toy.ToyTrainer(big, _config(tmp_path)).resume(tmp_path / "ckpt")


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="unknown TrainConfig key 'n_epoch'.*'n_epochs'"):
        TrainConfig.from_config({"n_epoch": 3})
    with pytest.raises(ValueError, match="learning_rate must be a positive finite number, got -1"):
        TrainConfig(learning_rate=-1)
    with pytest.raises(ValueError, match="optimizer must be one of adamw, sgd; got 'adam'"):
        TrainConfig(optimizer="adam")
    with pytest.raises(ValueError, match="needs a monitor"):
        TrainConfig(early_stopping_patience=3)
    with pytest.raises(ValueError, match="num_threads must be a positive integer, got 0"):
        TrainConfig(num_threads=0)
    with pytest.raises(TypeError, match="mapping"):
        TrainConfig.from_config(3)  # type: ignore[arg-type]
    from copy import deepcopy

    c = deepcopy(TrainConfig())
    c.batch_size = 4
    assert TrainConfig.from_config(c).batch_size == 4


def test_sigterm_checkpoints_and_restores_handler(tmp_path: Path) -> None:
    def term(trainer: Any, loss: torch.Tensor) -> torch.Tensor:
        if trainer.calls == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return loss

    before = signal.getsignal(signal.SIGTERM)
    tr = toy.ToyTrainer(_model(), _config(tmp_path, n_epochs=1), hook=term)
    with pytest.raises(TrainingInterruptedError, match="SIGTERM"):
        tr.train()
    assert signal.getsignal(signal.SIGTERM) is before
    state = load_checkpoint(list_checkpoints(tmp_path / "ckpt")[-1])
    assert (state["global_step"], state["batches_done"], state["epoch"]) == (2, 2, 0)


def test_num_threads_apply_during_training_and_are_restored(tmp_path: Path) -> None:
    seen: list[int] = []

    def record(trainer: Any, loss: torch.Tensor) -> torch.Tensor:
        seen.append(torch.get_num_threads())
        if trainer.calls == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return loss

    before = torch.get_num_threads()
    outer = 2 if before == 1 else 1
    inner = 3 if outer != 3 else 1
    torch.set_num_threads(outer)
    try:
        tr = toy.ToyTrainer(_model(), _config(tmp_path, num_threads=inner), hook=record)
        with pytest.raises(TrainingInterruptedError):
            tr.train()
        assert seen == [inner] * 3
        assert torch.get_num_threads() == outer  # restored, also after an interrupted run
        toy.ToyTrainer(_model(), _config(tmp_path / "none", n_epochs=1), hook=None).train()
        assert torch.get_num_threads() == outer  # None leaves the setting alone
    finally:
        torch.set_num_threads(before)
