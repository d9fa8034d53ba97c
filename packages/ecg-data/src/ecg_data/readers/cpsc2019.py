"""CPSC 2019 (QRS detection) reader: single-lead 10 s records at 500 Hz with R-peak references."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo, ECGReader, ReaderError

__all__ = ["CPSC2019", "CPSC2019_INFO", "load_mat_key"]

CPSC2019_INFO = DatabaseInfo(
    name="cpsc2019",
    description=(
        "The 2nd China Physiological Signal Challenge 2019: 2000 single-lead 10 s ECG records at "
        "500 Hz (data/data_XXXXX.mat, key 'ecg', mV) with R-peak references (ref/R_XXXXX.mat, "
        "key 'R_peak', sample indices)."
    ),
    fs=500.0,
    leads=("ECG",),
    license="free for research",
    doi="10.1166/jmihi.2020.3178",
    bibtex=(
        "@article{gao2019open, title={An Open-Access ECG Database for Algorithm Evaluation of QRS "
        "Detection and Heart Rate Estimation}, author={Gao, Hongxiang and Liu, Chengyu and Wang, "
        "Xingyao and others}, journal={Journal of Medical Imaging and Health Informatics}, "
        "volume={9}, number={9}, pages={1853--1858}, year={2019}}"
    ),
)

_REC = re.compile(r"^data_(\d+)$")


def load_mat_key(path: Path, key: str) -> npt.NDArray[Any]:
    """``scipy.io.loadmat(path)[key]`` (the array as stored, any shape), raising
    :class:`ReaderError` naming the file on failure."""
    from scipy.io import loadmat

    if not path.is_file():
        raise ReaderError(path, "file is missing")
    try:
        content = loadmat(str(path))
    except Exception as exc:
        raise ReaderError(path, f"malformed .mat file ({type(exc).__name__}: {exc})") from exc
    if key not in content:
        keys = sorted(k for k in content if not k.startswith("__"))
        raise ReaderError(path, f".mat file has no key {key!r} (keys: {keys})")
    return np.asarray(content[key])


class CPSC2019(ECGReader):
    """CPSC 2019 database (Gao et al. 2019). Data shape (1, 5000) in mV at 500 Hz.

    ``load_ann(rec)`` returns the reference R-peak sample indices (int64, sorted).
    """

    name: ClassVar[str] = "cpsc2019"
    database_info: ClassVar[DatabaseInfo] = CPSC2019_INFO

    def _data_dir(self) -> Path:
        return self.db_dir / "data" if (self.db_dir / "data").is_dir() else self.db_dir

    def _ref_dir(self) -> Path:
        return self.db_dir / "ref" if (self.db_dir / "ref").is_dir() else self.db_dir

    def _find_records(self) -> list[str]:
        return sorted(p.stem for p in self._data_dir().glob("data_*.mat") if _REC.match(p.stem))

    def record_path(self, rec: str) -> Path:
        return self._inside(self._data_dir() / f"{self._check_rec(rec)}.mat")

    def ann_path(self, rec: str | int) -> Path:
        """Path of the R-peak reference file of ``rec``."""
        rec = self._check_rec(rec)
        return self._inside(self._ref_dir() / f"R_{rec.split('_', 1)[1]}.mat")

    def _load(self, rec: str) -> npt.NDArray[np.float32]:
        path = self.record_path(rec)
        raw = load_mat_key(path, "ecg")
        if raw.ndim not in (1, 2) or (raw.ndim == 2 and min(raw.shape) != 1) or raw.size == 0:
            raise ReaderError(
                path, f"key 'ecg' must hold a single-lead signal, got shape {raw.shape}"
            )
        if not np.issubdtype(raw.dtype, np.number):
            raise ReaderError(path, f"key 'ecg' must be numeric, got dtype {raw.dtype}")
        return raw.reshape(1, -1).astype(np.float32)

    def _read_header(self, rec: str) -> tuple[float, tuple[str, ...], int]:
        return 500.0, ("ECG",), int(self._load(rec).shape[1])

    def _read(
        self, rec: str, channels: list[int], sampfrom: int, sampto: int
    ) -> npt.NDArray[np.float32]:
        return self._load(rec)[channels, sampfrom:sampto]

    def load_ann(self, rec: str | int) -> npt.NDArray[np.int64]:
        """Reference R-peak sample indices of ``rec`` (int64, sorted, shape (n_peaks,))."""
        rec = self._check_rec(rec)
        path = self.ann_path(rec)
        peaks = load_mat_key(path, "R_peak").astype(np.int64).ravel()
        siglen = self.get_siglen(rec)
        if peaks.size and (peaks.min() < 0 or peaks.max() >= siglen):
            raise ReaderError(
                path,
                f"R peak at sample {int(peaks.max())} is outside the signal ({siglen} samples)",
            )
        return np.sort(peaks)

    def _plot_marks(self, rec: str, sampfrom: int, sampto: int) -> dict[str, npt.NDArray[np.int64]]:
        return {"R peak": self.load_ann(rec)}
