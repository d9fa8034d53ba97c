"""Lobachevsky University Electrocardiography Database (LUDB) reader: 200 12-lead 10 s records at
500 Hz with P, QRS and T onsets, peaks and offsets annotated per lead (Kalyakulina et al. 2020)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo, ReaderError
from ecg_data.readers.wfdb_base import WFDBReader, read_wfdb_ann

__all__ = ["LUDB", "LUDB_INFO", "Wave", "WAVE_NAMES", "wave_mask"]

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
    ``peak`` <= ``offset`` (offset inclusive) in ``lead``."""

    name: str
    onset: int
    peak: int
    offset: int
    lead: str


def wave_mask(waves: list[Wave], siglen: int) -> npt.NDArray[np.int64]:
    """Per-sample class (0 background, 1 P, 2 QRS, 3 T) of shape (siglen,)."""
    code = {"pwave": 1, "qrs": 2, "twave": 3}
    mask = np.zeros(siglen, dtype=np.int64)
    for w in waves:
        mask[max(w.onset, 0) : min(w.offset + 1, siglen)] = code[w.name]
    return mask


class LUDB(WFDBReader):
    """LUDB reader. Data (12, 5000) in mV; ``load_ann(rec, leads)`` -> ``{lead: [Wave, ...]}``.

    Annotation triplets ``(`` / ``p|N|t`` / ``)`` of each lead's annotation file (extension = lead
    name) become :class:`Wave` objects. Diagnoses come from ``ludb.csv`` when present.
    """

    name: ClassVar[str] = "ludb"
    database_info: ClassVar[DatabaseInfo] = LUDB_INFO

    def _sort_key(self, rec: str) -> Any:
        return (0, int(rec)) if rec.isdigit() else (1, rec)

    def load_ann(self, rec: str | int, leads: list[str] | None = None) -> dict[str, list[Wave]]:  # type: ignore[override]
        """Waves per lead (all 12 leads by default).

        Raises:
            ReaderError: a lead's annotation file is missing or malformed (unbalanced brackets).
        """
        rec = self._check_rec(rec)
        _, names, siglen = self._header(rec)
        leads = [n.lower() for n in names] if leads is None else [str(x).lower() for x in leads]
        out: dict[str, list[Wave]] = {}
        stem = self.record_path(rec)
        for lead in leads:
            samples, symbols, _ = read_wfdb_ann(stem, lead, siglen)
            waves: list[Wave] = []
            k = 0
            while k < len(symbols):
                if symbols[k] in WAVE_NAMES:
                    on = int(samples[k - 1]) if k > 0 and symbols[k - 1] == "(" else None
                    off = (
                        int(samples[k + 1])
                        if k + 1 < len(symbols) and symbols[k + 1] == ")"
                        else None
                    )
                    if on is None or off is None or not on <= samples[k] <= off:
                        raise ReaderError(
                            stem.with_name(f"{stem.name}.{lead}"),
                            f"wave {symbols[k]!r} at sample {int(samples[k])} lacks its '(' onset or ')' offset",
                        )
                    waves.append(Wave(WAVE_NAMES[symbols[k]], on, int(samples[k]), off, lead))
                k += 1
            out[lead] = waves
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
