"""From a finished run to a model: the trainer's checkpoint is not the model file, and says so."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ecg_models import CheckpointError, TaskModel
from ecg_train.trainer.checkpoint import atomic_save


def test_trainer_checkpoint_names_the_model_file(tmp_path: Path) -> None:
    best = tmp_path / "best_model.pt"
    atomic_save({"format": 2, "model": {"w": torch.zeros(2)}, "epoch": 1}, best)
    with pytest.raises(CheckpointError, match=r"RUN_DIR/checkpoints/model\.safetensors"):
        TaskModel.from_checkpoint(best)
    (tmp_path / "model.safetensors").write_bytes(b"")  # a model file beside it is named
    with pytest.raises(
        CheckpointError, match=r"load the model file beside it: .*model\.safetensors"
    ):
        TaskModel.from_checkpoint(best)
    pickled = tmp_path / "old.pt"
    torch.save({"w": torch.zeros(1)}, pickled)
    with pytest.raises(CheckpointError, match="not a safetensors checkpoint.*model.safetensors"):
        TaskModel.from_checkpoint(pickled)
