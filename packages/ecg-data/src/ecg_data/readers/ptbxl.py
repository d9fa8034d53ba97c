"""PTB-XL reader (Wagner et al. 2020): 21799 12-lead 10 s ECGs at 500 Hz (``records500/``) and
100 Hz (``records100/``) in WFDB format, with SCP-ECG statements and their likelihoods in
``ptbxl_database.csv`` (column ``scp_codes``, a Python dict literal) and the statement table
``scp_statements.csv``; the recommended split uses ``strat_fold`` (1-8 train, 9 validation,
10 test; Strodthoff et al. 2021).
"""

from __future__ import annotations

import ast
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ecg_data.readers.base import DatabaseInfo, ReaderError
from ecg_data.readers.wfdb_base import WFDBReader

__all__ = ["PTBXL", "PTBXL_INFO", "PTBXLAnn", "PTBXL_TASKS", "PTBXL_LEADS"]

PTBXL_LEADS: tuple[str, ...] = (
    "I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6",
)  # fmt: skip
#: Label sets of the benchmark of Strodthoff et al. (2021).
PTBXL_TASKS: tuple[str, ...] = (
    "all",
    "diagnostic",
    "subdiagnostic",
    "superdiagnostic",
    "form",
    "rhythm",
)

PTBXL_INFO = DatabaseInfo(
    name="ptb-xl",
    description=(
        "PTB-XL: 21799 clinical 12-lead ECGs of 10 s from 18869 patients, at 500 Hz and 100 Hz, "
        "annotated with 71 SCP-ECG statements (diagnostic, form, rhythm) with likelihoods, and a "
        "recommended stratified 10-fold split."
    ),
    fs=500.0,
    leads=PTBXL_LEADS,
    license="CC BY 4.0",
    doi="10.13026/kfzx-aw45",
    bibtex=(
        "@article{wagner2020ptbxl, title={PTB-XL, a large publicly available electrocardiography "
        "dataset}, author={Wagner, Patrick and Strodthoff, Nils and Bousseljot, Ralf-Dieter and "
        "others}, journal={Scientific Data}, volume={7}, number={1}, pages={154}, year={2020}}"
    ),
    url="https://physionet.org/files/ptb-xl/1.0.3/",
)


@dataclass(frozen=True, slots=True)
class PTBXLAnn:
    """Annotations of a PTB-XL record.

    Attributes:
        scp_codes: SCP statement -> likelihood in % (0 when unknown).
        strat_fold: fold 1..10 of the recommended split.
        patient_id: the patient.
        diagnostic_superclass: superclasses (NORM, MI, STTC, CD, HYP) of the diagnostic codes.
    """

    scp_codes: dict[str, float]
    strat_fold: int
    patient_id: str
    diagnostic_superclass: list[str]


def _parse_codes(text: Any, path: Path, ecg_id: Any) -> dict[str, float]:
    try:
        value = ast.literal_eval(str(text))
    except (ValueError, SyntaxError) as exc:
        raise ReaderError(
            path, f"ecg_id {ecg_id}: scp_codes {text!r} is not a dict literal"
        ) from exc
    if not isinstance(value, dict):
        raise ReaderError(path, f"ecg_id {ecg_id}: scp_codes {text!r} is not a dict")
    return {str(k): float(v) for k, v in value.items()}


def _read_table(
    path: Path, what: str, need: list[str], index_col: int | None = None
) -> pd.DataFrame:
    """Read the CSV table ``path`` (``what`` names it in errors); ReaderError when it is missing
    or lacks a column of ``need``."""
    if not path.is_file():
        raise ReaderError(path, f"{what} is missing")
    try:
        df = pd.read_csv(path, index_col=index_col, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ReaderError(path, f"malformed {what} ({type(exc).__name__}: {exc})") from exc
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ReaderError(path, f"missing columns {missing} (has {list(df.columns)})")
    return df


def _check_database_table(df: pd.DataFrame, path: Path) -> None:
    """ReaderError naming ``path`` unless ``ecg_id`` is a unique positive integer, ``strat_fold``
    an integer in 1..10 and the file names are non-empty strings (in place: the integer columns
    are converted to int64)."""
    for col, low, high in (("ecg_id", 1, None), ("strat_fold", 1, 10)):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | (values != values.round()) | (values < low)
        if high is not None:
            bad |= values > high
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            span = f"in [{low}, {high}]" if high is not None else f">= {low}"
            raise ReaderError(
                path,
                f"row {k + 1}: {col} must be an integer {span}, got {df[col].iloc[k]!r}",
            )
        df[col] = values.astype(np.int64)
    dup = df["ecg_id"].duplicated()
    if dup.any():
        raise ReaderError(path, f"ecg_id {int(df['ecg_id'][dup].iloc[0])} appears twice")
    for col in ("filename_lr", "filename_hr"):
        bad = ~df[col].map(lambda v: isinstance(v, str) and bool(v.strip()))
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            raise ReaderError(
                path, f"row {k + 1}: {col} must be a record path, got {df[col].iloc[k]!r}"
            )


class PTBXL(WFDBReader):
    """PTB-XL reader. Records are named by their 5-digit ``ecg_id`` (``"00001"``).

    Args:
        db_dir: folder holding ``ptbxl_database.csv``, ``scp_statements.csv`` and the records.
        sampling_rate: 500 (``filename_hr``) or 100 (``filename_lr``).

    Data shape (12, 5000) at 500 Hz in mV. ``load_ann(rec)`` -> :class:`PTBXLAnn`;
    :meth:`labels` gives the labels of a task of :data:`PTBXL_TASKS`.

    Raises:
        ReaderError: a CSV file is missing or lacks a required column.
    """

    name: ClassVar[str] = "ptb-xl"
    database_info: ClassVar[DatabaseInfo] = PTBXL_INFO

    def __init__(
        self, db_dir: str | os.PathLike[str], sampling_rate: int = 500, **kwargs: Any
    ) -> None:
        if sampling_rate not in (100, 500):
            raise ValueError(f"sampling_rate must be 100 or 500 Hz, got {sampling_rate!r}")
        super().__init__(db_dir, **kwargs)
        self.sampling_rate = int(sampling_rate)
        self._db: pd.DataFrame | None = None
        self._scp: pd.DataFrame | None = None

    # ------------------------------------------------------------------ tables
    @property
    def database_table(self) -> pd.DataFrame:
        """``ptbxl_database.csv`` indexed by ``ecg_id`` (``scp_codes`` parsed to dicts)."""
        if self._db is None:
            path = self.db_dir / "ptbxl_database.csv"
            need = ["ecg_id", "patient_id", "scp_codes", "strat_fold", "filename_lr", "filename_hr"]
            df = _read_table(self._inside(path), "PTB-XL database table", need)
            _check_database_table(df, path)
            df["scp_codes"] = [
                _parse_codes(t, path, i) for t, i in zip(df["scp_codes"], df["ecg_id"], strict=True)
            ]
            self._db = df.set_index("ecg_id")
        return self._db

    @property
    def scp_statements(self) -> pd.DataFrame:
        """``scp_statements.csv`` indexed by the statement code."""
        if self._scp is None:
            path = self.db_dir / "scp_statements.csv"
            need = ["diagnostic", "form", "rhythm", "diagnostic_class", "diagnostic_subclass"]
            self._scp = _read_table(self._inside(path), "SCP statements table", need, index_col=0)
        return self._scp

    def _find_records(self) -> list[str]:
        col = "filename_hr" if self.sampling_rate == 500 else "filename_lr"
        table = self.database_table
        self._paths = {
            f"{int(i):05d}": self.db_dir / str(f)
            for i, f in zip(table.index, table[col], strict=True)
        }
        return sorted(self._paths)

    def _row(self, rec: str) -> Any:
        return self.database_table.loc[int(rec)]

    # ------------------------------------------------------------------ annotations
    def load_ann(self, rec: str | int) -> PTBXLAnn:  # type: ignore[override]
        """SCP statements with likelihoods, fold and patient of ``rec``."""
        rec = self._check_rec(rec)
        row = self._row(rec)
        codes = dict(row["scp_codes"])
        scp = self.scp_statements
        supers = sorted(
            {
                str(scp.loc[c, "diagnostic_class"])
                for c in codes
                if c in scp.index
                and scp.loc[c, "diagnostic"] == 1
                and isinstance(scp.loc[c, "diagnostic_class"], str)
            }
        )
        pid = row["patient_id"]
        pid_s = str(int(pid)) if isinstance(pid, float) and math.isfinite(pid) else str(pid)
        return PTBXLAnn(
            scp_codes=codes,
            strat_fold=int(row["strat_fold"]),
            patient_id=pid_s,
            diagnostic_superclass=supers,
        )

    def labels(self, rec: str | int, task: str = "all", min_likelihood: float = 0.0) -> list[str]:
        """Labels of ``rec`` for ``task`` (Strodthoff et al. 2021): ``all`` (every statement),
        ``diagnostic``, ``subdiagnostic`` (diagnostic subclasses), ``superdiagnostic``
        (diagnostic classes), ``form`` or ``rhythm``; statements with a likelihood below
        ``min_likelihood`` (%) are ignored (0 keeps all, as the benchmark)."""
        if task not in PTBXL_TASKS:
            raise ValueError(f"task must be one of {list(PTBXL_TASKS)}, got {task!r}")
        codes = {c: v for c, v in self.load_ann(rec).scp_codes.items() if v >= min_likelihood}
        if task == "all":
            return sorted(codes)
        scp = self.scp_statements
        known = [c for c in codes if c in scp.index]
        if task in ("form", "rhythm", "diagnostic"):
            return sorted(c for c in known if scp.loc[c, task] == 1)
        col = "diagnostic_subclass" if task == "subdiagnostic" else "diagnostic_class"
        return sorted(
            {
                str(scp.loc[c, col])
                for c in known
                if scp.loc[c, "diagnostic"] == 1 and isinstance(scp.loc[c, col], str)
            }
        )

    def _meta_row(self, rec: str) -> dict[str, Any]:
        row = self._row(rec)
        ann = self.load_ann(rec)
        age = row.get("age")
        sex = row.get("sex")
        return {
            "subject": ann.patient_id,
            "labels": sorted(ann.scp_codes),
            "strat_fold": ann.strat_fold,
            "split": "train" if ann.strat_fold <= 8 else "val" if ann.strat_fold == 9 else "test",
            "age": float(age) if age is not None and pd.notna(age) else None,
            "sex": ("M" if int(sex) == 0 else "F") if sex is not None and pd.notna(sex) else None,
        }
