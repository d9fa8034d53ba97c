"""CPSC 2021 (paroxysmal AF detection) reader: WFDB, 2 leads, 200 Hz, AF episodes and beats."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo
from ecg_data.readers.wfdb_base import WFDBReader

__all__ = ["CPSC2021", "CPSC2021_INFO"]

CPSC2021_INFO = DatabaseInfo(
    name="cpsc2021",
    description=(
        "The 4th China Physiological Signal Challenge 2021: dynamic 2-lead ECG (I, II) recordings "
        "at 200 Hz of non-AF, persistent AF and paroxysmal AF, with AF episode onsets/offsets."
    ),
    fs=200.0,
    leads=("I", "II"),
    license="CC BY 4.0",
    doi="10.13026/ksya-qw89",
    bibtex=(
        "@article{wang2021paroxysmal, title={Paroxysmal atrial fibrillation events detection from "
        "dynamic ECG recordings: The 4th China Physiological Signal Challenge 2021}, author={Wang, "
        "Xingyao and Ma, Caiyun and Zhang, Xiangyu and others}, journal={PhysioNet}, year={2021}}"
    ),
    url="https://physionet.org/files/cpsc2021/1.0.0/",
)

_REC = re.compile(r"data_(\d+)_(\d+)$")


class CPSC2021(WFDBReader):
    """CPSC 2021 database (Wang et al. 2021): records ``data_<subject>_<n>``.

    ``load_ann(rec)`` gives beats and rhythm intervals (``"AFIB"``, ``"AFL"``, ``"N"``);
    :meth:`af_episodes` gives the AF/AFL intervals only. Labels: ``N`` (non-AF), ``AFf``
    (persistent AF), ``AFp`` (paroxysmal AF), from the header comment.
    """

    name: ClassVar[str] = "cpsc2021"
    database_info: ClassVar[DatabaseInfo] = CPSC2021_INFO

    def _sort_key(self, rec: str) -> Any:
        m = _REC.search(rec)
        return (int(m.group(1)), int(m.group(2))) if m else (10**9, rec)

    def get_subject(self, rec: str) -> str:
        """The subject of record ``rec`` (``"data_3_1"`` -> ``"3"``)."""
        m = _REC.search(rec)
        return m.group(1) if m else rec

    def get_label(self, rec: str | int) -> str:
        """``"N"``, ``"AFf"`` or ``"AFp"`` from the header comment."""
        text = " ".join(self.header_comments(rec)).lower()
        if "paroxysmal" in text:
            return "AFp"
        if "persistent" in text:
            return "AFf"
        return "N"

    def af_episodes(self, rec: str | int) -> list[tuple[int, int]]:
        """AF and AFL intervals ``(onset, offset)`` in samples, sorted, offset exclusive."""
        rhythms = self.load_ann(rec).rhythms
        return sorted(rhythms.get("AFIB", []) + rhythms.get("AFL", []))

    def af_mask(self, rec: str | int) -> npt.NDArray[np.bool_]:
        """Per-sample AF mask of shape (samples,)."""
        mask = np.zeros(self.get_siglen(rec), dtype=bool)
        for a, b in self.af_episodes(rec):
            mask[a:b] = True
        return mask

    def _meta_row(self, rec: str) -> dict[str, Any]:
        return {"subject": self.get_subject(rec), "labels": [self.get_label(rec)]}
