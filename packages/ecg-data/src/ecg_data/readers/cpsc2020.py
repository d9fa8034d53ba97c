"""CPSC 2020 reader (Cai et al. 2020): 10 single-lead Holter ECGs of about 24 h at 400 Hz,
``data/A01.mat`` (key ``'ecg'``, mV) with the reference positions of premature ventricular (PVC)
and supraventricular (SPB) beats in ``ref/R01.mat`` (``S_ref``/``V_ref`` in a struct ``ref`` or
at the top level, sample indices)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo, ECGReader, ReaderError

__all__ = ["CPSC2020", "CPSC2020Ann", "CPSC2020_INFO"]

CPSC2020_INFO = DatabaseInfo(
    name="cpsc2020",
    description=(
        "The 3rd China Physiological Signal Challenge 2020: 10 single-lead 24 h Holter ECGs at "
        "400 Hz with reference positions of premature ventricular and supraventricular beats."
    ),
    fs=400.0,
    leads=("ECG",),
    license="free for research",
    doi="10.1166/jmihi.2020.3289",
    bibtex=(
        "@article{cai2020open, title={An Open-Access Long-Term Wearable ECG Database for Premature "
        "Ventricular Contractions and Supraventricular Premature Beat Detection}, author={Cai, "
        "Zhipeng and Liu, Chengyu and Gao, Hongxiang and others}, journal={Journal of Medical "
        "Imaging and Health Informatics}, volume={10}, number={11}, pages={2663--2667}, year={2020}}"
    ),
)

_REC = re.compile(r"^A(\d\d)$")


@dataclass(frozen=True, slots=True)
class CPSC2020Ann:
    """Premature beats of a record: ``spb`` (S_ref) and ``pvc`` (V_ref) sample indices, int64."""

    spb: npt.NDArray[np.int64]
    pvc: npt.NDArray[np.int64]


class CPSC2020(ECGReader):
    """CPSC 2020 reader. Data (1, samples) in mV at 400 Hz; ``load_ann`` -> :class:`CPSC2020Ann`.

    ``.mat`` files cannot be read partially; a loaded record is kept for the next window.
    """

    name: ClassVar[str] = "cpsc2020"
    database_info: ClassVar[DatabaseInfo] = CPSC2020_INFO

    def _dir(self, sub: str) -> Path:
        return self.db_dir / sub if (self.db_dir / sub).is_dir() else self.db_dir

    def _find_records(self) -> list[str]:
        return sorted(p.stem for p in self._dir("data").glob("A*.mat") if _REC.match(p.stem))

    def record_path(self, rec: str) -> Path:
        return self._inside(self._dir("data") / f"{self._check_rec(rec)}.mat")

    def ann_path(self, rec: str | int) -> Path:
        """Path of the reference file ``R<nn>.mat`` of ``rec``."""
        rec = self._check_rec(rec)
        return self._inside(self._dir("ref") / f"R{rec[1:]}.mat")

    def _load(self, rec: str) -> npt.NDArray[np.float32]:
        from ecg_data.readers.cpsc2019 import load_mat_key

        last = getattr(self, "_last", None)
        if last is not None and last[0] == rec:
            return last[1]  # type: ignore[no-any-return]
        path = self.record_path(rec)
        raw = load_mat_key(path, "ecg")
        if raw.ndim not in (1, 2) or (raw.ndim == 2 and min(raw.shape) != 1) or raw.size == 0:
            raise ReaderError(
                path, f"key 'ecg' must hold a single-lead signal, got shape {raw.shape}"
            )
        sig = raw.reshape(1, -1).astype(np.float32)
        self._last = (rec, sig)
        return sig

    def _read_header(self, rec: str) -> tuple[float, tuple[str, ...], int]:
        return 400.0, ("ECG",), int(self._load(rec).shape[1])

    def _read(
        self, rec: str, channels: list[int], sampfrom: int, sampto: int
    ) -> npt.NDArray[np.float32]:
        return self._load(rec)[channels, sampfrom:sampto]

    def load_ann(self, rec: str | int) -> CPSC2020Ann:
        """Reference SPB and PVC positions of ``rec``.

        Raises:
            ReaderError: missing file or keys, or a position outside the signal.
        """
        from scipy.io import loadmat

        rec = self._check_rec(rec)
        path = self.ann_path(rec)
        if not path.is_file():
            raise ReaderError(path, "reference file is missing")
        try:
            content: dict[str, Any] = loadmat(str(path))
        except Exception as exc:
            raise ReaderError(path, f"malformed .mat file ({type(exc).__name__}: {exc})") from exc
        src: Any = content
        if "ref" in content and "S_ref" not in content:
            src = content["ref"][0, 0]
        names = src.dtype.names if hasattr(src, "dtype") else tuple(src)
        missing = [k for k in ("S_ref", "V_ref") if k not in (names or ())]
        if missing:
            raise ReaderError(
                path, f"reference file has no {missing} (keys: {sorted(names or [])})"
            )
        siglen = self.get_siglen(rec)
        out = {}
        for key in ("S_ref", "V_ref"):
            arr = np.sort(np.asarray(src[key], dtype=np.int64).ravel())
            if arr.size and (arr.min() < 0 or arr.max() >= siglen):
                raise ReaderError(
                    path,
                    f"{key} position {int(arr.max())} is outside the signal ({siglen} samples)",
                )
            out[key] = arr
        return CPSC2020Ann(spb=out["S_ref"], pvc=out["V_ref"])

    def _plot_marks(self, rec: str, sampfrom: int, sampto: int) -> dict[str, npt.NDArray[np.int64]]:
        ann = self.load_ann(rec)
        return {"SPB": ann.spb, "PVC": ann.pvc}
