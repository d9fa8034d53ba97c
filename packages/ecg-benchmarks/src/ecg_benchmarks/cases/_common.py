"""Shared pieces of the case studies: the training augmentation, a small CPU backbone and plots."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir

__all__ = ["TRAIN_AUGMENT", "small_resnet", "plot_per_class", "plot_confusion"]


TRAIN_AUGMENT: dict[str, float] = {"scale": 0.2, "noise_std": 0.05, "baseline_wander": 0.1}
"""Augmentation of the training items of the cases (random scaling, noise, baseline wander)."""


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
