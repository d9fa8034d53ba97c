"""AFDB and LTAFDB readers: long-term AF databases in WFDB format with rhythm annotations
(aux notes ``(AFIB``, ``(AFL``, ``(J``, ``(N``) in ``.atr`` and beat annotations in ``.qrs``
(unaudited, AFDB) or ``.atr`` (LTAFDB)."""

from __future__ import annotations

from typing import ClassVar

from ecg_data.readers.base import DatabaseInfo
from ecg_data.readers.wfdb_base import (
    BeatRhythmAnn,
    WFDBReader,
    _beat_rhythm_ann,
    read_wfdb_ann,
)

__all__ = ["AFDB", "LTAFDB", "AFDB_INFO", "LTAFDB_INFO"]

AFDB_INFO = DatabaseInfo(
    name="afdb",
    description=(
        "MIT-BIH Atrial Fibrillation Database: 25 ten-hour two-lead ECGs at 250 Hz with rhythm "
        "annotations (AFIB, AFL, J, N) and unaudited QRS annotations."
    ),
    fs=250.0,
    leads=("ECG1", "ECG2"),
    license="ODC-By 1.0",
    doi="10.13026/C2MW2D",
    bibtex=(
        "@article{moody1983new, title={A new method for detecting atrial fibrillation using R-R "
        "intervals}, author={Moody, George B and Mark, Roger G}, journal={Computers in "
        "Cardiology}, volume={10}, pages={227--230}, year={1983}}"
    ),
    url="https://physionet.org/files/afdb/1.0.0/",
)
LTAFDB_INFO = DatabaseInfo(
    name="ltafdb",
    description=(
        "Long Term AF Database: 84 two-lead 24-25 h ECGs at 128 Hz of subjects with paroxysmal "
        "or sustained AF, with beat and rhythm annotations."
    ),
    fs=128.0,
    leads=("ECG1", "ECG2"),
    license="ODC-By 1.0",
    doi="10.13026/C2QG6Q",
    bibtex=(
        "@article{petrutiu2007abrupt, title={Abrupt changes in fibrillatory wave characteristics "
        "at the termination of paroxysmal atrial fibrillation in humans}, author={Petrutiu, Simona "
        "and Sahakian, Alan V and Swiryn, Steven}, journal={Europace}, volume={9}, number={7}, "
        "pages={466--470}, year={2007}}"
    ),
    url="https://physionet.org/files/ltafdb/1.0.0/",
)


class AFDB(WFDBReader):
    """MIT-BIH AF Database (Moody & Mark 1983). Data (2, samples) in mV.

    ``load_ann(rec)`` -> :class:`~ecg_data.readers.wfdb_base.BeatRhythmAnn`: rhythm intervals
    from ``.atr`` and beats from ``.qrs`` (or from ``.atr`` when it holds beats).
    """

    name: ClassVar[str] = "afdb"
    database_info: ClassVar[DatabaseInfo] = AFDB_INFO
    header_glob = "*.hea"
    beat_extension: str = "qrs"

    def load_ann(self, rec: str | int) -> BeatRhythmAnn:  # type: ignore[override]
        """Rhythm intervals (``.atr``) and beats (``.qrs`` if present, else ``.atr``)."""
        rec = self._check_rec(rec)
        fs, _, siglen = self._header(rec)
        stem = self.record_path(rec)
        samples, symbols, aux = read_wfdb_ann(stem, "atr", siglen)
        qrs = stem.with_name(f"{stem.name}.{self.beat_extension}")
        if self.beat_extension != "atr" and qrs.is_file():
            b_samples, b_symbols, _ = read_wfdb_ann(stem, self.beat_extension, siglen)
        else:
            b_samples, b_symbols = samples, symbols
        return _beat_rhythm_ann(b_samples, b_symbols, samples, aux, siglen, fs)

    def af_episodes(self, rec: str | int) -> list[tuple[int, int]]:
        """AF and AFL intervals ``(onset, offset)`` in samples, sorted, offset exclusive."""
        rhythms = self.load_ann(rec).rhythms
        return sorted(rhythms.get("AFIB", []) + rhythms.get("AFL", []))


class LTAFDB(AFDB):
    """Long Term AF Database (Petrutiu et al. 2007): beats and rhythms both in ``.atr``."""

    name: ClassVar[str] = "ltafdb"
    database_info: ClassVar[DatabaseInfo] = LTAFDB_INFO
    beat_extension: str = "atr"
