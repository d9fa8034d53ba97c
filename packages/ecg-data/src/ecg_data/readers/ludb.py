"""Lobachevsky University Electrocardiography Database (LUDB) reader: 200 12-lead 10 s records at
500 Hz with P, QRS and T onsets, peaks and offsets annotated per lead (Kalyakulina et al. 2020)."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo
from ecg_data.readers.wave_marks import MISSING, parse_wave_marks
from ecg_data.readers.wfdb_base import WFDBReader, read_wfdb_ann

__all__ = ["LUDB", "LUDB_INFO", "MISSING", "Wave", "WAVE_NAMES", "wave_mask"]

LUDB_LEADS: tuple[str, ...] = (
    "i",
    "ii",
    "iii",
    "avr",
    "avl",
    "avf",
    "v1",
    "v2",
    "v3",
    "v4",
    "v5",
    "v6",
)
#: WFDB symbol -> wave name.
WAVE_NAMES: dict[str, str] = {"p": "pwave", "N": "qrs", "t": "twave"}

LUDB_INFO = DatabaseInfo(
    name="ludb",
    description=(
        "Lobachevsky University Electrocardiography Database: 200 12-lead 10 s ECGs at 500 Hz with "
        "cardiologist-annotated P, QRS and T boundaries and peaks for every lead, and diagnoses."
    ),
    fs=500.0,
    leads=LUDB_LEADS,
    license="ODC-By 1.0",
    doi="10.13026/eegm-h675",
    bibtex=(
        "@article{kalyakulina2020ludb, title={LUDB: A New Open-Access Validation Tool for "
        "Electrocardiogram Delineation Algorithms}, author={Kalyakulina, Alena I and Yusipov, Igor I "
        "and Moskalenko, Viktor A and others}, journal={IEEE Access}, volume={8}, "
        "pages={186181--186190}, year={2020}}"
    ),
    url="https://physionet.org/files/ludb/1.0.1/",
)


@dataclass(frozen=True, slots=True)
class Wave:
    """One annotated wave: ``name`` in ``pwave``/``qrs``/``twave``, sample indices ``onset`` <=
    ``peak`` <= ``offset`` (offset inclusive) in ``lead``.

    A boundary the annotators left out is :data:`MISSING` (-1): LUDB has QRS complexes without
    their ``(`` onset (records 7, 8, 34, 95, 104, 111, 116); see :attr:`complete`.
    """

    name: str
    onset: int
    peak: int
    offset: int
    lead: str

    @property
    def complete(self) -> bool:
        """Whether both the onset and the offset are annotated."""
        return self.onset != MISSING and self.offset != MISSING


def wave_mask(
    waves: list[Wave], siglen: int, unknown: int | None = None, edge_margin: int = 0
) -> npt.NDArray[np.int64]:
    """Per-sample class (0 background, 1 P, 2 QRS, 3 T) of shape (siglen,).

    Args:
        waves: the waves of one lead.
        siglen: number of samples.
        unknown: when given, the code of the samples whose class the annotation does not tell:
            before the first and after the last annotated boundary (LUDB leaves the first and
            last beats unannotated), and, for a wave without its onset (offset), between the
            previous (next) annotated mark and its peak. When ``None`` such samples are
            background, and a wave without onset (offset) covers ``peak..offset``
            (``onset..peak``).
        edge_margin: with ``unknown``, this many samples before the first and after the last
            annotated boundary stay background (the isoelectric line next to an annotated
            onset or offset), so that those boundaries border a known class while the missing
            ones border ``unknown``.
    """
    code = {"pwave": 1, "qrs": 2, "twave": 3}
    mask = np.zeros(siglen, dtype=np.int64)
    ordered = sorted(waves, key=lambda w: w.peak)
    for w in ordered:
        on = w.peak if w.onset == MISSING else w.onset
        off = w.peak if w.offset == MISSING else w.offset
        mask[max(on, 0) : min(off + 1, siglen)] = code[w.name]
    if unknown is None or not ordered:
        if unknown is not None:
            mask[:] = unknown
        return mask
    for k, w in enumerate(ordered):
        if w.onset == MISSING:
            prev = ordered[k - 1] if k else None
            lo = 0 if prev is None else (prev.peak if prev.offset == MISSING else prev.offset) + 1
            mask[max(lo, 0) : max(w.peak, 0)] = unknown
        if w.offset == MISSING:
            nxt = ordered[k + 1] if k + 1 < len(ordered) else None
            hi = siglen if nxt is None else (nxt.peak if nxt.onset == MISSING else nxt.onset)
            mask[min(w.peak + 1, siglen) : min(hi, siglen)] = unknown
    marks = [m for w in ordered for m in (w.onset, w.peak, w.offset) if m != MISSING]
    first, last = min(marks), max(marks)
    mask[: max(first - edge_margin, 0)] = unknown
    mask[min(last + 1 + edge_margin, siglen) :] = unknown
    return mask


class LUDB(WFDBReader):
    """LUDB reader. Data (12, 5000) in mV; ``load_ann(rec, leads)`` -> ``{lead: [Wave, ...]}``.

    Annotation triplets ``(`` / ``p|N|t`` / ``)`` of each lead's annotation file (extension = lead
    name) become :class:`Wave` objects; a boundary the file leaves out is -1. Diagnoses come
    from ``ludb.csv`` when present.
    """

    name: ClassVar[str] = "ludb"
    database_info: ClassVar[DatabaseInfo] = LUDB_INFO

    def __init__(self, db_dir: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(db_dir, **kwargs)
        self._warned: set[str] = set()

    def _sort_key(self, rec: str) -> Any:
        return (0, int(rec)) if rec.isdigit() else (1, rec)

    def load_ann(self, rec: str | int, leads: list[str] | None = None) -> dict[str, list[Wave]]:  # type: ignore[override]
        """Waves per lead (all 12 leads by default), sorted by peak.

        A wave whose onset or offset is not annotated comes back with that boundary
        :data:`MISSING` (-1); one warning per record (and reader) names its leads and samples.
        Brackets that belong to no wave are ignored (see
        :func:`~ecg_data.readers.wave_marks.parse_wave_marks`).

        Raises:
            ReaderError: a lead's annotation file is missing or malformed, or has an annotation
                past the end of the signal.
        """
        rec = self._check_rec(rec)
        _, names, siglen = self._header(rec)
        leads = [n.lower() for n in names] if leads is None else [str(x).lower() for x in leads]
        out: dict[str, list[Wave]] = {}
        stem = self.record_path(rec)
        gaps: list[str] = []
        for lead in leads:
            samples, symbols, _ = read_wfdb_ann(stem, lead, siglen)
            parsed = parse_wave_marks(samples, symbols)
            waves = [
                Wave(name, int(on), int(pk), int(off), lead)
                for name in WAVE_NAMES.values()
                for on, pk, off in zip(
                    parsed.waves[name].onset,
                    parsed.waves[name].peak,
                    parsed.waves[name].offset,
                    strict=True,
                )
            ]
            out[lead] = sorted(waves, key=lambda w: w.peak)
            gaps += [
                f"{lead} {name} at sample {pk} has no {side}"
                for name, _, pk, side in parsed.missing
                if name in WAVE_NAMES.values()
            ]
        if gaps and rec not in self._warned:
            self._warned.add(rec)
            warnings.warn(
                f"LUDB record {rec}: {len(gaps)} wave boundaries are not annotated "
                f"(returned as -1): " + "; ".join(gaps),
                UserWarning,
                stacklevel=2,
            )
        return out

    def _diagnoses(self) -> dict[str, dict[str, Any]]:
        if not hasattr(self, "_diag"):
            import pandas as pd

            path = self.db_dir / "ludb.csv"
            table: dict[str, dict[str, Any]] = {}
            if path.is_file():
                df = pd.read_csv(path)
                for row in df.to_dict("records"):
                    table[str(row["ID"])] = row
            self._diag = table
        return self._diag

    def _meta_row(self, rec: str) -> dict[str, Any]:
        row = self._diagnoses().get(rec, {})
        labels = []
        for key, value in row.items():
            if key in ("ID", "Sex", "Age") or not isinstance(value, str):
                continue
            labels += [v.strip() for v in value.split("\n") if v.strip()]
        age_s = str(row.get("Age", "")).strip()
        sex_s = str(row.get("Sex", "")).strip()
        return {
            "labels": labels,
            "rhythm": str(row.get("Rhythms", "")).strip() or None,
            "age": int(age_s) if age_s.isdigit() else None,
            "sex": sex_s if sex_s in ("M", "F") else None,
        }

    def _plot_marks(self, rec: str, sampfrom: int, sampto: int) -> dict[str, npt.NDArray[np.int64]]:
        lead = self._header(rec)[1][1].lower()
        waves = self.load_ann(rec, [lead])[lead]
        return {
            f"{n} peak": np.array([w.peak for w in waves if w.name == n], dtype=np.int64)
            for n in WAVE_NAMES.values()
        }
