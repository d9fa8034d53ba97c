"""Tiny model, dataset and trainer for the trainer tests; also the torchrun entry point.

Run as ``torchrun --nproc_per_node 2 train_toy.py OUT_DIR [accumulation]``: rank 0 writes the loss
history and final weights to ``OUT_DIR/result.safetensors``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from ecg_train.trainer.base import BaseTrainer
from ecg_train.trainer.checkpoint import atomic_save


class ToyModel(torch.nn.Module):
    def __init__(
        self, n_leads: int = 2, classes: tuple[str, ...] = ("a", "b", "c"), dropout: float = 0.2
    ) -> None:
        super().__init__()
        self.classes = list(classes)
        self.n_leads = n_leads
        self.conv = torch.nn.Conv1d(n_leads, 4, 5)
        self.drop = torch.nn.Dropout(dropout)
        self.fc = torch.nn.Linear(4, len(classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv(x)).mean(-1)
        return self.fc(self.drop(h))


class OtherModel(ToyModel):
    pass


class ToyDataset(Dataset[tuple[torch.Tensor, ...]]):
    def __init__(
        self, n: int = 40, n_leads: int = 2, samples: int = 64, seed: int = 0, arity: int = 2
    ) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, n_leads, samples, generator=g)
        self.y = (torch.rand(n, 3, generator=g) < 0.4).float()
        self.x[:, 0] += self.y[:, :1] * 0.8
        self.arity = arity

    def __len__(self) -> int:
        return self.x.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, ...]:
        item = (self.x[i], self.y[i], torch.ones(3), torch.ones(1))
        return item[: self.arity]


class ToyTrainer(BaseTrainer):
    def __init__(
        self,
        model: torch.nn.Module,
        config: Any,
        *,
        dataset: Dataset[Any] | None = None,
        val: bool = True,
        hook: Any = None,
    ) -> None:
        self._dataset = dataset if dataset is not None else ToyDataset()
        self._val = val
        self.hook = hook
        self.calls = 0
        super().__init__(model, config)

    def _setup_dataloaders(self) -> None:
        self.train_loader = self.make_loader(self._dataset, train=True)
        if self._val:
            self.val_loader = self.make_loader(ToyDataset(16, seed=1), train=False)

    def run_one_step(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        self.calls += 1
        x, y = batch[0], batch[1]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(self.forward(x), y)
        if self.hook is not None:
            loss = self.hook(self, loss)
        return loss

    def evaluate(self, data_loader: DataLoader[Any]) -> dict[str, float]:
        total, n = 0.0, 0
        for x, y in data_loader:
            out = self.model(x)
            total += (
                float(torch.nn.functional.binary_cross_entropy_with_logits(out, y, reduction="sum"))
                / 3
            )
            n += x.shape[0]
        return {"val_loss": total / max(n, 1), "constant": 1.0}

    @property
    def extra_required_train_config_fields(self) -> list[str]:
        return []


def train_config(out: Path, **overrides: Any) -> dict[str, Any]:
    """A TrainConfig mapping of one epoch on the CPU, batches of 8, checkpoints and logs under
    ``out``, no logger and no progress bar; ``overrides`` replace or add fields."""
    return {
        "n_epochs": 1,
        "batch_size": 8,
        "checkpoint_dir": str(out / "ckpt"),
        "log_dir": str(out / "logs"),
        "loggers": (),
        "progress_bar": False,
        "device": "cpu",
        **overrides,
    }


def ddp_config(out: Path, accumulation: int) -> dict[str, Any]:
    return train_config(
        out,
        n_epochs=2,
        learning_rate=0.01,
        scheduler="cosine",
        grad_accumulation=accumulation,
        grad_clip=1.0,
        seed=3,
    )


def assert_matches_one_process(
    two: dict[str, Any], one: dict[str, Any], two_ckpt: Path, one_ckpt: Path
) -> None:
    """The :func:`run` result of two processes equals that of one: loss history, final weights,
    the validation loss (reduced across ranks, weighted by shard size) and one set of checkpoint
    files (rank 0 alone writes them)."""
    import pytest

    assert two["world_size"] == 2 and one["world_size"] == 1
    assert len(two["loss_history"]) == len(one["loss_history"]) > 0
    torch.testing.assert_close(
        torch.tensor(two["loss_history"]), torch.tensor(one["loss_history"]), rtol=1e-5, atol=1e-6
    )
    for k, v in one["state"].items():
        torch.testing.assert_close(two["state"][k], v, rtol=1e-4, atol=1e-5)
    assert two["final"]["val_loss"] == pytest.approx(one["final"]["val_loss"], rel=1e-4)
    assert sorted(p.name for p in two_ckpt.iterdir()) == sorted(p.name for p in one_ckpt.iterdir())


def run(out: Path, accumulation: int) -> dict[str, Any]:
    torch.manual_seed(0)
    model = ToyModel(dropout=0.0)
    trainer = ToyTrainer(model, ddp_config(out, accumulation))
    final = trainer.train()
    result = {
        "loss_history": trainer.loss_history,
        "final": final,
        "state": {k: v.clone() for k, v in trainer.model.state_dict().items()},
        "world_size": trainer.world_size,
    }
    trainer.close()
    return result


if __name__ == "__main__":
    out_dir = Path(sys.argv[1])
    acc = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    res = run(out_dir, acc)
    if int(os.environ.get("RANK", "0")) == 0:
        atomic_save(res, out_dir / "result.safetensors")
