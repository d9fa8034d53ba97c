"""cinc2020: multi-label classification of 12-lead ECGs, scored with the challenge metric.

The PhysioNet/Computing in Cardiology Challenge 2020 (Perez Alday et al., "Classification of
12-lead ECGs: the PhysioNet/Computing in Cardiology Challenge 2020", Physiol. Meas. 41, 2020):
43,101 records from 6 sources, 24 scored classes (after 3 equivalence pairs). Same pipeline as
``cinc2021`` (ECG_CRNN, binary cross-entropy, record-disjoint split); the score is the challenge
metric over the 24 classes with the reward weights of the official table restricted to them.
The 2020 records have the 2021 format, so with no ``data_dir`` the sample records in
``ECG_SAMPLE_DATA/cinc2021`` are used (their labels mapped to the 2020 classes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ecg_benchmarks.base import register_benchmark
from ecg_benchmarks.cases.cinc2021 import CINC2021Benchmark, CINC2021Settings
from ecg_benchmarks.paths import sample_data_dir
from ecg_benchmarks.template import DataSource

__all__ = ["CINC2020Benchmark", "CINC2020Settings"]


@dataclass(slots=True)
class CINC2020Settings(CINC2021Settings):
    """Settings of the cinc2020 case (the keys and defaults of cinc2021).

    Attributes:
        data: which leads, rate, input length and classes.
        model: the ECG_CRNN.
        train: optimisation.
    """


@register_benchmark
class CINC2020Benchmark(CINC2021Benchmark):
    """Multi-label classification on CinC 2020, scored with the challenge metric."""

    name: ClassVar[str] = "cinc2020"
    summary: ClassVar[str] = (
        "12-lead multi-label classification (CinC 2020), ECG_CRNN, challenge metric"
    )
    settings_class = CINC2020Settings
    database: ClassVar[str] = "cinc2020"
    label: ClassVar[str] = "CinC 2020"
    download_hint: ClassVar[str] = "download https://physionet.org/content/challenge-2020/1.0.2/"

    def resolve_data(self, settings: Any) -> DataSource:
        """``data_dir``, else the CinC 2020 sample folder, else the CinC 2021 one (same format)."""
        own, other = sample_data_dir("cinc2020"), sample_data_dir("cinc2021")
        fallback = not settings.data_dir and own is not None and not own.is_dir()
        if fallback and other is not None and other.is_dir():
            source = self.data_source(other)
            return DataSource(source.path, f"sample data {other} (CinC 2021 records)")
        return self.data_source(settings.data_dir)

    def dataset_classes(self) -> tuple[Any, Any]:
        from ecg_data.datasets.cinc2021 import CINC2020Dataset, CINC2020TrainConfig

        return CINC2020Dataset, CINC2020TrainConfig

    def scored(self) -> tuple[str, ...]:
        from ecg_data.readers.cinc2021 import SCORED_CINC2020

        return SCORED_CINC2020
