"""ptbxl: multi-label classification of 12-lead ECGs on PTB-XL, scored with macro AUROC.

PTB-XL (Wagner et al., "PTB-XL, a large publicly available electrocardiography dataset",
Sci. Data 7, 154, 2020): 21,799 10-s 12-lead records of 18,869 patients annotated with SCP-ECG
statements. The benchmark of Strodthoff et al. ("Deep learning for ECG analysis: benchmarks and
insights from PTB-XL", IEEE JBHI 25(5), 2021) defines the label sets ``all`` (71 statements),
``diagnostic`` (44), ``subdiagnostic`` (23), ``superdiagnostic`` (5), ``form`` (19) and
``rhythm`` (12), and the split by ``strat_fold``: folds 1-8 train, 9 validation, 10 test. Its
score is the macro AUROC on fold 10 (ecg-train's ``ClassificationMetrics``).

An ECG_CRNN (ecg-models) is trained with binary cross-entropy on folds 1-8, the best epoch is
chosen by the macro AUROC on fold 9, and the test score is computed on fold 10. With no
``data_dir`` the PTB-XL sample folder ``ECG_SAMPLE_DATA/ptbxl`` is used when present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from torch.utils.data import Subset

from ecg_benchmarks.base import Benchmark, BenchmarkError, RunOptions
from ecg_benchmarks.cases._common import (
    TRAIN_AUGMENT,
    TrainSettings,
    check_device,
    resolve_data_dir,
)
from ecg_benchmarks.cases._multilabel import CRNNSettings, MultiLabelTask, ScoreFn, run_multilabel
from ecg_benchmarks.runs import RunDir

__all__ = [
    "PTBXLBenchmark",
    "PTBXLSettings",
    "PTBXLDataSettings",
    "PTBXL_TASK_NAMES",
    "macro_auroc_scorer",
    "check_ptbxl_folder",
]

PTBXL_TASK_NAMES = ("all", "diagnostic", "subdiagnostic", "superdiagnostic", "form", "rhythm")
HINT = "download https://physionet.org/content/ptb-xl/1.0.3/"


@dataclass(slots=True)
class PTBXLDataSettings:
    """Data settings (``data.*`` keys).

    Attributes:
        task: label set: all, diagnostic, subdiagnostic, superdiagnostic, form or rhythm.
        sampling_rate: record files read: 100 (``records100``) or 500 Hz (``records500``).
        fs: model input rate in Hz (records are resampled).
        duration_s: input length in seconds (records are 10 s; shorter inputs are cropped).
        min_samples: a label of the task is a class when at least this many training records
            carry it.
        augment: random scaling, noise and baseline wander on training items.
        lazy: read records on access (True) or load them all once (False).
    """

    task: Literal["all", "diagnostic", "subdiagnostic", "superdiagnostic", "form", "rhythm"] = (
        "superdiagnostic"
    )
    sampling_rate: Literal[100, 500] = 100
    fs: float = 100.0
    duration_s: float = 10.0
    min_samples: int = 1
    augment: bool = False
    lazy: bool = True

    def __post_init__(self) -> None:
        if self.task not in PTBXL_TASK_NAMES:
            raise ValueError(
                f"data.task must be one of {list(PTBXL_TASK_NAMES)}, got {self.task!r}"
            )
        if self.sampling_rate not in (100, 500):
            raise ValueError(f"data.sampling_rate must be 100 or 500 Hz, got {self.sampling_rate}")
        if not 50 <= self.fs <= 500:
            raise ValueError(f"data.fs must lie in [50, 500] Hz, got {self.fs}")
        if not 1 <= self.duration_s <= 10:
            raise ValueError(f"data.duration_s must lie in [1, 10] s, got {self.duration_s}")
        if self.min_samples < 1:
            raise ValueError(f"data.min_samples must be >= 1 record, got {self.min_samples}")


@dataclass(slots=True)
class PTBXLSettings:
    """Settings of the ptbxl case (``--set data.task=rhythm``, ``--set model.width=32``...)."""

    data_dir: str | None = None
    epochs: int = 30
    device: Literal["cpu", "cuda"] = "cpu"
    seed: int = 0
    data: PTBXLDataSettings = field(default_factory=PTBXLDataSettings)
    model: CRNNSettings = field(default_factory=CRNNSettings)
    train: TrainSettings = field(default_factory=lambda: TrainSettings(batch_size=32))

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")


def check_ptbxl_folder(path: Path) -> str | None:
    """None when ``path`` holds PTB-XL (``ptbxl_database.csv`` and ``scp_statements.csv``)."""
    missing = [f for f in ("ptbxl_database.csv", "scp_statements.csv") if not (path / f).is_file()]
    if missing:
        return f"it has no {' and no '.join(missing)} (the tables of PTB-XL)"
    return None


def macro_auroc_scorer(classes: list[str]) -> ScoreFn:
    """``{"macro_auroc", "macro_auprc", "micro_auroc"}`` by ecg-train's ClassificationMetrics;
    the macro means are over the classes with both positive and negative records (as the
    benchmark, which drops classes absent from the test fold)."""
    from ecg_train.metrics.classification import ClassificationMetrics

    metric = ClassificationMetrics(multi_label=True, classes=classes)

    def score(
        labels: npt.NDArray[np.bool_], pred: npt.NDArray[np.bool_], probs: npt.NDArray[np.float64]
    ) -> dict[str, float]:
        res = metric.compute(labels, probs, pred)
        return {
            "macro_auroc": float(res.macro["auroc"]),
            "macro_auprc": float(res.macro["auprc"]),
            "micro_auroc": float(res.micro["auroc"]),
        }

    return score


class PTBXLBenchmark(Benchmark):
    """Multi-label classification on PTB-XL with the standard folds, macro AUROC."""

    name: ClassVar[str] = "ptbxl"
    summary: ClassVar[str] = (
        "PTB-XL multi-label (all/diag/sub/super/form/rhythm), folds 1-8/9/10, ECG_CRNN, macro AUROC"
    )

    def default_settings(self) -> PTBXLSettings:
        return PTBXLSettings()

    @staticmethod
    def _datasets(s: PTBXLSettings, path: Path) -> tuple[Any, Any, Any]:
        from ecg_data.datasets.ptbxl import PTBXLDataset, PTBXLTrainConfig
        from ecg_data.readers.base import ReaderError

        d = s.data
        kwargs: dict[str, Any] = {
            "db_dir": str(path),
            "task": d.task,
            "sampling_rate": int(d.sampling_rate),
            "fs": float(d.fs),
            "input_len": int(round(d.fs * d.duration_s)),
            "min_samples": d.min_samples,
            "lazy": d.lazy,
            "seed": s.seed,
        }
        if d.augment:
            kwargs["augment"] = dict(TRAIN_AUGMENT)
        try:
            train = PTBXLDataset(PTBXLTrainConfig(**kwargs, part="train"), training=True)
            classes = tuple(train.classes)
            if not classes:
                raise BenchmarkError(
                    f"no record of folds 1-8 in {path} has a label of the task {d.task!r}"
                )
            kwargs["classes"] = classes
            val = PTBXLDataset(PTBXLTrainConfig(**kwargs, part="val"), training=False)
            test = PTBXLDataset(PTBXLTrainConfig(**kwargs, part="test"), training=False)
        except (ValueError, TypeError, ReaderError) as exc:
            raise BenchmarkError(f"cannot build the PTB-XL dataset from {path}: {exc}") from exc
        return train, val, test

    def run(self, settings: Any, run: RunDir, options: RunOptions) -> dict[str, Any]:
        s: PTBXLSettings = settings
        check_device(s.device)
        path = resolve_data_dir(s.data_dir, "ptbxl", "PTB-XL", check_ptbxl_folder, HINT)
        train, val, test = self._datasets(s, path)
        classes = list(train.classes)
        names = list(test.records)
        train_part: Any = train
        val_part: Any = val
        test_part: Any = test
        cap = s.train.max_records
        if cap:
            train_part = Subset(train, range(min(cap, len(train))))
            n_held = max(2, cap // 4)
            val_part = Subset(val, range(min(n_held, len(val))))
            test_part = Subset(test, range(min(n_held, len(test))))
            names = names[: len(test_part)]
        for label, part in (("train (folds 1-8)", train_part), ("validation (fold 9)", val_part)):
            if len(part) == 0:
                raise BenchmarkError(f"PTB-XL {label} has no record with a label of {s.data.task}")
        if len(test_part) == 0:
            raise BenchmarkError(
                f"PTB-XL test (fold 10) has no record with a label of {s.data.task}"
            )
        if options.progress:
            print(
                f"{self.name} ({s.data.task}): {len(train_part)} train, {len(val_part)} "
                f"validation, {len(test_part)} test records from {path}; {len(classes)} classes",
                flush=True,
            )
        task = MultiLabelTask(
            name=f"{self.name} ({s.data.task})",
            classes=classes,
            n_leads=len(train.config.leads),
            fs=float(s.data.fs),
            train_set=train_part,
            heldout_set=test_part,
            score=macro_auroc_scorer(classes),
            lead_names=list(train.config.leads),
            record_names=names,
            val_set=val_part,
        )
        metrics = run_multilabel(
            task,
            s.model,
            s.train,
            epochs=s.epochs,
            device=s.device,
            seed=s.seed,
            run=run,
            options=options,
        )
        metrics.setdefault("task", s.data.task)
        for key in ("macro_auroc", "macro_auprc", "micro_auroc"):
            value = metrics.get(key)
            if isinstance(value, float) and not np.isfinite(value):
                metrics[key] = None
        return metrics
