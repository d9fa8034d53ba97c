"""Apnea-ECG reader (Penzel et al. 2000): 70 single-lead overnight ECGs at 100 Hz (WFDB) with
per-minute apnea annotations (``.apn``: ``A`` apnea, ``N`` normal, one per minute)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo, ReaderError
from ecg_data.readers.wfdb_base import WFDBReader, read_wfdb_ann

__all__ = ["ApneaECG", "ApneaAnn", "APNEA_ECG_INFO"]

APNEA_ECG_INFO = DatabaseInfo(
    name="apnea-ecg",
    description=(
        "Apnea-ECG Database: 70 overnight single-lead ECGs (7-10 h) at 100 Hz with a per-minute "
        "apnea/normal annotation by experts from respiration and oxygen saturation."
    ),
    fs=100.0,
    leads=("ECG",),
    license="ODC-By 1.0",
    doi="10.13026/C23W2R",
    bibtex=(
        "@inproceedings{penzel2000apnea, title={The apnea-ECG database}, author={Penzel, Thomas "
        "and Moody, George B and Mark, Roger G and Goldberger, Ary L and Peter, J Hermann}, "
        "booktitle={Computers in Cardiology 2000}, pages={255--258}, year={2000}}"
    ),
    url="https://physionet.org/files/apnea-ecg/1.0.0/",
)

_REC = re.compile(r"^[abcx]\d\d$")


@dataclass(frozen=True, slots=True)
class ApneaAnn:
    """Per-minute apnea annotation.

    Attributes:
        minute_starts: first sample of each annotated minute, int64 (minutes,).
        labels: ``"A"`` (apnea) or ``"N"`` (normal) per minute.
        fs: sampling frequency in Hz.
    """

    minute_starts: npt.NDArray[np.int64]
    labels: list[str]
    fs: float

    @property
    def apnea_minutes(self) -> int:
        """Number of minutes labelled apnea."""
        return sum(lab == "A" for lab in self.labels)


class ApneaECG(WFDBReader):
    """Apnea-ECG reader: records ``a01``..``x35`` (respiration records ``*r``/``*er`` excluded).

    Group (``a``: apnea, ``b``: borderline, ``c``: control, ``x``: test) is in the metadata.
    """

    name: ClassVar[str] = "apnea-ecg"
    database_info: ClassVar[DatabaseInfo] = APNEA_ECG_INFO
    header_glob = "*.hea"

    def _find_records(self) -> list[str]:
        return [r for r in super()._find_records() if _REC.match(r)]

    def load_ann(self, rec: str | int) -> ApneaAnn:  # type: ignore[override]
        """Per-minute apnea labels from ``<rec>.apn``."""
        rec = self._check_rec(rec)
        fs, _, siglen = self._header(rec)
        samples, symbols, _ = read_wfdb_ann(self.record_path(rec), "apn", siglen)
        bad = sorted({s for s in symbols if s not in ("A", "N")})
        if bad:
            raise ReaderError(
                self.record_path(rec).with_suffix(".apn"),
                f"unexpected apnea symbols {bad} (expected 'A' or 'N')",
            )
        return ApneaAnn(minute_starts=samples, labels=symbols, fs=fs)

    def _meta_row(self, rec: str) -> dict[str, Any]:
        group = {"a": "apnea", "b": "borderline", "c": "control", "x": "test"}[rec[0]]
        return {"group": group, "split": "test" if rec[0] == "x" else "train"}
