"""PhysioNet/CinC Challenge 2020 and 2021 readers: 12-lead WFDB records (header + ``.mat``).

Diagnoses are SNOMED CT codes in the header comment ``# Dx: code,code``. They are mapped to
abbreviations and merged by the challenge's equivalence classes before being mapped onto the scored
classes (Perez Alday et al. 2020; Reyna et al. 2021).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo, ReaderError
from ecg_data.readers.wfdb_base import WFDBReader

__all__ = [
    "CINC2021",
    "CINC2020",
    "CINC2021_INFO",
    "CINC2020_INFO",
    "CinCAnn",
    "SNOMED_ABBR",
    "SCORED_CINC2021",
    "SCORED_CINC2020",
    "EQUIV_CINC2021",
    "EQUIV_CINC2020",
    "LEAD_SETS",
]

TWELVE_LEADS: tuple[str, ...] = (
    "I",
    "II",
    "III",
    "aVR",
    "aVL",
    "aVF",
    "V1",
    "V2",
    "V3",
    "V4",
    "V5",
    "V6",
)
#: The reduced lead sets of the 2021 challenge.
LEAD_SETS: dict[int, tuple[str, ...]] = {
    12: TWELVE_LEADS,
    6: ("I", "II", "III", "aVR", "aVL", "aVF"),
    4: ("I", "II", "III", "V2"),
    3: ("I", "II", "V2"),
    2: ("I", "II"),
}

#: SNOMED CT code -> abbreviation (scored classes and frequent unscored ones).
SNOMED_ABBR: dict[str, str] = {
    "164889003": "AF",
    "164890007": "AFL",
    "6374002": "BBB",
    "426627000": "Brady",
    "733534002": "CLBBB",
    "164909002": "LBBB",
    "713427006": "CRBBB",
    "59118001": "RBBB",
    "270492004": "IAVB",
    "713426002": "IRBBB",
    "39732003": "LAD",
    "445118002": "LAnFB",
    "164947007": "LPR",
    "251146004": "LQRSV",
    "111975006": "LQT",
    "698252002": "NSIVCB",
    "426783006": "NSR",
    "284470004": "PAC",
    "63593006": "SVPB",
    "10370003": "PR",
    "365413008": "PRWP",
    "427172004": "PVC",
    "17338001": "VPB",
    "164917005": "QAb",
    "47665007": "RAD",
    "427393009": "SA",
    "426177001": "SB",
    "427084000": "STach",
    "164934002": "TAb",
    "59931005": "TInv",
    # frequent unscored codes
    "67741000119109": "LAE",
    "164865005": "MI",
    "164861001": "MIs",
    "428750005": "NSSTTA",
    "164930006": "STIAb",
    "429622005": "STD",
    "164931005": "STE",
    "55930002": "STC",
    "164951009": "abQRS",
    "164873001": "LVH",
    "89792004": "RVH",
    "446358003": "RAH",
    "251120003": "ILBBB",
    "164884008": "VEB",
    "195042002": "IIAVB",
    "27885002": "CHB",
    "195080001": "AFAFL",
    "426761007": "SVT",
    "713422000": "ATach",
    "233917008": "AVB",
    "74390002": "WPW",
}

#: 2021 equivalence classes: member code -> representative code.
EQUIV_CINC2021: dict[str, str] = {
    "59118001": "713427006",  # RBBB ~ CRBBB
    "63593006": "284470004",  # SVPB ~ PAC
    "17338001": "427172004",  # VPB ~ PVC
    "164909002": "733534002",  # LBBB ~ CLBBB
}
#: 2020 equivalence classes.
EQUIV_CINC2020: dict[str, str] = {k: v for k, v in EQUIV_CINC2021.items() if k != "164909002"}

#: The 26 scored classes of 2021 (representative SNOMED CT codes, weights.csv order).
SCORED_CINC2021: tuple[str, ...] = (
    "164889003", "164890007", "6374002", "426627000", "733534002", "713427006", "270492004",
    "713426002", "39732003", "445118002", "164947007", "251146004", "111975006", "698252002",
    "426783006", "284470004", "10370003", "365413008", "427172004", "164917005", "47665007",
    "427393009", "426177001", "427084000", "164934002", "59931005",
)  # fmt: skip
#: The 24 scored classes of 2020.
SCORED_CINC2020: tuple[str, ...] = (
    "270492004", "164889003", "164890007", "426627000", "713427006", "713426002", "445118002",
    "39732003", "164909002", "251146004", "698252002", "10370003", "284470004", "427172004",
    "164947007", "111975006", "164917005", "47665007", "427393009", "426177001", "426783006",
    "427084000", "164934002", "59931005",
)  # fmt: skip

#: Record-name prefix -> source database.
SOURCES: dict[str, str] = {
    "A": "CPSC", "Q": "CPSC-Extra", "I": "INCART", "S": "PTB", "HR": "PTB-XL", "E": "Georgia",
    "JS": "Chapman-Shaoxing/Ningbo",
}  # fmt: skip

_BIB = (
    "@article{reyna2021will, title={Will Two Do? Varying Dimensions in Electrocardiography: The "
    "PhysioNet/Computing in Cardiology Challenge 2021}, author={Reyna, Matthew A and Sadr, Nadi and "
    "Perez Alday, Erick A and others}, journal={Computing in Cardiology}, volume={48}, year={2021}}"
)
CINC2021_INFO = DatabaseInfo(
    name="cinc2021",
    description=(
        "PhysioNet/CinC Challenge 2021: 12-lead ECGs (mostly 500 Hz, 257 Hz for INCART, 1000 Hz for "
        "PTB) from 7 sources with SNOMED CT diagnoses; 26 scored classes and reduced lead sets."
    ),
    fs=500.0,
    leads=TWELVE_LEADS,
    license="CC BY 4.0",
    doi="10.13026/34va-7q14",
    bibtex=_BIB,
    url="https://physionet.org/files/challenge-2021/1.0.3/training/",
)
CINC2020_INFO = DatabaseInfo(
    name="cinc2020",
    description=(
        "PhysioNet/CinC Challenge 2020: 12-lead ECGs from 6 sources with SNOMED CT diagnoses; "
        "24 scored classes."
    ),
    fs=500.0,
    leads=TWELVE_LEADS,
    license="CC BY 4.0",
    doi="10.1088/1361-6579/abc960",
    bibtex=(
        "@article{alday2020classification, title={Classification of 12-lead ECGs: the PhysioNet/"
        "Computing in Cardiology Challenge 2020}, author={Perez Alday, Erick A and Gu, Annie and "
        "Shah, Amit J and others}, journal={Physiological Measurement}, volume={41}, number={12}, "
        "pages={124003}, year={2020}}"
    ),
    url="https://physionet.org/files/challenge-2020/1.0.2/training/",
)

_PREFIX = re.compile(r"^([A-Za-z]+)(\d+)$")


@dataclass(frozen=True, slots=True)
class CinCAnn:
    """Header annotations of a CinC record.

    Attributes:
        dx_codes: SNOMED CT codes as written in the header.
        dx_abbr: their abbreviations (the code itself when unknown).
        scored_codes: codes after the equivalence classes that are scored, in scored order.
        scored_abbr: abbreviations of ``scored_codes``.
        age: age in years (``None`` when unknown).
        sex: ``"M"``, ``"F"`` or ``None``.
    """

    dx_codes: list[str]
    dx_abbr: list[str]
    scored_codes: list[str]
    scored_abbr: list[str]
    age: float | None
    sex: str | None


class CINC2021(WFDBReader):
    """PhysioNet/CinC Challenge 2021 database (Reyna et al. 2021). Data (12, samples) in mV.

    ``load_ann(rec)`` returns a :class:`CinCAnn`; :meth:`multi_hot` the scored-class vector.
    Records are found recursively (``training/<source>/g*/``) by their ``.hea`` files.
    """

    name: ClassVar[str] = "cinc2021"
    database_info: ClassVar[DatabaseInfo] = CINC2021_INFO
    scored: ClassVar[tuple[str, ...]] = SCORED_CINC2021
    equiv: ClassVar[dict[str, str]] = EQUIV_CINC2021

    @property
    def scored_abbr(self) -> list[str]:
        """Abbreviations of the scored classes, in order."""
        return [SNOMED_ABBR.get(c, c) for c in self.scored]

    def get_source(self, rec: str) -> str:
        """The source database of ``rec``, from its name prefix (``"unknown"`` if none)."""
        m = _PREFIX.match(rec)
        return SOURCES.get(m.group(1), m.group(1)) if m else "unknown"

    def load_ann(self, rec: str | int) -> CinCAnn:  # type: ignore[override]
        """Diagnoses, age and sex from the header comments of ``rec``.

        Raises:
            ReaderError: the header has no ``Dx`` line.
        """
        rec = self._check_rec(rec)
        fields: dict[str, str] = {}
        for line in self.header_comments(rec):
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip().lower()] = value.strip()
        if "dx" not in fields:
            raise ReaderError(
                self.record_path(rec).with_suffix(".hea"), "header has no '# Dx:' line"
            )
        codes = [c.strip() for c in fields["dx"].split(",") if c.strip()]
        merged: list[str] = []
        for code in codes:
            rep = self.equiv.get(code, code)
            if rep in self.scored and rep not in merged:
                merged.append(rep)
        merged.sort(key=self.scored.index)
        age_s = fields.get("age", "")
        try:
            age: float | None = float(age_s)
            if age is not None and not np.isfinite(age):
                age = None
        except ValueError:
            age = None
        sex_s = fields.get("sex", "").lower()
        sex = "M" if sex_s.startswith("m") else "F" if sex_s.startswith("f") else None
        return CinCAnn(
            dx_codes=codes,
            dx_abbr=[SNOMED_ABBR.get(c, c) for c in codes],
            scored_codes=merged,
            scored_abbr=[SNOMED_ABBR.get(c, c) for c in merged],
            age=age,
            sex=sex,
        )

    def multi_hot(
        self, rec: str | int, classes: tuple[str, ...] | list[str] | None = None
    ) -> npt.NDArray[np.float32]:
        """Multi-hot float32 vector over ``classes`` (SNOMED codes or abbreviations of scored
        classes; the scored classes by default), after the equivalence classes."""
        ann = self.load_ann(rec)
        classes = tuple(classes) if classes is not None else self.scored
        present = set(ann.scored_codes) | set(ann.scored_abbr)
        present |= {self.equiv.get(c, c) for c in ann.dx_codes}
        present |= {SNOMED_ABBR.get(self.equiv.get(c, c), c) for c in ann.dx_codes}
        return np.array([1.0 if c in present else 0.0 for c in classes], dtype=np.float32)

    def _plot_title(self, rec: str) -> str:
        try:
            labels = ", ".join(self.load_ann(rec).dx_abbr) or "no Dx"
        except ReaderError:
            labels = "no Dx"
        return f"{self.name} {rec}: {labels}"

    def _meta_row(self, rec: str) -> dict[str, Any]:
        ann = self.load_ann(rec)
        return {
            "subject": rec,
            "labels": ann.scored_abbr,
            "dx": ann.dx_abbr,
            "age": ann.age,
            "sex": ann.sex,
            "source": self.get_source(rec),
        }


class CINC2020(CINC2021):
    """PhysioNet/CinC Challenge 2020 database (Perez Alday et al. 2020): same format, 24 scored
    classes and the three 2020 equivalence classes."""

    name: ClassVar[str] = "cinc2020"
    database_info: ClassVar[DatabaseInfo] = CINC2020_INFO
    scored: ClassVar[tuple[str, ...]] = SCORED_CINC2020
    equiv: ClassVar[dict[str, str]] = EQUIV_CINC2020
