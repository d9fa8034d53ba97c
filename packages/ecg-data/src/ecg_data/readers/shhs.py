"""Sleep Heart Health Study reader (NSRR; Quan et al. 1997, Zhang et al. 2018): overnight
polysomnograms in EDF (``polysomnography/edfs/shhs1/shhs1-200001.edf``) with NSRR XML annotations
(``polysomnography/annotations-events-nsrr/shhs1/shhs1-200001-nsrr.xml``: sleep stages per 30 s
epoch and scored events). Only the ECG channel is exposed and only the requested window of it is
read from the EDF file (see :mod:`ecg_data.readers.edf`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo, ECGReader, ReaderError
from ecg_data.readers.edf import (
    EDFAnnotation,
    EDFHeader,
    read_edf_annotations,
    read_edf_header,
    read_edf_window,
)

__all__ = ["SHHS", "SHHS_INFO", "SleepAnn", "NSRR_STAGES"]

#: NSRR stage concept -> stage name (AASM: N3 merges R&K stages 3 and 4).
NSRR_STAGES: dict[str, str] = {
    "Wake|0": "W",
    "Stage 1 sleep|1": "N1",
    "Stage 2 sleep|2": "N2",
    "Stage 3 sleep|3": "N3",
    "Stage 4 sleep|4": "N3",
    "REM sleep|5": "R",
    "Movement|6": "M",
    "Unscored|9": "U",
}

SHHS_INFO = DatabaseInfo(
    name="shhs",
    description=(
        "Sleep Heart Health Study (NSRR): 8000+ home polysomnograms (shhs1, shhs2) in EDF with a "
        "single-lead ECG at 125 or 250 Hz, sleep stages and scored respiratory/arousal events."
    ),
    fs=125.0,
    leads=("ECG",),
    license="NSRR data use agreement",
    doi="10.1093/jamia/ocy064",
    bibtex=(
        "@article{zhang2018nsrr, title={The National Sleep Research Resource: towards a sleep data "
        "commons}, author={Zhang, Guo-Qiang and Cui, Licong and Mueller, Remo and others}, "
        "journal={Journal of the American Medical Informatics Association}, volume={25}, "
        "number={10}, pages={1351--1358}, year={2018}}"
    ),
    url="https://sleepdata.org/datasets/shhs",
)

_REC = re.compile(r"^(shhs\d)-(\d+)$")


@dataclass(frozen=True, slots=True)
class SleepAnn:
    """Sleep annotations, in samples of the ECG (offsets exclusive).

    Attributes:
        stages: ``(onset, offset, stage)`` with stage in W, N1, N2, N3, R (M, U otherwise).
        events: ``(onset, offset, name)`` of the scored events (apneas, arousals, ...).
        fs: sampling frequency in Hz of the sample indices.
    """

    stages: list[tuple[int, int, str]]
    events: list[tuple[int, int, str]] = field(default_factory=list)
    fs: float = 0.0

    def stage_at(self, sample: int) -> str | None:
        """Sleep stage at ``sample`` (``None`` when unscored)."""
        for a, b, s in self.stages:
            if a <= sample < b:
                return s
        return None


class SHHS(ECGReader):
    """SHHS reader: records ``shhs1-200001`` found as ``*.edf`` anywhere under ``db_dir``.

    Args:
        db_dir: SHHS folder (with ``polysomnography/`` or flat).
        ecg_label: label of the ECG signal in the EDF files.
    """

    name: ClassVar[str] = "shhs"
    database_info: ClassVar[DatabaseInfo] = SHHS_INFO

    def __init__(self, db_dir: Any, *, ecg_label: str = "ECG", **kwargs: Any) -> None:
        super().__init__(db_dir, **kwargs)
        self.ecg_label = ecg_label
        self._edf: dict[str, Path] = {}
        self._edf_headers: dict[str, EDFHeader] = {}

    def _find_records(self) -> list[str]:
        self._edf = {p.stem: p for p in sorted(self.db_dir.rglob("*.edf")) if _REC.match(p.stem)}
        return sorted(self._edf)

    def record_path(self, rec: str) -> Path:
        """The EDF file of ``rec`` (ReaderError for an unknown record)."""
        return self._edf[self._check_rec(rec)]

    def ann_path(self, rec: str | int) -> Path:
        """The NSRR XML annotation file of ``rec``."""
        rec = self._check_rec(rec)
        found = sorted(self.db_dir.rglob(f"{rec}-nsrr.xml"))
        if not found:
            raise ReaderError(self.db_dir, f"no NSRR annotation file {rec}-nsrr.xml")
        return self._inside(found[0])

    def edf_header(self, rec: str | int) -> EDFHeader:
        """The parsed EDF header of ``rec``."""
        rec = self._check_rec(rec)
        if rec not in self._edf_headers:
            self._edf_headers[rec] = read_edf_header(self._inside(self.record_path(rec)))
        return self._edf_headers[rec]

    def _read_header(self, rec: str) -> tuple[float, tuple[str, ...], int]:
        h = self.edf_header(rec)
        k = h.index(self.ecg_label)
        return h.signals[k].fs, ("ECG",), h.n_samples(k)

    def _native_units(self, rec: str) -> tuple[str, ...]:
        h = self.edf_header(rec)
        return (h.signals[h.index(self.ecg_label)].dimension or "mV",)

    def _read(
        self, rec: str, channels: list[int], sampfrom: int, sampto: int
    ) -> npt.NDArray[np.float32]:
        h = self.edf_header(rec)
        k = h.index(self.ecg_label)
        data = read_edf_window(h, k, sampfrom, sampto)
        return np.repeat(data[None, :], len(channels), axis=0)

    def load_ann(self, rec: str | int) -> SleepAnn:
        """Sleep stages and scored events of ``rec`` from its NSRR XML file.

        Raises:
            ReaderError: missing or malformed XML, or an event past the end of the recording.
        """
        import xml.etree.ElementTree as ET

        rec = self._check_rec(rec)
        path = self.ann_path(rec)
        fs, _, siglen = self._header(rec)
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise ReaderError(path, f"malformed XML ({exc})") from exc
        stages: list[tuple[int, int, str]] = []
        events: list[tuple[int, int, str]] = []
        for ev in root.iter("ScoredEvent"):
            etype = (ev.findtext("EventType") or "").strip()
            concept = (ev.findtext("EventConcept") or "").strip()
            try:
                start = float(ev.findtext("Start") or "nan")
                dur = float(ev.findtext("Duration") or "nan")
            except ValueError as exc:
                raise ReaderError(path, f"event {concept!r}: Start/Duration not numbers") from exc
            if not (np.isfinite(start) and np.isfinite(dur)) or start < 0 or dur < 0:
                raise ReaderError(path, f"event {concept!r}: bad Start={start} Duration={dur} s")
            a, b = int(round(start * fs)), int(round((start + dur) * fs))
            if b > siglen:
                raise ReaderError(
                    path,
                    f"event {concept!r} ends at {start + dur} s, past the end of the recording "
                    f"({siglen / fs} s)",
                )
            if etype.startswith("Stages"):
                stages.append((a, b, NSRR_STAGES.get(concept, concept.split("|")[0])))
            elif concept and etype:
                events.append((a, b, concept.split("|")[0]))
        return SleepAnn(stages=sorted(stages), events=sorted(events), fs=fs)

    def edf_annotations(self, rec: str | int) -> list[EDFAnnotation]:
        """The EDF+ annotations (TALs) stored in ``rec``'s EDF file itself, onsets in s from its
        first sample (none in a plain EDF file); :meth:`load_ann` reads the NSRR XML instead."""
        return read_edf_annotations(self.edf_header(rec))

    def _meta_row(self, rec: str) -> dict[str, Any]:
        m = _REC.match(rec)
        return {"subject": m.group(2) if m else rec, "visit": m.group(1) if m else None}
