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
from pathlib import Path
from typing import Any, ClassVar

from ecg_benchmarks.cases._common import sample_data_dir
from ecg_benchmarks.cases.cinc2021 import CINC2021Benchmark, _CinCSettings

__all__ = ["CINC2020Benchmark", "CINC2020Settings"]


@dataclass(slots=True)
class CINC2020Settings(_CinCSettings):
    """Settings of the cinc2020 case (12 leads by default; ``data.*``, ``model.*``, ``train.*``)."""


class CINC2020Benchmark(CINC2021Benchmark):
    """Multi-label classification on CinC 2020, scored with the challenge metric."""

    name: ClassVar[str] = "cinc2020"
    summary: ClassVar[str] = (
        "12-lead multi-label classification (CinC 2020), ECG_CRNN, challenge metric"
    )
    database: ClassVar[str] = "cinc2020"
    label: ClassVar[str] = "CinC 2020"
    hint: ClassVar[str] = "download https://physionet.org/content/challenge-2020/1.0.2/"

    def default_settings(self) -> Any:
        s = CINC2020Settings()
        if not sample_data_dir("cinc2020").is_dir() and sample_data_dir("cinc2021").is_dir():
            s.data_dir = str(sample_data_dir("cinc2021"))
        return s

    def _datasets(self, s: Any, path: Path) -> tuple[Any, Any]:
        from ecg_data.datasets.cinc2021 import CINC2020Dataset, CINC2020TrainConfig

        return self._make(CINC2020Dataset, CINC2020TrainConfig, s, path)

    def _scored(self) -> tuple[str, ...]:
        from ecg_data.readers.cinc2021 import SCORED_CINC2020

        return SCORED_CINC2020
