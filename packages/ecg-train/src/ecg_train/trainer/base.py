"""BaseTrainer: the common steps of a training loop; task-specific hooks are abstract.

Resume is exact: the data order depends only on ``(seed, epoch)``, the checkpoint holds the
model, optimizer, scheduler and scaler states, the python/numpy/torch RNG states, the DataLoader
generator state at the start of the epoch and the number of batches already consumed, so an
interrupted and resumed run reproduces the uninterrupted loss trajectory bit for bit on the CPU
(with ``num_workers=0``).
"""

from __future__ import annotations

import contextlib
import math
import random
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from ecg_signal.threads import torch_threads
from ecg_train._config import config_from, config_to_dict
from ecg_train.loggers import LoggerManager
from ecg_train.protocols import validate_item
from ecg_train.trainer import checkpoint as ckpt
from ecg_train.trainer import distributed as ddp
from ecg_train.trainer.config import TrainConfig
from ecg_train.trainer.errors import (
    CheckpointMismatchError,
    NonFiniteLossError,
    TrainingInterruptedError,
)
from ecg_train.trainer.interrupts import stop_signal_handlers
from ecg_train.trainer.optim import Scheduler, build_optimizer, build_scheduler

__all__ = ["BaseTrainer"]

CHECKPOINT_FORMAT = 2  # 2: safetensors + JSON (1 was a pickle)
# Fields that define the trajectory: a checkpoint written with other values cannot be resumed.
_TRAJECTORY_FIELDS = (
    "batch_size",
    "learning_rate",
    "optimizer",
    "scheduler",
    "grad_accumulation",
    "seed",
    "amp",
    "amp_dtype",
)


class BaseTrainer(ABC):
    """Base class of trainers.

    Subclasses implement :meth:`_setup_dataloaders` (build ``self.train_loader`` and optionally
    ``self.val_loader`` with :meth:`make_loader`), :meth:`run_one_step` (return the scalar loss
    of one batch, calling the model through :meth:`forward`), :meth:`evaluate` (metrics of a
    loader, used for best-model selection and early stopping) and
    :attr:`extra_required_train_config_fields`.

    Args:
        model: an ``nn.Module`` (with ``n_leads`` its dataset items are checked against it).
        train_config: a :class:`TrainConfig` (or subclass given by ``config_class``) or a mapping.
    """

    config_class: ClassVar[type[TrainConfig]] = TrainConfig
    item_arities: ClassVar[tuple[int, ...]] = (2, 3)

    train_config: TrainConfig
    device: torch.device
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Scheduler | None
    scaler: torch.amp.GradScaler | None
    loggers: LoggerManager
    epoch: int
    global_step: int
    batches_done: int
    best_metric: float | None
    best_epoch: int | None
    bad_epochs: int
    loss_history: list[float]
    epoch_history: list[dict[str, float]]
    last_checkpoint: Path | None

    def __init__(
        self, model: torch.nn.Module, train_config: Mapping[str, Any] | TrainConfig
    ) -> None:
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        self.train_config = config_from(self.config_class, train_config)
        self._check_required_fields()
        cfg = self.train_config
        dev = cfg.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.device = torch.device(dev)
        if cfg.amp and cfg.amp_dtype == "float16" and self.device.type != "cuda":
            raise ValueError("amp_dtype='float16' needs a CUDA device; use 'bfloat16' on the CPU")
        self._owns_process_group = ddp.init_distributed(self.device)
        self.rank, self.world_size = ddp.rank(), ddp.world_size()
        if cfg.batch_size % self.world_size:
            raise ValueError(
                f"batch_size={cfg.batch_size} (global) is not divisible by the "
                f"world size {self.world_size}"
            )
        self.model = model.to(self.device)
        self._ddp_module = DistributedDataParallel(self.model) if ddp.is_distributed() else None
        self.train_module: torch.nn.Module = self._ddp_module or self.model
        if cfg.compile:
            self.train_module = torch.compile(self.train_module)  # type: ignore[assignment]
        self.train_loader: DataLoader[Any] | None = None
        self.val_loader: DataLoader[Any] | None = None
        self._loader_generator = torch.Generator()
        self._epoch_generator_state = self._loader_generator.get_state()
        self._setup_dataloaders()
        if self.train_loader is None:
            raise ValueError("_setup_dataloaders must set self.train_loader (use make_loader)")
        self.optimizer = build_optimizer(self.model.parameters(), cfg)
        self.steps_per_epoch = math.ceil(self.batches_per_epoch / cfg.grad_accumulation)
        self.scheduler = build_scheduler(self.optimizer, cfg, self.steps_per_epoch * cfg.n_epochs)
        use_scaler = cfg.amp and cfg.amp_dtype == "float16"
        self.scaler = torch.amp.GradScaler("cuda") if use_scaler else None
        self.loggers = LoggerManager.from_config(
            {"log_dir": cfg.log_dir, "loggers": cfg.loggers, "enabled": self.is_main_process}
        )
        self.epoch = 0  # epochs completed
        self.global_step = 0  # optimizer steps taken
        self.batches_done = 0  # micro-batches consumed in the current epoch
        self.best_metric = None
        self.best_epoch = None
        self.bad_epochs = 0
        self.loss_history = []
        self.epoch_history = []
        self.last_checkpoint = None
        self._stop_signal: str | None = None

    # ---------------------------------------------------------------- abstract hooks
    @abstractmethod
    def _setup_dataloaders(self) -> None:
        """Set ``self.train_loader`` (and ``self.val_loader``) with :meth:`make_loader`."""

    @abstractmethod
    def run_one_step(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Scalar loss of one batch (already on the device); use :meth:`forward` for the model."""

    @abstractmethod
    def evaluate(self, data_loader: DataLoader[Any]) -> dict[str, float]:
        """Metrics of ``data_loader`` (this rank's shard under DDP; the base reduces them)."""

    @property
    @abstractmethod
    def extra_required_train_config_fields(self) -> list[str]:
        """Names that must be set (not None) in the config or its ``extra`` mapping."""

    # ---------------------------------------------------------------- helpers
    @property
    def is_main_process(self) -> bool:
        """True on rank 0 (which logs and writes checkpoints)."""
        return self.rank == 0

    @property
    def batches_per_epoch(self) -> int:
        """Micro-batches per epoch on this rank."""
        loader = self._require_train_loader()
        sampler = loader.sampler
        if not isinstance(sampler, ddp.ResumableDistributedSampler):
            raise TypeError("train_loader must be built with make_loader(dataset, train=True)")
        n = sampler.num_samples
        bs = loader.batch_size or 1
        return math.ceil(n / bs)

    def _require_train_loader(self) -> DataLoader[Any]:
        if self.train_loader is None:
            raise ValueError("_setup_dataloaders must set self.train_loader (use make_loader)")
        return self.train_loader

    def _check_required_fields(self) -> None:
        missing = []
        for name in self.extra_required_train_config_fields:
            try:
                value = self.train_config.get(name)
            except KeyError:
                value = None
            if value is None:
                missing.append(name)
        if missing:
            raise ValueError(
                f"train config of {type(self).__name__} is missing required field(s) "
                f"{', '.join(map(repr, missing))} (set them as fields or in 'extra')"
            )

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Call the model (through DDP when distributed)."""
        return self.train_module(*args, **kwargs)

    def make_loader(
        self,
        dataset: Dataset[Any],
        *,
        train: bool,
        batch_size: int | None = None,
        collate_fn: Any = None,
    ) -> DataLoader[Any]:
        """DataLoader with a resumable distributed sampler (train) or a rank shard (eval).

        Args:
            dataset: map-style dataset of ``(signals, labels[, masks])`` items.
            train: shuffle with the resumable sampler when True.
            batch_size: GLOBAL batch size (default ``train_config.batch_size``).
            collate_fn: optional collate function.

        Raises:
            ValueError: empty dataset, or an item of the wrong arity / number of leads.
        """
        n = len(dataset)  # type: ignore[arg-type]
        if n == 0:
            raise ValueError("the dataset is empty (0 items)")
        n_leads = getattr(self.model, "n_leads", None)
        validate_item(
            dataset[0],
            n_leads=n_leads if isinstance(n_leads, int) else None,
            arities=self.item_arities,
        )
        gbs = batch_size or self.train_config.batch_size
        if gbs % self.world_size:
            raise ValueError(f"batch_size={gbs} is not divisible by world size {self.world_size}")
        sampler: ddp.ResumableDistributedSampler | ddp.ShardSampler
        if train:
            sampler = ddp.ResumableDistributedSampler(
                dataset,
                num_replicas=self.world_size,
                rank=self.rank,
                shuffle=True,
                seed=self.train_config.seed,
            )
        else:
            sampler = ddp.ShardSampler(n, num_replicas=self.world_size, rank=self.rank)
        return DataLoader(
            dataset,
            batch_size=gbs // self.world_size,
            sampler=sampler,
            num_workers=self.train_config.num_workers,
            collate_fn=collate_fn,
            generator=self._loader_generator if train else None,
        )

    def request_stop(self, reason: str = "request_stop") -> None:
        """Ask the loop to checkpoint and raise :class:`TrainingInterruptedError` after this step."""
        self._stop_signal = reason

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        cfg = self.train_config
        if not cfg.amp:
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if cfg.amp_dtype == "bfloat16" else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    def _to_device(self, batch: object) -> tuple[torch.Tensor, ...]:
        if not isinstance(batch, tuple | list) or len(batch) not in self.item_arities:
            got = len(batch) if isinstance(batch, tuple | list) else type(batch).__name__
            raise ValueError(
                f"a batch must be a tuple of {' or '.join(map(str, self.item_arities))} tensors "
                f"(signals, labels[, masks]), got arity {got}"
            )
        return tuple(t.to(self.device) if isinstance(t, torch.Tensor) else t for t in batch)

    # ---------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly."""
        return {
            "format": CHECKPOINT_FORMAT,
            "model_class": type(self.model).__qualname__,
            "classes": list(getattr(self.model, "classes", []) or []),
            "config": config_to_dict(self.train_config),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "scaler": None if self.scaler is None else self.scaler.state_dict(),
            "rng": ckpt.capture_rng_state(),
            "loader_generator": self._epoch_generator_state,
            "epoch": self.epoch,
            "global_step": self.global_step,
            "batches_done": self.batches_done,
            "best_metric": self.best_metric,
            "best_epoch": self.best_epoch,
            "bad_epochs": self.bad_epochs,
            "loss_history": list(self.loss_history),
            "epoch_history": list(self.epoch_history),
        }

    def save_checkpoint(self) -> Path | None:
        """Atomically write a checkpoint (rank 0), rotate old ones; return its path."""
        path: Path | None = None
        if self.is_main_process:
            folder = Path(self.train_config.checkpoint_dir)
            path = folder / ckpt.checkpoint_name(self.epoch, self.global_step)
            ckpt.atomic_save(self.state_dict(), path)
            ckpt.rotate_checkpoints(folder, self.train_config.keep_checkpoint_max)
            self.last_checkpoint = path
        if ddp.is_distributed():
            torch.distributed.barrier()
        return path

    def _check_compatible(self, state: Mapping[str, Any], source: Path) -> None:
        if state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointMismatchError(
                f"{source}: unsupported checkpoint format {state.get('format')!r}"
            )
        if state["model_class"] != type(self.model).__qualname__:
            raise CheckpointMismatchError(
                f"{source} holds a {state['model_class']} model, this trainer has "
                f"{type(self.model).__qualname__}"
            )
        classes = list(getattr(self.model, "classes", []) or [])
        if state.get("classes", []) != classes:
            raise CheckpointMismatchError(
                f"{source} was trained on classes {state.get('classes')}, the model has {classes}"
            )
        own = self.model.state_dict()
        theirs = state["model"]
        bad = sorted(set(own) ^ set(theirs))
        bad += [k for k in own if k in theirs and tuple(own[k].shape) != tuple(theirs[k].shape)]
        if bad:
            raise CheckpointMismatchError(
                f"{source} does not fit the model architecture (parameters {bad[:5]} differ)"
            )
        mine = config_to_dict(self.train_config)
        diff = [f for f in _TRAJECTORY_FIELDS if state["config"].get(f) != mine.get(f)]
        if diff:
            detail = ", ".join(f"{f}: {state['config'].get(f)!r} vs {mine.get(f)!r}" for f in diff)
            raise CheckpointMismatchError(
                f"{source} was written with another training config ({detail})"
            )

    def resume(self, path: str | Path) -> Path:
        """Restore a checkpoint file, or the newest checkpoint of a folder; return its path."""
        source = ckpt.latest_checkpoint(path)
        state = ckpt.load_checkpoint(source)
        self._check_compatible(state, source)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state["scaler"] is not None:
            self.scaler.load_state_dict(state["scaler"])
        ckpt.restore_rng_state(state["rng"])
        self._epoch_generator_state = state["loader_generator"]
        self._loader_generator.set_state(self._epoch_generator_state)
        self.epoch = int(state["epoch"])
        self.global_step = int(state["global_step"])
        self.batches_done = int(state["batches_done"])
        self.best_metric = state["best_metric"]
        self.best_epoch = state["best_epoch"]
        self.bad_epochs = int(state["bad_epochs"])
        self.loss_history = list(state["loss_history"])
        self.epoch_history = list(state["epoch_history"])
        self.last_checkpoint = source
        self.loggers.truncate(self.global_step, self.epoch)
        return source

    # ---------------------------------------------------------------- loop
    def _seed_everything(self) -> None:
        seed = self.train_config.seed
        random.seed(seed)
        np.random.seed(seed % 2**32)  # noqa: NPY002 - the global RNG used by datasets
        torch.manual_seed(seed)
        self._loader_generator.manual_seed(seed)

    def train(self, resume_from: str | Path | None = None) -> dict[str, float]:
        """Run the training loop; return the final metrics.

        Raises:
            NonFiniteLossError: NaN/inf loss (names the step; the last checkpoint stays valid).
            TrainingInterruptedError: SIGINT/SIGTERM or :meth:`request_stop`, after a checkpoint.
        """
        if resume_from is not None:
            self.resume(resume_from)
        else:
            self._seed_everything()
        self.loggers.log_config(config_to_dict(self.train_config))
        stopped_early = False
        with torch_threads(self.train_config.num_threads), stop_signal_handlers(self.request_stop):
            while self.epoch < self.train_config.n_epochs and not stopped_early:
                self._train_one_epoch()
                stopped_early = self._end_of_epoch()
        final = dict(self.epoch_history[-1]) if self.epoch_history else {}
        if self.best_metric is not None:
            final["best_" + str(self.train_config.monitor)] = float(self.best_metric)
        final["global_step"] = float(self.global_step)
        self.loggers.log_final(final)
        self.loggers.flush()
        return final

    def _train_one_epoch(self) -> None:
        cfg = self.train_config
        loader = self._require_train_loader()
        sampler = loader.sampler
        if not isinstance(sampler, ddp.ResumableDistributedSampler):
            raise TypeError("train_loader must be built with make_loader(dataset, train=True)")
        sampler.set_epoch(self.epoch)
        sampler.skip = self.batches_done * (loader.batch_size or 1)
        if self.batches_done == 0:
            self._epoch_generator_state = self._loader_generator.get_state()
        else:
            self._loader_generator.set_state(self._epoch_generator_state)
        n_batches = self.batches_per_epoch
        self.model.train()
        show = cfg.progress_bar and self.is_main_process and sys.stderr.isatty()
        bar = tqdm(
            loader,
            total=n_batches,
            initial=self.batches_done,
            desc=f"epoch {self.epoch + 1}/{cfg.n_epochs}",
            disable=not show,
            leave=False,
        )
        acc_loss = 0.0
        bad_batch: int | None = None
        bad_value = 0.0
        for raw in bar:
            batch = self._to_device(raw)
            group_start = (self.batches_done // cfg.grad_accumulation) * cfg.grad_accumulation
            group = min(cfg.grad_accumulation, n_batches - group_start)
            self.batches_done += 1
            boundary = self.batches_done - group_start == group
            with self._autocast():
                loss = self.run_one_step(batch)
            if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                raise TypeError("run_one_step must return a scalar loss tensor")
            value = float(loss.detach().float())
            if not math.isfinite(value) and bad_batch is None:
                bad_batch, bad_value = self.batches_done, value
            ddp_module = self._ddp_module
            ctx = (
                ddp_module.no_sync()
                if ddp_module is not None and not boundary
                else contextlib.nullcontext()
            )
            with ctx:
                scaled = loss / group
                if self.scaler is not None:
                    scaled = torch.as_tensor(self.scaler.scale(scaled))
                scaled.backward()  # type: ignore[no-untyped-call]
            acc_loss += value / group
            if boundary:
                self._optimizer_step(acc_loss, bad_batch, bad_value)
                acc_loss, bad_batch = 0.0, None
        bar.close()

    def _optimizer_step(self, acc_loss: float, bad_batch: int | None, bad_value: float) -> None:
        cfg = self.train_config
        flags = torch.tensor(
            [
                acc_loss if bad_batch is None else 0.0,
                float(bad_batch is not None),
                float(self._stop_signal is not None),
            ],
            dtype=torch.float64,
        )
        if ddp.is_distributed():
            torch.distributed.all_reduce(flags)
            flags[0] /= self.world_size
        if flags[1] > 0:
            self.optimizer.zero_grad(set_to_none=True)
            where = f"at optimizer step {self.global_step + 1} (epoch {self.epoch + 1}"
            where += f", batch {bad_batch})" if bad_batch is not None else ", on another rank)"
            raise NonFiniteLossError(
                f"non-finite loss {bad_value} {where}; training stopped, no checkpoint was written "
                f"for this step (last checkpoint: {self.last_checkpoint})",
                step=self.global_step + 1,
                epoch=self.epoch,
            )
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if cfg.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.scheduler is not None and cfg.scheduler in ("one_cycle", "cosine"):
            self.scheduler.step()
        self.global_step += 1
        loss_value = float(flags[0])
        self.loss_history.append(loss_value)
        if self.global_step % cfg.log_every_n_steps == 0:
            lr = float(self.optimizer.param_groups[0]["lr"])
            self.loggers.log_scalars({"loss": loss_value, "lr": lr}, self.global_step, "train")
        every = cfg.checkpoint_every_n_steps
        if flags[2] > 0:
            path = self.save_checkpoint()
            raise TrainingInterruptedError(
                f"training interrupted ({self._stop_signal or 'signal on another rank'}) at step "
                f"{self.global_step}; checkpoint: {path}",
                checkpoint=path,
            )
        if (
            every is not None
            and self.global_step % every == 0
            and self.batches_done < self.batches_per_epoch
        ):
            self.save_checkpoint()

    def _end_of_epoch(self) -> bool:
        """Evaluate, log, select the best model, checkpoint; True to stop early."""
        cfg = self.train_config
        n = self.batches_per_epoch
        epoch_losses = self.loss_history[-math.ceil(n / cfg.grad_accumulation) :]
        self.epoch += 1
        self.batches_done = 0
        metrics: dict[str, float] = {}
        if self.val_loader is not None:
            self.model.eval()
            with torch.no_grad(), self._autocast():
                local = ddp.check_metrics(
                    self.evaluate(self.val_loader), f"{type(self).__name__}.evaluate"
                )
            metrics = ddp.reduce_metrics(local, weight=float(len(self.val_loader.sampler)))  # type: ignore[arg-type]
            self.model.train()
        metrics["train_loss"] = float(np.mean(epoch_losses)) if epoch_losses else float("nan")
        metrics["lr"] = float(self.optimizer.param_groups[0]["lr"])
        self.epoch_history.append(dict(metrics))
        self.loggers.log_scalars(metrics, self.epoch, "epoch")
        stop = False
        if cfg.monitor is not None:
            if cfg.monitor not in metrics:
                raise KeyError(
                    f"monitor metric {cfg.monitor!r} is not among the evaluated metrics "
                    f"{sorted(metrics)}"
                )
            value = float(metrics[cfg.monitor])
            if self.scheduler is not None and cfg.scheduler == "plateau":
                self.scheduler.step(value)  # type: ignore[arg-type]
            if self._improved(value):
                self.best_metric, self.best_epoch, self.bad_epochs = value, self.epoch, 0
                if self.is_main_process:
                    best = {
                        "format": CHECKPOINT_FORMAT,
                        "model_class": type(self.model).__qualname__,
                        "classes": list(getattr(self.model, "classes", []) or []),
                        "model": self.model.state_dict(),
                        "monitor": cfg.monitor,
                        "metric": value,
                        "epoch": self.epoch,
                    }
                    ckpt.atomic_save(best, Path(cfg.checkpoint_dir) / "best_model.pt")
            else:
                self.bad_epochs += 1
            patience = cfg.early_stopping_patience
            stop = patience is not None and self.bad_epochs >= patience
        self.save_checkpoint()
        return stop

    def _improved(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.best_metric is None:
            return True
        delta = self.train_config.early_stopping_min_delta
        if self.train_config.monitor_mode == "max":
            return value > self.best_metric + delta
        return value < self.best_metric - delta

    def close(self) -> None:
        """Close loggers and the process group this trainer created."""
        self.loggers.close()
        if self._owns_process_group and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model={type(self.model).__name__}, epoch={self.epoch}, "
            f"step={self.global_step}, world_size={self.world_size})"
        )
