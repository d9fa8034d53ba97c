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
from torch.utils.data import Subset

from ecg_benchmarks.base import Benchmark, BenchmarkError, RunOptions
from ecg_benchmarks.cases._common import (
    TrainSettings,
    build_datasets,
    check_device,
    resolve_data_dir,
)
from ecg_benchmarks.cases._multilabel import CRNNSettings, MultiLabelTask, ScoreFn, run_multilabel
from ecg_benchmarks.runs import RunDir

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
        lazy: read records on access (True) or load them all once (False, faster on small sets).
    """

    leads: Literal[12, 6, 4, 3, 2] = 12
    fs: float = 250.0
    duration_s: float = 10.0
    classes: list[str] = field(default_factory=list)
    augment: bool = True
    lazy: bool = True

    def __post_init__(self) -> None:
        if self.leads not in (12, 6, 4, 3, 2):
            raise ValueError(f"data.leads must be one of 12, 6, 4, 3, 2, got {self.leads}")
        if not 50 <= self.fs <= 1000:
            raise ValueError(f"data.fs must lie in [50, 1000] Hz, got {self.fs}")
        if not 1 <= self.duration_s <= 60:
            raise ValueError(f"data.duration_s must lie in [1, 60] s, got {self.duration_s}")


@dataclass(slots=True)
class _CinCSettings:
    """Settings shared by the cinc2020 and cinc2021 cases (the same keys and defaults)."""

    data_dir: str | None = None
    epochs: int = 20
    device: Literal["cpu", "cuda"] = "cpu"
    seed: int = 0
    data: CinCDataSettings = field(default_factory=CinCDataSettings)
    model: CRNNSettings = field(default_factory=CRNNSettings)
    train: TrainSettings = field(default_factory=TrainSettings)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")


@dataclass(slots=True)
class CINC2021Settings(_CinCSettings):
    """Settings of the cinc2021 case (``--set data.leads=2``, ``--set train.batch_size=16``...)."""


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


class CINC2021Benchmark(Benchmark):
    """Multi-label classification on CinC 2021, scored with the challenge metric."""

    name: ClassVar[str] = "cinc2021"
    summary: ClassVar[str] = (
        "12/6/4/3/2-lead multi-label classification (CinC 2021), ECG_CRNN, challenge metric"
    )
    database: ClassVar[str] = "cinc2021"
    label: ClassVar[str] = "CinC 2021"
    hint: ClassVar[str] = "download https://physionet.org/content/challenge-2021/1.0.3/"

    def default_settings(self) -> Any:
        return CINC2021Settings()

    def _datasets(self, s: Any, path: Path) -> tuple[Any, Any]:
        from ecg_data.datasets.cinc2021 import CINC2021Dataset, CINC2021TrainConfig

        return self._make(CINC2021Dataset, CINC2021TrainConfig, s, path)

    def _scored(self) -> tuple[str, ...]:
        from ecg_data.readers.cinc2021 import SCORED_CINC2021

        return SCORED_CINC2021

    @staticmethod
    def _make(ds_cls: Any, cfg_cls: Any, s: Any, path: Path) -> tuple[Any, Any]:
        d: CinCDataSettings = s.data
        kwargs: dict[str, Any] = {
            "db_dir": str(path),
            "fs": d.fs,
            "input_len": int(round(d.fs * d.duration_s)),
            "leads": d.leads,
            "seed": s.seed,
            "train_ratio": s.train.train_ratio,
            "lazy": d.lazy,
        }
        if d.classes:
            kwargs["classes"] = tuple(d.classes)
        return build_datasets(
            ds_cls, cfg_cls, kwargs, augment=d.augment, path=path, errors=(ValueError, TypeError)
        )

    def run(self, settings: Any, run: RunDir, options: RunOptions) -> dict[str, Any]:
        check_device(settings.device)
        path = resolve_data_dir(
            settings.data_dir, self.database, self.label, check_cinc_folder, self.hint
        )
        train_set, held = self._datasets(settings, path)
        classes = list(train_set.classes)
        score = challenge_scorer(classes, self._scored())
        names = list(held.records)
        cap = settings.train.max_records
        train_part: Any = train_set
        held_part: Any = held
        if cap:
            train_part = Subset(train_set, range(min(cap, len(train_set))))
            n_held = min(len(held), max(2, cap // 2))
            held_part, names = Subset(held, range(n_held)), names[:n_held]
        if len(train_part) == 0:
            raise BenchmarkError(f"no training record in {path} (train.train_ratio too small?)")
        print(
            f"{self.name}: {len(train_set) + len(held)} records from {path}: "
            f"{len(train_part)} train, {len(held_part)} held-out; {len(classes)} classes, "
            f"{len(train_set.leads)} leads",
            flush=True,
        )
        task = MultiLabelTask(
            name=self.name,
            classes=classes,
            n_leads=len(train_set.leads),
            fs=float(settings.data.fs),
            train_set=train_part,
            heldout_set=held_part,
            score=score,
            lead_names=list(train_set.leads),
            record_names=names,
        )
        return run_multilabel(
            task,
            settings.model,
            settings.train,
            epochs=settings.epochs,
            device=settings.device,
            seed=settings.seed,
            run=run,
            options=options,
        )
