"""cinc2021: multi-label classification of 12/6/4/3/2-lead ECGs, scored with the challenge metric.

The PhysioNet/Computing in Cardiology Challenge 2021 (Reyna et al., "Will Two Do? Varying
Dimensions in Electrocardiography", CinC 2021): 88,253 records from 7 sources labelled with
SNOMED CT codes; 26 scored classes (after 4 equivalence pairs) and the reduced lead sets
12, 6 (limb leads), 4 (I, II, III, V2), 3 (I, II, V2) and 2 (I, II). An ECG_CRNN (Wen & Zhou,
torch_ecg) is trained with binary cross-entropy on a record-disjoint split, and the held-out
records are scored with the official challenge metric (the weighted modified confusion matrix
normalised between the "always normal" and the perfect classifier).

With no ``data_dir`` the CinC 2021 sample records in ``ECG_SAMPLE_DATA/cinc2021`` are used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from torch.utils.data import Dataset, Subset

from ecg_benchmarks.base import BenchmarkError, BenchmarkSettings, check_finite, register_benchmark
from ecg_benchmarks.cases._common import TRAIN_AUGMENT
from ecg_benchmarks.cases._multilabel import CRNNSettings, MultiLabelCase, MultiLabelTest, ScoreFn
from ecg_benchmarks.template import CaseData, DataSource, TrainSettings

__all__ = [
    "CINC2021Benchmark",
    "CINC2021Settings",
    "CinCDataSettings",
    "challenge_scorer",
    "check_cinc_folder",
]


@dataclass(slots=True)
class CinCDataSettings:
    """Data settings (``data.*`` keys).

    Attributes:
        leads: lead set of the challenge: 12, 6, 4, 3 or 2.
        fs: sampling rate of the model input in Hz (records are resampled).
        duration_s: input length in seconds (random crop in training, zero-padded if shorter).
        classes: class abbreviations or SNOMED CT codes (empty: the challenge's scored classes).
        augment: random scaling, noise and baseline wander on training items.
        lazy: read records on access (true) or load them all once (false, faster on small sets).
    """

    leads: Literal[12, 6, 4, 3, 2] = 12
    fs: float = 250.0
    duration_s: float = 10.0
    classes: list[str] = field(default_factory=list)
    augment: bool = True
    lazy: bool = True

    def __post_init__(self) -> None:
        check_finite("data.fs", self.fs)
        check_finite("data.duration_s", self.duration_s)
        if self.leads not in (12, 6, 4, 3, 2):
            raise ValueError(f"data.leads must be one of 12, 6, 4, 3, 2, got {self.leads}")
        if not 50 <= self.fs <= 1000:
            raise ValueError(f"data.fs must lie in [50, 1000] Hz, got {self.fs}")
        if not 1 <= self.duration_s <= 60:
            raise ValueError(f"data.duration_s must lie in [1, 60] s, got {self.duration_s}")


@dataclass(slots=True)
class CINC2021Settings(BenchmarkSettings):
    """Settings of the cinc2021 case (``--set data.leads=2``, ``--set train.batch_size=16``...).

    Attributes:
        data: which leads, rate, input length and classes.
        model: the ECG_CRNN.
        train: optimisation.
    """

    epochs: int = 20
    data: CinCDataSettings = field(default_factory=CinCDataSettings)
    model: CRNNSettings = field(default_factory=CRNNSettings)
    train: TrainSettings = field(default_factory=TrainSettings)


def check_cinc_folder(path: Path) -> str | None:
    """None when ``path`` holds CinC 2020/2021 records (``.hea`` with a ``# Dx:`` line)."""
    headers = sorted(path.rglob("*.hea"))
    if not headers:
        return "it holds no WFDB header (.hea) files; expected the challenge's training records"
    text = headers[0].read_text(errors="replace")
    if not any(line.lstrip("# ").lower().startswith("dx:") for line in text.splitlines()):
        return f"{headers[0].name} has no '# Dx:' line: these are not CinC 2020/2021 records"
    return None


def challenge_scorer(classes: list[str], scored: tuple[str, ...]) -> ScoreFn:
    """The challenge metric over ``classes`` (abbreviations or codes) with the 2021 weights.

    The weights of the classes not used are left out (the sub-matrix of the official table);
    the normal class (sinus rhythm, NSR 426783006) must be among ``classes``.
    """
    from ecg_data.readers.cinc2021 import SNOMED_ABBR
    from ecg_train.metrics.challenge2020 import (
        NORMAL_CLASS,
        cinc2021_classes,
        cinc2021_weights,
        compute_challenge_metric,
    )

    abbr_to_code = {SNOMED_ABBR[c]: c for c in scored if c in SNOMED_ABBR}
    table = list(cinc2021_classes())
    column = {code: i for i, joined in enumerate(table) for code in joined.split("|")}
    idx = []
    for c in classes:
        code = abbr_to_code.get(c, c)
        if code not in column:
            raise BenchmarkError(
                f"class {c!r} is not a scored class of the challenge: no weight for it"
            )
        idx.append(column[code])
    if NORMAL_CLASS not in [code for i in idx for code in table[i].split("|")]:
        raise BenchmarkError(
            "the challenge metric needs the normal class NSR (426783006) among data.classes"
        )
    weights = cinc2021_weights()[np.ix_(idx, idx)]
    names = [table[i] for i in idx]

    def score(
        labels: npt.NDArray[np.bool_], pred: npt.NDArray[np.bool_], probs: npt.NDArray[np.float64]
    ) -> dict[str, float]:
        return {
            "challenge_metric": compute_challenge_metric(labels, pred, weights, names),
        }

    return score


@register_benchmark
class CINC2021Benchmark(MultiLabelCase[CINC2021Settings]):
    """Multi-label classification on CinC 2021, scored with the challenge metric."""

    name: ClassVar[str] = "cinc2021"
    summary: ClassVar[str] = (
        "12/6/4/3/2-lead multi-label classification (CinC 2021), ECG_CRNN, challenge metric"
    )
    settings_class = CINC2021Settings
    database: ClassVar[str] = "cinc2021"
    label: ClassVar[str] = "CinC 2021"
    download_hint: ClassVar[str] = "download https://physionet.org/content/challenge-2021/1.0.3/"
    validation_metric: ClassVar[str] = "challenge_metric"
    macro_undefined = "omit"  # macro F1 / AUROC as the official evaluate_model.py

    def check_folder(self, path: Path) -> str | None:
        return check_cinc_folder(path)

    def dataset_classes(self) -> tuple[Any, Any]:
        """The ecg-data Dataset and config classes of the case."""
        from ecg_data.datasets.cinc2021 import CINC2021Dataset, CINC2021TrainConfig

        return CINC2021Dataset, CINC2021TrainConfig

    def scored(self) -> tuple[str, ...]:
        """The scored classes (SNOMED CT codes) of the challenge."""
        from ecg_data.readers.cinc2021 import SCORED_CINC2021

        return SCORED_CINC2021

    def scorer(self, classes: list[str]) -> ScoreFn:
        return challenge_scorer(classes, self.scored())

    def lead_names(self, settings: CINC2021Settings) -> tuple[str, ...]:
        from ecg_data.readers.cinc2021 import LEAD_SETS

        return tuple(LEAD_SETS[int(settings.data.leads)])

    def _config(
        self, s: CINC2021Settings, path: Path, classes: tuple[str, ...] | None = None, **extra: Any
    ) -> dict[str, Any]:
        d = s.data
        kwargs: dict[str, Any] = {
            "db_dir": str(path),
            "fs": d.fs,
            "input_len": int(round(d.fs * d.duration_s)),
            "leads": d.leads,
            "seed": s.seed,
            "train_ratio": s.train.train_ratio,
            "lazy": d.lazy,
            **extra,
        }
        if classes:
            kwargs["classes"] = tuple(classes)
        elif d.classes:
            kwargs["classes"] = tuple(d.classes)
        return kwargs

    def _build(self, kwargs: dict[str, Any], path: Path, training: bool) -> Any:
        ds_cls, cfg_cls = self.dataset_classes()
        try:
            return ds_cls(cfg_cls(**kwargs), training=training)
        except (ValueError, TypeError) as exc:
            raise BenchmarkError(f"cannot build the dataset from {path}: {exc}") from exc

    def split(self, settings: CINC2021Settings, source: DataSource) -> CaseData:
        s = settings
        path = source.folder()
        kwargs = self._config(s, path)
        train_kwargs = {**kwargs, "augment": dict(TRAIN_AUGMENT)} if s.data.augment else kwargs
        train_set = self._build(train_kwargs, path, True)
        held = self._build(kwargs, path, False)
        names = list(held.records)
        train_part: Dataset[Any] = train_set
        held_idx = list(range(len(held)))
        cap = s.train.max_records
        if cap:
            train_part = Subset(train_set, range(min(cap, len(train_set))))
            held_idx = held_idx[: max(2, cap // 2)]
        if len(train_part) == 0:  # type: ignore[arg-type]
            raise BenchmarkError(f"no training record in {path} (train.train_ratio too small?)")
        if not held_idx:
            raise BenchmarkError(
                "the held-out split is empty: add records or lower train.train_ratio"
            )
        # held-out records alternate between validation (even) and test (odd); one: both
        val_idx = held_idx[0::2]
        test_idx = held_idx[1::2] or val_idx
        test_names = [names[i] for i in test_idx]

        def build(classes: tuple[str, ...]) -> tuple[Dataset[Any], list[str]]:
            if tuple(classes) != tuple(held.classes):
                raise BenchmarkError("the model's classes differ from the held-out set's")
            return Subset(held, test_idx), test_names

        test = MultiLabelTest(
            build,
            {"n_train": len(train_part), "n_val": len(val_idx)},  # type: ignore[arg-type]
        )
        description = (
            f"{len(train_set) + len(held)} records from {path}: {len(train_part)} train, "  # type: ignore[arg-type]
            f"{len(val_idx)} validation, {len(test_idx)} test; {len(train_set.classes)} classes, "
            f"{len(train_set.leads)} leads"
        )
        info = {"classes": list(train_set.classes), "leads": list(train_set.leads)}
        return CaseData(train_part, Subset(held, val_idx), test, description, info)

    def all_records(
        self, settings: CINC2021Settings, source: DataSource, classes: tuple[str, ...]
    ) -> tuple[Dataset[Any], list[str]]:
        """Every record of the folder: the held-out side of a split with a vanishing training
        fraction (the split seed is moved on until no record falls on the training side)."""
        path = source.folder()
        for seed in range(settings.seed, settings.seed + 100):
            kwargs = self._config(settings, path, classes, train_ratio=1e-9)
            kwargs["seed"] = seed
            ds = self._build(kwargs, path, False)
            if len(ds.records) == len(ds.reader.all_records):
                return ds, list(ds.records)
        raise BenchmarkError(f"cannot put every record of {path} in one set")  # pragma: no cover
