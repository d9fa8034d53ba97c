"""PhysioNet/CinC Challenge 2017 reader (Clifford et al. 2017): 8528 single-lead AliveCor ECGs
at 300 Hz, ``<rec>.mat`` (key ``'val'``, digital units, 1000 per mV) with labels in
``REFERENCE.csv`` (``N`` normal, ``A`` AF, ``O`` other rhythm, ``~`` noisy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo, ECGReader, ReaderError
from ecg_data.readers.cpsc2019 import load_mat_key

__all__ = ["CINC2017", "CINC2017_INFO", "CINC2017_LABELS"]

#: Label code -> name.
CINC2017_LABELS: dict[str, str] = {"N": "Normal", "A": "AF", "O": "Other", "~": "Noisy"}

CINC2017_INFO = DatabaseInfo(
    name="cinc2017",
    description=(
        "AF Classification from a Short Single Lead ECG Recording: The PhysioNet/Computing in "
        "Cardiology Challenge 2017; 9-60 s single-lead ECGs at 300 Hz labelled N, A, O or ~."
    ),
    fs=300.0,
    leads=("I",),
    license="ODC-By 1.0",
    doi="10.22489/CinC.2017.065-469",
    bibtex=(
        "@inproceedings{clifford2017af, title={AF Classification from a Short Single Lead ECG "
        "Recording: the PhysioNet/Computing in Cardiology Challenge 2017}, author={Clifford, Gari "
        "D and Liu, Chengyu and Moody, Benjamin and others}, booktitle={Computing in Cardiology}, "
        "volume={44}, year={2017}}"
    ),
    url="https://physionet.org/files/challenge-2017/1.0.0/",
)

_GAIN = 1000.0


class CINC2017(ECGReader):
    """CinC 2017 reader. Data (1, samples) in mV; ``load_ann(rec)`` -> label ``"N"``/``"A"``/
    ``"O"``/``"~"`` from ``REFERENCE.csv`` (searched in ``db_dir`` and ``training2017/``)."""

    name: ClassVar[str] = "cinc2017"
    database_info: ClassVar[DatabaseInfo] = CINC2017_INFO

    def _data_dir(self) -> Path:
        sub = self.db_dir / "training2017"
        return sub if sub.is_dir() else self.db_dir

    def _find_records(self) -> list[str]:
        return sorted(p.stem for p in self._data_dir().glob("*.mat"))

    def record_path(self, rec: str) -> Path:
        return self._inside(self._data_dir() / f"{self._check_rec(rec)}.mat")

    def _load(self, rec: str) -> npt.NDArray[np.float32]:
        path = self.record_path(rec)
        raw = load_mat_key(path, "val")
        if raw.ndim != 2 or raw.shape[0] != 1 or raw.shape[1] == 0:
            raise ReaderError(path, f"key 'val' must have shape (1, samples), got {raw.shape}")
        return (raw.astype(np.float32) / np.float32(_GAIN)).reshape(1, -1)

    def _read_header(self, rec: str) -> tuple[float, tuple[str, ...], int]:
        return 300.0, ("I",), int(self._load(rec).shape[1])

    def _read(
        self, rec: str, channels: list[int], sampfrom: int, sampto: int
    ) -> npt.NDArray[np.float32]:
        return self._load(rec)[channels, sampfrom:sampto]

    def _references(self) -> dict[str, str]:
        if not hasattr(self, "_refs"):
            refs: dict[str, str] = {}
            for folder in (self._data_dir(), self.db_dir):
                path = folder / "REFERENCE.csv"
                if path.is_file():
                    try:
                        text = self._inside(path).read_text(encoding="utf-8")
                    except UnicodeDecodeError as exc:
                        raise ReaderError(path, f"not a UTF-8 text file ({exc})") from exc
                    for k, line in enumerate(text.splitlines()):
                        if not line.strip():
                            continue
                        parts = [p.strip() for p in line.split(",")]
                        if len(parts) != 2 or parts[1] not in CINC2017_LABELS:
                            raise ReaderError(
                                path,
                                f"line {k + 1} {line!r} is not '<record>,<label>' with a label "
                                f"in {list(CINC2017_LABELS)}",
                            )
                        refs[parts[0]] = parts[1]
                    break
            self._refs = refs
        return self._refs

    def load_ann(self, rec: str | int) -> str:
        """Label of ``rec`` (``"N"``, ``"A"``, ``"O"`` or ``"~"``)."""
        rec = self._check_rec(rec)
        refs = self._references()
        if rec not in refs:
            raise ReaderError(self._data_dir() / "REFERENCE.csv", f"no label for record {rec!r}")
        return refs[rec]

    def _meta_row(self, rec: str) -> dict[str, Any]:
        label = self._references().get(rec)
        return {"labels": [label] if label else []}
