"""CPSC 2018 reader: 12-lead ECGs at 500 Hz, 6-60 s, ``.mat`` with an ``ECG`` struct (sex, age, data)
and labels from ``REFERENCE.csv`` (Liu et al. 2018)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo, ECGReader, ReaderError
from ecg_data.readers.cpsc2019 import load_mat_key

__all__ = ["CPSC2018", "CPSC2018_INFO", "CPSC2018Ann", "CPSC2018_CLASSES"]

TWELVE = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
#: REFERENCE.csv class numbers -> abbreviations.
CPSC2018_CLASSES: dict[int, str] = {
    1: "N", 2: "AF", 3: "I-AVB", 4: "LBBB", 5: "RBBB", 6: "PAC", 7: "PVC", 8: "STD", 9: "STE",
}  # fmt: skip

CPSC2018_INFO = DatabaseInfo(
    name="cpsc2018",
    description=(
        "The 1st China Physiological Signal Challenge 2018: 6877 12-lead ECGs (6-60 s, 500 Hz) "
        "labelled with up to 3 of 9 classes (normal, AF, I-AVB, LBBB, RBBB, PAC, PVC, STD, STE)."
    ),
    fs=500.0,
    leads=TWELVE,
    license="free for research",
    doi="10.1166/jmihi.2018.2442",
    bibtex=(
        "@article{liu2018open, title={An Open Access Database for Evaluating the Algorithms of "
        "Electrocardiogram Rhythm and Morphology Abnormality Detection}, author={Liu, Feifei and Liu, "
        "Chengyu and Zhao, Lina and others}, journal={Journal of Medical Imaging and Health "
        "Informatics}, volume={8}, number={7}, pages={1368--1373}, year={2018}}"
    ),
)


@dataclass(frozen=True, slots=True)
class CPSC2018Ann:
    """Labels (abbreviations, empty without REFERENCE.csv), age in years and sex of a record."""

    labels: list[str]
    age: float | None
    sex: str | None


class CPSC2018(ECGReader):
    """CPSC 2018 reader. Data (12, samples) in mV at 500 Hz."""

    name: ClassVar[str] = "cpsc2018"
    database_info: ClassVar[DatabaseInfo] = CPSC2018_INFO

    def __init__(self, db_dir: Any, **kwargs: Any) -> None:
        super().__init__(db_dir, **kwargs)
        self._paths: dict[str, Path] = {}
        self._struct: dict[str, tuple[npt.NDArray[np.float32], float | None, str | None]] = {}
        self._ref: dict[str, list[str]] | None = None

    def _find_records(self) -> list[str]:
        self._paths = {p.stem: p for p in sorted(self.db_dir.rglob("*.mat")) if p.stem[:1] == "A"}
        return sorted(self._paths)

    def record_path(self, rec: str) -> Path:
        return self._inside(self._paths[self._check_rec(rec)])

    def _load(self, rec: str) -> tuple[npt.NDArray[np.float32], float | None, str | None]:
        if rec in self._struct:
            return self._struct[rec]
        path = self.record_path(rec)
        ecg = load_mat_key(path, "ECG")
        try:
            data = np.asarray(ecg["data"][0, 0], dtype=np.float32)
        except (ValueError, IndexError, KeyError, TypeError) as exc:
            raise ReaderError(path, f"key 'ECG' has no 'data' field ({exc})") from exc
        if data.ndim != 2 or data.shape[0] != 12:
            raise ReaderError(path, f"ECG.data must have shape (12, samples), got {data.shape}")
        age: float | None = None
        sex: str | None = None
        try:
            age = float(np.asarray(ecg["age"][0, 0]).ravel()[0])
            sex = str(np.asarray(ecg["sex"][0, 0]).ravel()[0])[:1].upper() or None
        except (ValueError, IndexError, KeyError, TypeError):
            pass
        out = (data, age if age is not None and np.isfinite(age) else None, sex)
        if len(self._struct) > 64:
            self._struct.clear()
        self._struct[rec] = out
        return out

    def _read_header(self, rec: str) -> tuple[float, tuple[str, ...], int]:
        return 500.0, TWELVE, int(self._load(rec)[0].shape[1])

    def _read(
        self, rec: str, channels: list[int], sampfrom: int, sampto: int
    ) -> npt.NDArray[np.float32]:
        return np.ascontiguousarray(self._load(rec)[0][channels, sampfrom:sampto])

    def _reference(self) -> dict[str, list[str]]:
        if self._ref is None:
            self._ref = {}
            path = next(iter(sorted(self.db_dir.rglob("REFERENCE.csv"))), None)
            if path is not None:
                with open(self._inside(path), newline="") as fh:
                    for row in csv.reader(fh):
                        if not row or not row[0].startswith("A"):
                            continue
                        labels = []
                        for cell in row[1:]:
                            cell = cell.strip()
                            if cell:
                                if not cell.isdigit() or int(cell) not in CPSC2018_CLASSES:
                                    raise ReaderError(
                                        path, f"unknown class {cell!r} for record {row[0]} (1-9)"
                                    )
                                labels.append(CPSC2018_CLASSES[int(cell)])
                        self._ref[row[0]] = labels
        return self._ref

    def load_ann(self, rec: str | int) -> CPSC2018Ann:
        """Labels (from REFERENCE.csv when present), age and sex of ``rec``."""
        rec = self._check_rec(rec)
        _, age, sex = self._load(rec)
        return CPSC2018Ann(labels=self._reference().get(rec, []), age=age, sex=sex)

    def _meta_row(self, rec: str) -> dict[str, Any]:
        ann = self.load_ann(rec)
        return {"labels": ann.labels, "age": ann.age, "sex": ann.sex}
