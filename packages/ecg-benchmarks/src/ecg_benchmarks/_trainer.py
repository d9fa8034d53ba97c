"""The trainer of the case template: ecg-train's BaseTrainer with the case's hooks.

Imported only when a case trains (it imports torch and ecg-train).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from ecg_train import BaseTrainer, CheckpointMismatchError, TrainConfig
from ecg_train.trainer.checkpoint import list_checkpoints, load_checkpoint

__all__ = ["CaseTrainer", "load_best_weights", "set_epoch"]


class CaseTrainer(BaseTrainer):
    """A BaseTrainer whose loss and validation are the case's hooks.

    Args:
        model: the task model.
        config: the typed training config.
        train_set, val_set: the Datasets (``val_set`` None: no per-epoch validation).
        loss: ``loss(trainer, batch) -> scalar tensor``.
        validate: ``validate(model, loader) -> {name: value}`` (logged as ``val_<name>``).
        arities: the tuple lengths of the items.
        on_epoch: called after every epoch with its number and metrics (loss next to the
            validation metric).
        on_resumed: called once a checkpoint has been accepted on resume.
        say: prints a message (a skipped unreadable checkpoint).
        val_batch_size: batch size of the validation loader (None: the training batch size).
        val_collate: collate function of the validation loader (None: torch's default).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        config: TrainConfig,
        train_set: Dataset[Any],
        val_set: Dataset[Any] | None,
        *,
        loss: Callable[[Any, tuple[torch.Tensor, ...]], torch.Tensor],
        validate: Callable[[torch.nn.Module, DataLoader[Any]], dict[str, float]],
        arities: tuple[int, ...],
        on_epoch: Callable[[int, dict[str, float]], None],
        on_resumed: Callable[[], None],
        say: Callable[[str], None],
        val_batch_size: int | None = None,
        val_collate: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        self._train_set = train_set
        self._val_batch_size = val_batch_size
        self._val_collate = val_collate
        self._val_set = val_set
        self._loss = loss
        self._validate = validate
        self._on_epoch = on_epoch
        self._on_resumed = on_resumed
        self._say = say
        self.item_arities = arities  # type: ignore[misc]
        super().__init__(model, config)

    def _setup_dataloaders(self) -> None:
        self.train_loader = self.make_loader(self._train_set, train=True)
        if self._val_set is not None and len(self._val_set):  # type: ignore[arg-type]
            self.val_loader = self.make_loader(
                self._val_set,
                train=False,
                batch_size=self._val_batch_size,
                collate_fn=self._val_collate,
            )

    def run_one_step(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        return self._loss(self, batch)

    def evaluate(self, data_loader: DataLoader[Any]) -> dict[str, float]:
        values = self._validate(self.model, data_loader)
        return {f"val_{k}": float(v) for k, v in values.items()}

    @property
    def extra_required_train_config_fields(self) -> list[str]:
        return []

    def _train_one_epoch(self) -> None:
        set_epoch(self._train_set, self.epoch)
        super()._train_one_epoch()

    def _end_of_epoch(self) -> bool:
        stop = super()._end_of_epoch()
        if self.is_main_process and self.epoch_history:
            self._on_epoch(self.epoch, dict(self.epoch_history[-1]))
        return stop

    def resume(self, path: str | Path) -> Path:
        """Resume from the newest checkpoint that loads; an unreadable one (truncated, damaged)
        is skipped with a message. A checkpoint of another model or config is refused."""
        folder = Path(path)
        candidates = list(reversed(list_checkpoints(folder))) if folder.is_dir() else [folder]
        if not candidates:
            raise CheckpointMismatchError(f"{folder} holds no trainer checkpoint")
        errors: list[str] = []
        for candidate in candidates:
            try:
                source = super().resume(candidate)
            except CheckpointMismatchError:
                raise
            except (ValueError, OSError, RuntimeError, EOFError, KeyError) as exc:
                errors.append(f"{candidate.name}: {exc}")
                self._say(f"checkpoint {candidate} cannot be read ({exc}); trying an older one")
                continue
            if errors:
                self._say(f"resuming from {source} (the newest valid checkpoint)")
            self._on_resumed()
            return source
        raise CheckpointMismatchError(f"no checkpoint of {folder} can be read: {'; '.join(errors)}")


def set_epoch(dataset: Any, epoch: int) -> None:
    """Call ``set_epoch(epoch)`` on ``dataset`` and on the Datasets it wraps (Subset, ConcatDataset),
    so that random crops and augmentations change from epoch to epoch."""
    if hasattr(dataset, "set_epoch"):
        dataset.set_epoch(epoch)
    inner = getattr(dataset, "dataset", None) or getattr(dataset, "base", None)
    if inner is not None and inner is not dataset:
        set_epoch(inner, epoch)
    for part in getattr(dataset, "datasets", ()) or ():
        set_epoch(part, epoch)


def load_best_weights(trainer: BaseTrainer, checkpoints: Path) -> None:
    """Load the best model's weights (``best_model.*`` of ``checkpoints``) into the model."""
    for best in sorted(checkpoints.glob("best_model.*")):
        if best.suffix in (".pt", ".safetensors") and best.is_file():
            state = load_checkpoint(best)
            trainer.model.load_state_dict(state["model"])
            break
    trainer.model.eval()
