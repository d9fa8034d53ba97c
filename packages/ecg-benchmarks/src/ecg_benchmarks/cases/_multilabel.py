"""Multi-label ECG classification with ECG_CRNN on the case template: cinc2021, cinc2020, ptbxl.

:class:`MultiLabelCase` gives the template's hooks for every multi-label case: the model
(:func:`build_crnn`), the loss (binary cross-entropy, ecg-train's ``masked_bce_with_logits`` over
every output), the per-epoch validation (the case's official metric), the held-out evaluation
(the model's ``inference``, scored with the official metric plus macro AUROC / F1 of ecg-train's
``ClassificationMetrics``, per-class scores), the figures and the per-record prediction. A case gives its data split
(:meth:`MultiLabelCase.split`), every record of a folder (:meth:`MultiLabelCase.all_records`),
its scorer and the lead names its model reads.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import DataLoader, Dataset

from ecg_benchmarks.base import BenchmarkError, BenchmarkSettings
from ecg_benchmarks.cases._common import plot_confusion, plot_per_class, small_resnet
from ecg_benchmarks.predictions import Prediction, Record
from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir
from ecg_benchmarks.template import Case, CaseData, DataSource, Evaluation

__all__ = [
    "CRNNSettings",
    "check_crnn_fields",
    "ScoreFn",
    "MultiLabelCase",
    "MultiLabelTest",
    "build_crnn",
    "select_leads",
]

#: ``score(labels, outputs_binary, probabilities) -> {metric: value}``; its first key is the
#: official metric of the case.
ScoreFn = Callable[
    [npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.float64]], dict[str, float]
]

S = TypeVar("S", bound=BenchmarkSettings)


@dataclass(slots=True)
class CRNNSettings:
    """ECG_CRNN settings (``model.*`` keys).

    Attributes:
        backbone: ``small`` (a one-block-per-stage ResNet of ``width`` filters, fast on a CPU)
            or any backbone name of the ecg-models registry (e.g.
            ``resnet_nature_comm_bottle_neck_se``) with its default config.
        width: filters of the first stage of the small backbone (>= 4).
        rnn: recurrent layer after the backbone: none, lstm or gru.
        rnn_hidden: units of the recurrent layer (>= 1).
        attention: attention after the backbone: none, se, gc, nl or transformer.
        global_pool: pooling over time: max, avg or attention.
        dropout: dropout of the head, in [0, 1).
        threshold: probability above which a class is predicted, in (0, 1).
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
class MultiLabelTest:
    """Held-out records: ``build(classes)`` gives ``(dataset, record names)`` with the label
    columns in the order of ``classes`` (the model's), and ``extra`` metrics of the split."""

    build: Callable[[tuple[str, ...]], tuple[Dataset[Any], list[str]]]
    extra: dict[str, Any] = field(default_factory=dict)


def select_leads(record: Record, wanted: Sequence[str]) -> npt.NDArray[np.float32]:
    """The leads ``wanted`` of ``record`` (by name, case-insensitive; by position when the record
    has as many leads with other names).

    Raises:
        BenchmarkError: the record lacks a lead and has another number of leads.
    """
    names = [n.upper() for n in record.leads]
    idx = [names.index(w.upper()) for w in wanted if w.upper() in names]
    if len(idx) == len(wanted):
        return record.signal[idx]
    if len(record.leads) == len(wanted):
        return record.signal
    raise BenchmarkError(
        f"record {record.name} has the leads {list(record.leads)}; the model reads {list(wanted)}"
    )


class MultiLabelCase(Case[S]):
    """The template's hooks for multi-label classification with ECG_CRNN.

    Subclasses give :meth:`split`, :meth:`all_records`, :meth:`scorer` and :meth:`lead_names`;
    their settings have ``data.fs``, ``data.duration_s``, ``model`` (:class:`CRNNSettings`) and
    ``train``.
    """

    item_arities: ClassVar[tuple[int, ...]] = (2,)
    #: how ClassificationMetrics treats a class with an undefined score (no positive, zero
    #: denominator): "zero" counts it as 0 (scikit-learn), "omit" leaves it out of the macro means
    #: (the official PhysioNet/CinC evaluate_model.py)
    macro_undefined: ClassVar[Literal["zero", "omit"]] = "zero"

    @abc.abstractmethod
    def split(self, settings: S, source: DataSource) -> CaseData:
        """Train / validation Datasets and the held-out :class:`MultiLabelTest`; ``info`` holds
        ``classes`` and ``leads``."""

    @abc.abstractmethod
    def all_records(
        self, settings: S, source: DataSource, classes: tuple[str, ...]
    ) -> tuple[Dataset[Any], list[str]]:
        """Every record of ``source`` (no augmentation), labelled over ``classes``."""

    @abc.abstractmethod
    def scorer(self, classes: list[str]) -> ScoreFn:
        """The official metric over ``classes`` (first key) and any others."""

    @abc.abstractmethod
    def lead_names(self, settings: S) -> tuple[str, ...]:
        """The leads the model reads, in input order."""

    def title(self, settings: S) -> str:
        """The case as named in the summary line."""
        return self.name

    # ---------------------------------------------------------------- template hooks
    def load_data(self, settings: S, source: DataSource) -> CaseData:
        return self.split(settings, source)

    def build_model(self, settings: S, data: CaseData) -> torch.nn.Module:
        s: Any = settings
        model: torch.nn.Module = build_crnn(
            s.model, data.info["classes"], len(data.info["leads"]), float(s.data.fs)
        )
        return model

    def loss(self, settings: S, trainer: Any, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        from ecg_train import masked_bce_with_logits

        logits = trainer.forward(batch[0]).float()
        return masked_bce_with_logits(logits, batch[1], torch.ones_like(logits))

    def validate(
        self, settings: S, model: torch.nn.Module, loader: DataLoader[Any]
    ) -> dict[str, float]:
        classes = list(getattr(model, "classes"))  # noqa: B009 - a TaskModel attribute
        labels, probs = _outputs(model, loader, next(model.parameters()).device)
        threshold = float(getattr(settings, "model").threshold)  # noqa: B009
        return {
            k: float(v) for k, v in self.scorer(classes)(labels, probs >= threshold, probs).items()
        }

    def eval_data(self, settings: S, source: DataSource) -> MultiLabelTest:
        return MultiLabelTest(lambda classes: self.all_records(settings, source, classes))

    def evaluate_model(self, settings: S, model: torch.nn.Module, test: Any) -> Evaluation:
        from ecg_train.metrics.classification import ClassificationMetrics

        s: Any = settings
        if not isinstance(test, MultiLabelTest):
            raise TypeError(f"expected a MultiLabelTest, got {type(test).__name__}")
        classes = [str(c) for c in getattr(model, "classes")]  # noqa: B009
        dataset, names = test.build(tuple(classes))
        if len(dataset) == 0:  # type: ignore[arg-type]
            raise BenchmarkError(f"{self.name}: no record to evaluate")
        loader: DataLoader[Any] = DataLoader(dataset, batch_size=s.train.batch_size)
        device = next(model.parameters()).device
        infer: Any = model
        parts = [(infer.inference(x.to(device)).prob, y.numpy() > 0.5) for x, y in loader]
        probs = np.concatenate([p for p, _ in parts]).astype(np.float64)
        labels = np.concatenate([y for _, y in parts]).astype(bool)
        threshold = float(s.model.threshold)
        pred = probs >= threshold
        scores = self.scorer(classes)(labels, pred, probs)
        main_name = next(iter(scores))
        res = ClassificationMetrics(
            multi_label=True, threshold=threshold, classes=classes, undefined=self.macro_undefined
        )
        result = res.compute(labels, probs, pred)
        per_f1 = {c: float(v) for c, v in zip(classes, result.per_class["f1"], strict=True)}
        per_auc = {c: float(v) for c, v in zip(classes, result.per_class["auroc"], strict=True)}
        metrics: dict[str, Any] = {k: float(v) for k, v in scores.items()}
        metrics.update(
            {
                "macro_f1": _finite(result.macro["f1"]),
                "macro_auroc": _finite(result.macro.get("auroc", float("nan"))),
                "subset_accuracy": _finite(result.accuracy),
                "n_test": len(names),
                "n_classes": len(classes),
                "n_leads": int(getattr(model, "n_leads")),  # noqa: B009
                "per_class_f1": per_f1,
                "per_class_auroc": {k: v for k, v in per_auc.items() if np.isfinite(v)},
                **test.extra,
            }
        )
        if main_name in ("macro_auroc",):
            metrics[main_name] = _finite(scores[main_name])
        summary = (
            f"{self.title(settings)}: {main_name} {_show(metrics[main_name])} on {len(names)} "
            f"held-out records (macro F1 {_show(metrics['macro_f1'])}, macro AUROC "
            f"{_show(metrics['macro_auroc'])})"
        )
        details = {
            "labels": labels,
            "pred": pred,
            "probs": probs,
            "names": names,
            "dataset": dataset,
            "classes": classes,
            "per_f1": per_f1,
            "per_auc": per_auc,
            "fs": float(s.data.fs),
            "leads": list(self.lead_names(settings)),
        }
        return Evaluation(metrics, summary, details)

    def figures(self, settings: S, run: RunDir, evaluation: Evaluation, data: CaseData) -> None:
        _figures(run, evaluation.details)

    def predict_record(self, settings: S, model: Any, record: Record) -> Prediction:
        """Class probabilities of one record: its leads resampled to ``data.fs``, preprocessed as
        the Datasets do, cut into windows of ``data.duration_s`` (the last zero-padded) whose
        probabilities are averaged."""
        from ecg_data.datasets.base import PreprocCfg, apply_preproc, fix_length
        from ecg_signal import resample

        s: Any = settings
        fs = float(s.data.fs)
        sig = select_leads(record, self.lead_names(settings)).astype(np.float32)
        if record.fs != fs:
            sig = resample(sig, record.fs, fs).astype(np.float32)
        sig = apply_preproc(sig, fs, PreprocCfg())
        n = int(round(s.data.duration_s * fs))
        starts = range(0, max(sig.shape[-1] - n, 0) + 1, n)
        batch = np.stack([fix_length(sig[:, a : a + n], n)[0] for a in starts])
        out = model.inference(torch.from_numpy(batch))
        prob = np.asarray(out.prob, dtype=np.float64).mean(axis=0)
        classes = {str(c): float(p) for c, p in zip(model.classes, prob, strict=True)}
        labels = [c for c, p in classes.items() if p >= s.model.threshold]
        return Prediction(classes=classes, labels=labels)


@torch.no_grad()
def _outputs(
    model: torch.nn.Module, loader: DataLoader[Any], device: torch.device
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    probs, labels = [], []
    for batch in loader:
        x = batch[0].to(device)
        probs.append(torch.sigmoid(model(x).float()).cpu().numpy())
        labels.append(batch[1].numpy() > 0.5)
    if not probs:
        raise BenchmarkError("no record to score")
    return np.concatenate(labels).astype(bool), np.concatenate(probs).astype(np.float64)


def _finite(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def _show(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4f}"


def _figures(run: RunDir, d: dict[str, Any]) -> None:
    classes: list[str] = d["classes"]
    labels, pred = d["labels"], d["pred"]
    present = [i for i in range(len(classes)) if labels[:, i].any() or pred[:, i].any()]
    idx = present or [0]
    names = [classes[i] for i in idx]
    plot_per_class(
        run,
        {
            "F1": {classes[i]: d["per_f1"][classes[i]] for i in idx},
            "AUROC": {classes[i]: d["per_auc"][classes[i]] for i in idx},
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
    _plot_examples(run, d)


def _plot_examples(run: RunDir, d: dict[str, Any]) -> None:
    from ecg_benchmarks.cases._common import _plt

    plt = _plt()
    classes, labels, probs = d["classes"], d["labels"], d["probs"]
    k = min(3, len(d["names"]))
    fig, axes = plt.subplots(k, 1, figsize=(11, 2.2 * k), squeeze=False)
    for row in range(k):
        sig = d["dataset"][row][0].numpy()
        ax = axes[row][0]
        t = np.arange(sig.shape[-1]) / d["fs"]
        lead = 1 if sig.shape[0] > 1 else 0
        ax.plot(t, sig[lead], lw=0.6, color="k")
        true = [c for c, y in zip(classes, labels[row], strict=True) if y]
        top = np.argsort(-probs[row])[:3]
        guess = ", ".join(f"{classes[i]} {probs[row, i]:.2f}" for i in top)
        lead_name = d["leads"][lead] if lead < len(d["leads"]) else str(lead)
        ax.set_title(
            f"{d['names'][row]} (lead {lead_name}): true {', '.join(true) or 'none'} | "
            f"predicted top-3 {guess}",
            fontsize=8,
        )
        ax.set_xlabel("time (s)", fontsize=8)
        ax.set_ylabel("amplitude (z-score)", fontsize=8)
    fig.tight_layout()
    fig.savefig(
        add_figure(run, "examples.png", "Test records with true classes and predicted scores"),
        dpi=90,
    )
    plt.close(fig)
