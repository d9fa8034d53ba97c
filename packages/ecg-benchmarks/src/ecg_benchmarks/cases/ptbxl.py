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
from torch.utils.data import ConcatDataset, Dataset, Subset

from ecg_benchmarks.base import BenchmarkError, BenchmarkSettings, check_finite, register_benchmark
from ecg_benchmarks.cases._common import TRAIN_AUGMENT
from ecg_benchmarks.cases._multilabel import CRNNSettings, MultiLabelCase, MultiLabelTest, ScoreFn
from ecg_benchmarks.template import CaseData, DataSource, TrainSettings

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
LEADS = ("I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6")


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
        check_finite("data.fs", self.fs)
        check_finite("data.duration_s", self.duration_s)
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
class PTBXLSettings(BenchmarkSettings):
    """Settings of the ptbxl case (``--set data.task=rhythm``, ``--set model.width=32``...).

    Attributes:
        data: label set, record rate, model rate and input length.
        model: the ECG_CRNN.
        train: optimisation (``train.train_ratio`` is not used: the folds split the records).
    """

    epochs: int = 30
    data: PTBXLDataSettings = field(default_factory=PTBXLDataSettings)
    model: CRNNSettings = field(default_factory=CRNNSettings)
    train: TrainSettings = field(default_factory=lambda: TrainSettings(batch_size=32))


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


@register_benchmark
class PTBXLBenchmark(MultiLabelCase[PTBXLSettings]):
    """Multi-label classification on PTB-XL with the standard folds, macro AUROC."""

    name: ClassVar[str] = "ptbxl"
    summary: ClassVar[str] = (
        "PTB-XL multi-label (all/diag/sub/super/form/rhythm), folds 1-8/9/10, ECG_CRNN, macro AUROC"
    )
    settings_class = PTBXLSettings
    database: ClassVar[str] = "ptbxl"
    label: ClassVar[str] = "PTB-XL"
    download_hint: ClassVar[str] = HINT
    validation_metric: ClassVar[str] = "macro_auroc"

    def check_folder(self, path: Path) -> str | None:
        return check_ptbxl_folder(path)

    def scorer(self, classes: list[str]) -> ScoreFn:
        return macro_auroc_scorer(classes)

    def lead_names(self, settings: PTBXLSettings) -> tuple[str, ...]:
        return LEADS

    def title(self, settings: PTBXLSettings) -> str:
        return f"{self.name} ({settings.data.task})"

    @staticmethod
    def _kwargs(s: PTBXLSettings, path: Path) -> dict[str, Any]:
        d = s.data
        return {
            "db_dir": str(path),
            "task": d.task,
            "sampling_rate": int(d.sampling_rate),
            "fs": float(d.fs),
            "input_len": int(round(d.fs * d.duration_s)),
            "min_samples": d.min_samples,
            "lazy": d.lazy,
            "seed": s.seed,
        }

    @staticmethod
    def _part(kwargs: dict[str, Any], part: str, path: Path, training: bool | None = None) -> Any:
        from ecg_data.datasets.ptbxl import PTBXLDataset, PTBXLTrainConfig
        from ecg_data.readers.base import ReaderError

        try:
            cfg = PTBXLTrainConfig(**kwargs, part=part)
            return PTBXLDataset(cfg, training=part == "train" if training is None else training)
        except (ValueError, TypeError, ReaderError) as exc:
            raise BenchmarkError(f"cannot build the PTB-XL dataset from {path}: {exc}") from exc

    def split(self, settings: PTBXLSettings, source: DataSource) -> CaseData:
        s = settings
        path = source.folder()
        kwargs = self._kwargs(s, path)
        train_kwargs = {**kwargs, "augment": dict(TRAIN_AUGMENT)} if s.data.augment else kwargs
        train = self._part(train_kwargs, "train", path)
        classes = tuple(train.classes)
        if not classes:
            raise BenchmarkError(
                f"no record of folds 1-8 in {path} has a label of the task {s.data.task!r}"
            )
        kwargs["classes"] = classes
        val = self._part(kwargs, "val", path)
        test = self._part(kwargs, "test", path)
        names = list(test.records)
        train_part: Dataset[Any] = train
        val_part: Dataset[Any] = val
        test_part: Dataset[Any] = test
        cap = s.train.max_records
        if cap:
            train_part = Subset(train, range(min(cap, len(train))))
            n_held = max(2, cap // 4)
            val_part = Subset(val, range(min(n_held, len(val))))
            test_part = Subset(test, range(min(n_held, len(test))))
            names = names[: len(test_part)]  # type: ignore[arg-type]
        task = s.data.task
        for what, part in (("train (folds 1-8)", train_part), ("validation (fold 9)", val_part)):
            if len(part) == 0:  # type: ignore[arg-type]
                raise BenchmarkError(f"PTB-XL {what} has no record with a label of {task}")
        if len(test_part) == 0:  # type: ignore[arg-type]
            raise BenchmarkError(f"PTB-XL test (fold 10) has no record with a label of {task}")

        def build(model_classes: tuple[str, ...]) -> tuple[Dataset[Any], list[str]]:
            if tuple(model_classes) != classes:
                raise BenchmarkError("the model's classes differ from the test fold's")
            return test_part, names

        n_train, n_val = len(train_part), len(val_part)  # type: ignore[arg-type]
        extra = {"n_train": n_train, "n_val": n_val, "task": task}
        description = (
            f"({task}): {n_train} train, {n_val} validation, {len(names)} test records from "
            f"{path}; {len(classes)} classes"
        )
        info = {"classes": list(classes), "leads": list(train.config.leads)}
        return CaseData(train_part, val_part, MultiLabelTest(build, extra), description, info)

    def all_records(
        self, settings: PTBXLSettings, source: DataSource, classes: tuple[str, ...]
    ) -> tuple[Dataset[Any], list[str]]:
        """Every record of the folder (all ten folds) labelled over the model's classes."""
        path = source.folder()
        kwargs = {**self._kwargs(settings, path), "classes": tuple(classes)}
        parts = [self._part(kwargs, p, path, False) for p in ("train", "val", "test")]
        names = [r for p in parts for r in p.records]
        return ConcatDataset(parts), names
