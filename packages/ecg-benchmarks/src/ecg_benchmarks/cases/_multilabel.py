"""Multi-label ECG classification with ECG_CRNN: the pipeline of cinc2021, cinc2020 and ptbxl.

A case gives its datasets (train and held-out), its class names and a scoring function; this
module builds the model, trains it with :class:`~ecg_benchmarks.cases._common.TaskTrainer`
(binary cross-entropy), selects the best epoch on half of the held-out records (``val``) and
scores the other half (``test``): the case's official metric plus macro AUROC / F1 from
:class:`ecg_train.metrics.classification.ClassificationMetrics`, per-class scores and a
co-occurrence matrix of true against predicted classes, and example records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from ecg_benchmarks.base import BenchmarkError, RunOptions
from ecg_benchmarks.cases._common import (
    TaskTrainer,
    TrainSettings,
    fit,
    plot_confusion,
    plot_per_class,
    predict_batches,
    save_best_model,
    small_resnet,
    train_config,
)
from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir

__all__ = [
    "CRNNSettings",
    "check_crnn_fields",
    "ScoreFn",
    "MultiLabelTask",
    "run_multilabel",
    "build_crnn",
]

#: ``score(labels, outputs_binary, probabilities) -> {metric: value}``; its first key is the
#: official metric of the case (monitored for the best model).
ScoreFn = Callable[
    [npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.float64]], dict[str, float]
]


@dataclass(slots=True)
class CRNNSettings:
    """ECG_CRNN settings (``model.*`` keys).

    ``backbone="small"`` is a one-block-per-stage ResNet of ``width`` filters, fast on a CPU;
    any backbone name of the ecg-models registry (e.g. ``resnet_nature_comm_bottle_neck_se``,
    torch_ecg's CinC 2021 choice) selects that backbone with its default config.
    """

    backbone: str = "small"
    width: int = 16
    rnn: Literal["none", "lstm", "gru"] = "none"
    rnn_hidden: int = 64
    attention: Literal["none", "se", "gc", "nl", "transformer"] = "se"
    global_pool: Literal["max", "avg", "attention"] = "max"
    dropout: float = 0.2
    threshold: float = 0.5

    def __post_init__(self) -> None:
        check_crnn_fields(self.width, self.rnn_hidden, self.dropout, self.threshold)


def check_crnn_fields(width: int, rnn_hidden: int, dropout: float, threshold: float) -> None:
    """Check the CRNN ``model.*`` keys shared by the cases' model settings.

    Raises:
        ValueError: a key out of its range (``model.width`` >= 4 filters, ``model.rnn_hidden``
            >= 1, ``model.dropout`` in [0, 1), ``model.threshold`` in (0, 1)).
    """
    if width < 4:
        raise ValueError(f"model.width must be >= 4 filters, got {width}")
    if rnn_hidden < 1:
        raise ValueError(f"model.rnn_hidden must be >= 1, got {rnn_hidden}")
    if not 0 <= dropout < 1:
        raise ValueError(f"model.dropout must lie in [0, 1), got {dropout}")
    if not 0 < threshold < 1:
        raise ValueError(f"model.threshold must lie in (0, 1), got {threshold}")


def build_crnn(m: CRNNSettings, classes: Sequence[str], n_leads: int, fs: float) -> Any:
    """An :class:`ecg_models.models.crnn.ECG_CRNN` from the settings."""
    from ecg_models.models.crnn import ECG_CRNN, CRNNConfig

    cfg = CRNNConfig(fs=fs)
    if m.backbone == "small":
        cfg.cnn.add("small", small_resnet(m.width))
        cfg.cnn.name = "small"
    else:
        cfg.cnn.name = m.backbone
    cfg.rnn.name = m.rnn
    cfg.rnn.hidden_size = m.rnn_hidden
    cfg.attn.name = m.attention
    cfg.global_pool = m.global_pool
    cfg.head.dropout = m.dropout
    cfg.threshold = m.threshold
    try:
        return ECG_CRNN(list(classes), n_leads, cfg)
    except ValueError as exc:
        raise BenchmarkError(f"bad model settings: {exc}") from exc


@dataclass(slots=True)
class MultiLabelTask:
    """What a multi-label case hands to :func:`run_multilabel`."""

    name: str
    classes: list[str]
    n_leads: int
    fs: float
    train_set: Dataset[Any]
    heldout_set: Dataset[Any]
    score: ScoreFn
    lead_names: list[str]
    record_names: list[str]  # names of the held-out items
    #: a validation set of its own (e.g. PTB-XL fold 9): then ``heldout_set`` is all test.
    val_set: Dataset[Any] | None = None


def _split_heldout(n: int) -> tuple[list[int], list[int]]:
    """Alternate held-out items between validation (even) and test (odd); with one item, both."""
    if n == 0:
        raise BenchmarkError("the held-out split is empty: add records or lower train.train_ratio")
    if n == 1:
        return [0], [0]
    return list(range(0, n, 2)), list(range(1, n, 2))


def _outputs(
    trainer_or_model: Any, loader: DataLoader[Any], device: torch.device
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    probs, labels = [], []
    for batch in loader:
        x = batch[0].to(device)
        probs.append(torch.sigmoid(trainer_or_model(x).float()).cpu().numpy())
        labels.append(batch[1].numpy() > 0.5)
    return np.concatenate(labels).astype(bool), np.concatenate(probs).astype(np.float64)


def run_multilabel(
    task: MultiLabelTask,
    model_settings: CRNNSettings,
    t: TrainSettings,
    *,
    epochs: int,
    device: str,
    seed: int,
    run: RunDir,
    options: RunOptions,
) -> dict[str, Any]:
    """Train, select, evaluate and plot one multi-label case; returns its metrics."""
    torch.manual_seed(seed)
    model = build_crnn(model_settings, task.classes, task.n_leads, task.fs)
    if task.val_set is not None:
        val_idx = list(range(len(task.val_set)))  # type: ignore[arg-type]
        test_idx = list(range(len(task.heldout_set)))  # type: ignore[arg-type]
        if not test_idx or not val_idx:
            raise BenchmarkError(
                f"{task.name}: the validation ({len(val_idx)}) or test ({len(test_idx)}) set is "
                "empty"
            )
        val_set: Dataset[Any] = task.val_set
    else:
        val_idx, test_idx = _split_heldout(len(task.heldout_set))  # type: ignore[arg-type]
        val_set = Subset(task.heldout_set, val_idx)
    test_set = Subset(task.heldout_set, test_idx)
    threshold = model_settings.threshold
    official = "val_" + next(iter(task.score(*_dummy(len(task.classes)))))

    def loss_fn(trainer: Any, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        logits = trainer.forward(batch[0])
        return torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), batch[1])

    def eval_fn(trainer: Any, loader: DataLoader[Any]) -> dict[str, float]:
        labels, probs = _outputs(trainer.model, loader, trainer.device)
        scores = task.score(labels, probs >= threshold, probs)
        return {f"val_{k}": float(v) for k, v in scores.items()}

    cfg = train_config(
        t,
        epochs=epochs,
        device=device,
        seed=seed,
        run=run,
        monitor=official,
        progress=options.progress,
    )
    trainer = TaskTrainer.create(model, cfg, task.train_set, val_set, loss_fn, eval_fn, (2,))
    history = fit(trainer, run, options, task.name)
    model = trainer.model
    if not trainer.is_main_process:
        return {"summary": f"{task.name}: rank {trainer.rank} done"}

    outs, targets = predict_batches(model, test_set, t.batch_size, device)
    probs = torch.sigmoid(torch.cat(outs)).numpy().astype(np.float64)
    labels = torch.cat(targets).numpy() > 0.5
    pred = probs >= threshold
    scores = task.score(labels, pred, probs)
    main_name = next(iter(scores))
    from ecg_train.metrics.classification import ClassificationMetrics

    res = ClassificationMetrics(multi_label=True, threshold=threshold, classes=task.classes)
    result = res.compute(labels, probs, pred)
    per_f1 = {c: float(v) for c, v in zip(task.classes, result.per_class["f1"], strict=True)}
    per_auc = {c: float(v) for c, v in zip(task.classes, result.per_class["auroc"], strict=True)}
    present = [i for i in range(len(task.classes)) if labels[:, i].any() or pred[:, i].any()]
    _figures(run, task, labels, pred, probs, present, per_f1, per_auc, test_idx)
    model_file = save_best_model(model, run)
    best_epoch = trainer.best_epoch
    metrics: dict[str, Any] = {k: float(v) for k, v in scores.items()}
    metrics.update(
        {
            "macro_f1": _finite(result.macro["f1"]),
            "macro_auroc": _finite(result.macro.get("auroc", float("nan"))),
            "subset_accuracy": _finite(result.accuracy),
            "best_epoch": int(best_epoch) if best_epoch is not None else len(history),
            "epochs_run": len(history),
            "n_train": len(task.train_set),  # type: ignore[arg-type]
            "n_val": len(val_idx),
            "n_test": len(test_idx),
            "n_classes": len(task.classes),
            "n_leads": task.n_leads,
            "per_class_f1": per_f1,
            "per_class_auroc": {k: v for k, v in per_auc.items() if np.isfinite(v)},
        }
    )
    if model_file is not None:
        metrics["model_file"] = model_file
    n_train = len(task.train_set)  # type: ignore[arg-type]
    metrics["summary"] = (
        f"{task.name}: {main_name} {scores[main_name]:.4f} on {len(test_idx)} held-out records "
        f"(macro F1 {_show(metrics['macro_f1'])}, macro AUROC {_show(metrics['macro_auroc'])}; "
        f"{n_train} training records, {len(history)} epochs)"
    )
    return metrics


def _finite(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def _show(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4f}"


def _dummy(n: int) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    z = np.zeros((1, n), dtype=bool)
    return z, z, z.astype(np.float64)


def _figures(
    run: RunDir,
    task: MultiLabelTask,
    labels: npt.NDArray[np.bool_],
    pred: npt.NDArray[np.bool_],
    probs: npt.NDArray[np.float64],
    present: list[int],
    per_f1: dict[str, float],
    per_auc: dict[str, float],
    test_idx: list[int],
) -> None:
    names = [task.classes[i] for i in present] or task.classes[:1]
    idx = present or [0]
    plot_per_class(
        run,
        {
            "F1": {task.classes[i]: per_f1[task.classes[i]] for i in idx},
            "AUROC": {task.classes[i]: per_auc[task.classes[i]] for i in idx},
        },
        "per_class.png",
        "Per-class F1 and AUROC on the test records (classes present in truth or prediction)",
    )
    co = labels[:, idx].astype(np.float64).T @ pred[:, idx].astype(np.float64)
    plot_confusion(
        run,
        co,
        names,
        "confusion.png",
        "Multi-label confusion: records with true class (row) and predicted class (column)",
    )
    _plot_examples(run, task, labels, probs, test_idx)


def _plot_examples(
    run: RunDir,
    task: MultiLabelTask,
    labels: npt.NDArray[np.bool_],
    probs: npt.NDArray[np.float64],
    test_idx: list[int],
) -> None:
    from ecg_benchmarks.cases._common import _plt

    plt = _plt()
    k = min(3, len(test_idx))
    fig, axes = plt.subplots(k, 1, figsize=(11, 2.2 * k), squeeze=False)
    for row in range(k):
        sig = task.heldout_set[test_idx[row]][0].numpy()
        ax = axes[row][0]
        t = np.arange(sig.shape[-1]) / task.fs
        lead = 1 if sig.shape[0] > 1 else 0
        ax.plot(t, sig[lead], lw=0.6, color="k")
        true = [c for c, y in zip(task.classes, labels[row], strict=True) if y]
        top = np.argsort(-probs[row])[:3]
        guess = ", ".join(f"{task.classes[i]} {probs[row, i]:.2f}" for i in top)
        name = task.record_names[test_idx[row]]
        ax.set_title(
            f"{name} (lead {task.lead_names[lead]}): true {', '.join(true) or 'none'} | "
            f"predicted top-3 {guess}",
            fontsize=8,
        )
        ax.set_xlabel("time (s)", fontsize=8)
    fig.tight_layout()
    fig.savefig(
        add_figure(run, "examples.png", "Test records with true classes and predicted scores"),
        dpi=90,
    )
    plt.close(fig)
