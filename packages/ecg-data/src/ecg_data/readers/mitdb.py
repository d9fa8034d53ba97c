"""MIT-BIH Arrhythmia Database reader (48 half-hour 2-lead records, 360 Hz, WFDB format 212)."""

from __future__ import annotations

from typing import Any, ClassVar

from ecg_data.readers.base import DatabaseInfo
from ecg_data.readers.wfdb_base import WFDBReader

__all__ = ["MITDB", "MITDB_INFO"]

MITDB_INFO = DatabaseInfo(
    name="mitdb",
    description=(
        "MIT-BIH Arrhythmia Database: 48 half-hour excerpts of two-channel ambulatory ECG from 47 "
        "subjects, 360 Hz, 11-bit over 10 mV, with reference beat and rhythm annotations."
    ),
    fs=360.0,
    leads=("MLII", "V1"),
    license="ODC-By 1.0",
    doi="10.13026/C2F305",
    bibtex=(
        "@article{moody2001impact, title={The impact of the MIT-BIH Arrhythmia Database}, "
        "author={Moody, George B and Mark, Roger G}, journal={IEEE Engineering in Medicine and "
        "Biology Magazine}, volume={20}, number={3}, pages={45--50}, year={2001}}"
    ),
    url="https://physionet.org/files/mitdb/1.0.0/",
)


class MITDB(WFDBReader):
    """MIT-BIH Arrhythmia Database (Moody & Mark 2001).

    ``load_ann(rec)`` returns a :class:`~ecg_data.readers.wfdb_base.BeatRhythmAnn` with the beats
    (symbols ``N``, ``V``, ``A``, ...) and rhythm intervals from the ``.atr`` aux notes (``(N``,
    ``(AFIB``, ...). Data shape (leads=2, samples).
    """

    name: ClassVar[str] = "mitdb"
    database_info: ClassVar[DatabaseInfo] = MITDB_INFO
    header_glob = "*.hea"

    def _meta_row(self, rec: str) -> dict[str, Any]:
        comments = self.header_comments(rec)
        age: int | None = None
        sex: str | None = None
        meds: list[str] = []
        for k, line in enumerate(comments):
            parts = line.split()
            if len(parts) >= 2 and parts[0].isdigit() and parts[1] in ("M", "F"):
                age, sex = int(parts[0]), parts[1]
                meds = [c.strip() for c in comments[k + 1 : k + 2]]
                break
        subject = rec
        # records 201 and 202 come from the same subject (MIT-BIH directory)
        if rec == "202":
            subject = "201"
        return {"subject": subject, "age": age, "sex": sex, "labels": [], "medications": meds}
