"""Shared pieces of the case studies: the training augmentation, a small CPU backbone, plots, and
for a case that runs its own trainer (not the template's, :mod:`ecg_benchmarks.template`) the
train/resume loop over a :class:`~ecg_benchmarks.runs.RunDir`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from ecg_benchmarks.base import BenchmarkError, RunOptions
from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir
from ecg_benchmarks.template import TrainSettings

__all__ = [
    "TrainSettings",
    "TRAIN_AUGMENT",
    "train_config",
    "fit",
    "small_resnet",
    "save_best_model",
    "plot_per_class",
    "plot_confusion",
]


# ---------------------------------------------------------------- training


TRAIN_AUGMENT: dict[str, float] = {"scale": 0.2, "noise_std": 0.05, "baseline_wander": 0.1}
"""Augmentation of the training items of the cases (random scaling, noise, baseline wander)."""


def train_config(
    t: TrainSettings,
    *,
    epochs: int,
    device: str,
    seed: int,
    run: RunDir,
    monitor: str | None,
    progress: bool,
) -> dict[str, Any]:
    """The :class:`ecg_train.TrainConfig` mapping of a case (checkpoints and logs in ``run``)."""
    loggers = ("csv", "text", "tensorboard") if t.tensorboard else ("csv", "text")
    scheduler = t.scheduler if monitor is not None or t.scheduler != "plateau" else "none"
    return {
        "n_epochs": epochs,
        "batch_size": t.batch_size,
        "learning_rate": t.lr,
        "weight_decay": t.weight_decay,
        "scheduler": scheduler,
        "grad_clip": t.grad_clip,
        "monitor": monitor,
        "monitor_mode": "max",
        "early_stopping_patience": (
            t.early_stopping_patience if t.early_stopping_patience and monitor else None
        ),
        "checkpoint_dir": str(run.checkpoints),
        "log_dir": str(run.logs),
        "loggers": loggers,
        "log_every_n_steps": 1,
        "keep_checkpoint_max": 2,
        "seed": seed,
        "progress_bar": progress,
        "device": device,
    }


def fit(trainer: Any, run: RunDir, options: RunOptions, name: str) -> list[dict[str, Any]]:
    """Train (resuming from ``run.checkpoints`` when asked), write ``history.json``, load the
    best model into ``trainer.model`` and return the per-epoch history."""
    from ecg_benchmarks.base import RunInterruptedError
    from ecg_train.trainer.checkpoint import list_checkpoints, load_checkpoint
    from ecg_train.trainer.errors import CheckpointMismatchError, TrainingInterruptedError

    resume_from = None
    if options.resume:
        if not list_checkpoints(run.checkpoints):
            raise BenchmarkError(f"cannot resume: {run.checkpoints} holds no trainer checkpoint")
        resume_from = run.checkpoints
    try:
        trainer.train(resume_from=resume_from)
    except CheckpointMismatchError as exc:
        raise BenchmarkError(f"cannot resume {run.path}: {exc}") from exc
    except TrainingInterruptedError as exc:
        sig = "SIGTERM" if "SIGTERM" in str(exc) else "SIGINT"
        raise RunInterruptedError(sig, exc.checkpoint, run.path, name) from exc
    finally:
        trainer.close()
    history = [{"epoch": i + 1, **h} for i, h in enumerate(trainer.epoch_history)]
    if trainer.is_main_process:
        run.write_json(run.history, history)
        if options.progress and history:
            shown = ", ".join(
                f"{k} {v:.4f}" for k, v in history[-1].items() if k not in ("epoch", "lr")
            )
            print(f"{name}: epoch {history[-1]['epoch']}: {shown}", flush=True)
    best = run.checkpoints / "best_model.pt"
    if best.is_file():
        state = load_checkpoint(best)
        trainer.model.load_state_dict(state["model"])
    trainer.model.eval()
    return history


def save_best_model(model: torch.nn.Module, run: RunDir, filename: str = "model") -> str | None:
    """Save a task model of ecg-models as ``checkpoints/<filename>.safetensors``."""
    save = getattr(model, "save", None)
    if save is None:
        return None
    path = save(run.checkpoints / f"{filename}.safetensors")
    return str(Path(path).relative_to(run.path))


@torch.no_grad()
# ---------------------------------------------------------------- models


def small_resnet(width: int, n_stages: int = 4) -> Any:
    """A small ResNet backbone config (basic blocks, one per stage) for CPU runs.

    ``width`` is the number of filters of the first stage; the stages grow by 1.5x. The total
    down-sampling is 2 (stem) x 4 x 2^(n_stages - 1).
    """
    from ecg_models.registry import get_backbone_config

    if width < 4:
        raise ValueError(f"model.width must be >= 4 filters, got {width}")
    if not 1 <= n_stages <= 4:
        raise ValueError(f"n_stages must lie in [1, 4], got {n_stages}")
    base = get_backbone_config("resnet_nature_comm")
    filters = [int(round(width * 1.5**i)) for i in range(n_stages)]
    return dataclasses.replace(
        base,
        num_blocks=[1] * n_stages,
        filters=filters,
        filter_lengths=[9] * n_stages,
        subsample_lengths=[4] + [2] * (n_stages - 1),
        building_block=["basic"] * n_stages,
        conv_type=[None] * n_stages,
        attention=[None] * n_stages,
        attention_reduction=[8] * n_stages,
        dilations=[1] * n_stages,
        dropouts=[0.1] * n_stages,
        init_filters=width,
        init_filter_length=15,
        init_conv_stride=2,
    )


# ---------------------------------------------------------------- figures


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_per_class(
    run: RunDir,
    values: dict[str, dict[str, float]],
    filename: str,
    caption: str,
) -> None:
    """Grouped bars: ``values[metric][class]`` for each class (e.g. F1 and AUROC per class)."""
    plt = _plt()
    metrics = list(values)
    classes = list(values[metrics[0]]) if metrics else []
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(classes) + 2), 3.6))
    width = 0.8 / max(1, len(metrics))
    x = np.arange(len(classes))
    for i, m in enumerate(metrics):
        ys = [values[m].get(c, float("nan")) for c in classes]
        ax.bar(x + i * width - 0.4 + width / 2, np.nan_to_num(ys), width, label=m)
    ax.set_xticks(x, classes, rotation=60, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(add_figure(run, filename, caption), dpi=90)
    plt.close(fig)


def plot_confusion(
    run: RunDir,
    matrix: npt.NDArray[Any],
    labels: Sequence[str],
    filename: str,
    caption: str,
    xlabel: str = "predicted",
    ylabel: str = "true",
) -> None:
    """A labelled heat map of ``matrix`` (rows: true, columns: predicted)."""
    plt = _plt()
    n = len(labels)
    fig, ax = plt.subplots(figsize=(max(4.0, 0.45 * n + 2), max(3.5, 0.45 * n + 1.5)))
    im = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(n), labels, rotation=60, fontsize=8)
    ax.set_yticks(range(n), labels, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if n <= 12:
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                v = matrix[i, j]
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(add_figure(run, filename, caption), dpi=90)
    plt.close(fig)
