"""Base class of every database reader, its error class and the database description.

A reader maps a database folder to records. ``load_data`` returns float32 arrays of shape
``(leads, samples)`` (``data_format="channel_first"``) or ``(samples, leads)`` and reads only the
requested window from disk (WFDB signal files are read with ``wfdb.rdrecord(sampfrom, sampto)``,
which seeks; ``.mat`` files are small and are sliced after loading).
"""

from __future__ import annotations

import difflib
import math
import numbers
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "ReaderError",
    "DatabaseInfo",
    "ECGReader",
    "resample_signal",
    "default_cache_dir",
    "UNITS_SCALE",
    "DATA_FORMATS",
    "voltage_scale",
]

#: Multiplier from mV to each accepted voltage unit (keys lower-case; ``μ`` is the Greek mu,
#: ``µ`` the micro sign).
UNITS_SCALE: dict[str, float] = {
    "v": 1e-3,
    "mv": 1.0,
    "uv": 1e3,
    "μv": 1e3,
    "µv": 1e3,
    "nv": 1e6,
}


def voltage_scale(unit: str) -> float | None:
    """Multiplier from mV to ``unit`` (``"V"``, ``"mV"``, ``"uV"``/``"μV"``/``"µV"``, ``"nV"``,
    any case), or ``None`` when ``unit`` is not a voltage (``"mmHg"``, ``"bpm"``, ``"NU"``...)."""
    return UNITS_SCALE.get(unit.strip().lower())


#: Accepted ``data_format`` values mapped to whether the leads axis comes first.
DATA_FORMATS: dict[str, bool] = {
    "channel_first": True,
    "lead_first": True,
    "channel_last": False,
    "lead_last": False,
}


class ReaderError(ValueError):
    """A database file is missing, malformed or inconsistent, or a request does not fit it.

    Attributes:
        path: the file or folder concerned.
        problem: what is wrong with it.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    """Description of a database: what it holds, how to cite it and its licence.

    Attributes:
        name: short name, e.g. ``"mitdb"``.
        description: one paragraph on the content.
        fs: sampling frequency in Hz (the most common one when it varies).
        leads: lead names in file order.
        license: licence name.
        doi: DOI of the database (or of its reference paper).
        bibtex: BibTeX entry to cite.
        url: where the files are downloaded from.
    """

    name: str
    description: str
    fs: float
    leads: tuple[str, ...]
    license: str
    doi: str
    bibtex: str
    url: str = ""


def default_cache_dir() -> Path:
    """Cache folder of ecg-suite (``platformdirs.user_cache_dir("ecg-suite")``).

    ``ECG_SUITE_CACHE`` overrides it. Nothing is created here; callers create it when writing.
    """
    env = os.environ.get("ECG_SUITE_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("ecg-suite"))


def resample_signal(
    sig: npt.NDArray[np.floating[Any]], fs_in: float, fs_out: float
) -> npt.NDArray[np.float32]:
    """Resample along the last axis: :func:`ecg_signal.resample` (the suite's one resampler), as
    float32.

    Args:
        sig: array of shape (..., samples).
        fs_in: sampling frequency of ``sig`` in Hz.
        fs_out: wanted sampling frequency in Hz.

    Returns:
        float32 array of shape (..., ceil(samples * up / down)), ``(up, down)`` from
        :func:`ecg_signal.preprocess.resample_ratio`.
    """
    if fs_in == fs_out:
        return np.asarray(sig, dtype=np.float32)
    from ecg_signal import resample

    out = resample(np.asarray(sig, dtype=np.float32), fs_in, fs_out)
    return np.ascontiguousarray(out, dtype=np.float32)


def _check_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer sample index, got {value!r} ({type(value).__name__})"
        )
    return int(value)


class ECGReader(ABC):
    """Base of every database reader.

    Subclasses implement :meth:`_find_records`, :meth:`_header` (fs, lead names, length) and
    :meth:`_read` (a window of the signal in mV), plus :meth:`load_ann`.

    Args:
        db_dir: folder holding the database files.
        cache_dir: where derived files may be cached (never inside ``db_dir``); defaults to
            :func:`default_cache_dir`.

    Raises:
        ReaderError: ``db_dir`` does not exist or is not a folder.
    """

    name: ClassVar[str] = "base"
    database_info: ClassVar[DatabaseInfo]

    def __init__(
        self, db_dir: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None
    ) -> None:
        if not isinstance(db_dir, str | os.PathLike):
            raise TypeError(
                f"db_dir must be a path (str or os.PathLike), got {type(db_dir).__name__}"
            )
        path = Path(db_dir).expanduser()
        if not path.exists():
            raise ReaderError(path, "database folder does not exist")
        if not path.is_dir():
            raise ReaderError(path, "database path is not a folder")
        self.db_dir = path.resolve()
        self.cache_dir = (
            Path(cache_dir) if cache_dir is not None else default_cache_dir() / self.name
        )
        self._records: list[str] | None = None
        self._record_set: set[str] = set()
        self._metadata: pd.DataFrame | None = None
        self._headers: dict[str, tuple[float, tuple[str, ...], int]] = {}
        #: records left out of :attr:`metadata` -> why (filled when the metadata is built).
        self.unreadable: dict[str, str] = {}
        self._safe_dirs: set[Path] = set()

    # ------------------------------------------------------------------ to implement
    @abstractmethod
    def _find_records(self) -> list[str]:
        """Names of all records found in ``db_dir``, sorted."""

    @abstractmethod
    def _read_header(self, rec: str) -> tuple[float, tuple[str, ...], int]:
        """(fs in Hz, lead names, number of samples) of ``rec`` (a known record)."""

    @abstractmethod
    def _read(
        self, rec: str, channels: list[int], sampfrom: int, sampto: int
    ) -> npt.NDArray[np.float32]:
        """Samples ``[sampfrom, sampto)`` of ``channels`` in mV, shape (len(channels), sampto - sampfrom)."""

    @abstractmethod
    def record_path(self, rec: str) -> Path:
        """Main file of ``rec`` (header or data file)."""

    def _meta_row(self, rec: str) -> dict[str, Any]:
        """Extra metadata columns of ``rec`` (subject, labels, split, ...)."""
        return {}

    def _plot_marks(self, rec: str, sampfrom: int, sampto: int) -> dict[str, npt.NDArray[np.int64]]:
        """Annotation sample indices to draw on :meth:`plot`, by label."""
        return {}

    @abstractmethod
    def load_ann(self, rec: str) -> Any:
        """Annotations of ``rec``; the type depends on the database."""

    def _native_units(self, rec: str) -> tuple[str, ...]:
        """Physical unit of each signal :meth:`_read` returns (``"mV"`` unless overridden)."""
        return ("mV",) * len(self._header(rec)[1])

    def _inside(self, path: Path) -> Path:
        """``path`` itself, after checking that it does not lead out of ``db_dir`` (a link to a
        file elsewhere is refused, never followed).

        Raises:
            ReaderError: ``path`` resolves outside ``db_dir``.
        """
        parent = path.parent
        safe = self._safe_dirs
        if parent not in safe:
            if not parent.resolve().is_relative_to(self.db_dir):
                raise ReaderError(
                    path,
                    "is in a folder linked outside the database folder; links out of db_dir "
                    "are not followed",
                )
            safe.add(parent)
        if path.is_symlink() and not path.resolve().is_relative_to(self.db_dir):
            raise ReaderError(
                path,
                "is a link to a file outside the database folder; links out of db_dir are "
                "not followed",
            )
        return path

    # ------------------------------------------------------------------ records
    @property
    def all_records(self) -> list[str]:
        """All record names of the database folder, sorted."""
        if self._records is None:
            self._records = list(self._find_records())
            self._record_set = set(self._records)
        return list(self._records)

    def __len__(self) -> int:
        return len(self.all_records)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(db_dir={str(self.db_dir)!r}, n_records={len(self.all_records)})"
        )

    def _check_rec(self, rec: Any) -> str:
        """Return ``rec`` as a record name (an index into ``all_records`` is accepted)."""
        records = self.all_records
        if isinstance(rec, numbers.Integral) and not isinstance(rec, bool):
            if not 0 <= int(rec) < len(records):
                raise ReaderError(
                    self.db_dir, f"record index {rec} out of range [0, {len(records)})"
                )
            return records[int(rec)]
        if not isinstance(rec, str):
            raise TypeError(
                f"rec must be a record name (str) or an index, got {type(rec).__name__}"
            )
        if rec not in self._record_set:
            close = difflib.get_close_matches(rec, records, n=3)
            hint = f"; close matches: {close}" if close else ""
            raise ReaderError(
                self.db_dir, f"record {rec!r} is not in the database ({len(records)} records){hint}"
            )
        return rec

    def _header(self, rec: str) -> tuple[float, tuple[str, ...], int]:
        if rec not in self._headers:
            self._headers[rec] = self._read_header(rec)
        return self._headers[rec]

    def get_fs(self, rec: str | int) -> float:
        """Sampling frequency of ``rec`` in Hz."""
        return self._header(self._check_rec(rec))[0]

    def get_lead_names(self, rec: str | int) -> list[str]:
        """Lead names of ``rec`` in file order."""
        return list(self._header(self._check_rec(rec))[1])

    def get_siglen(self, rec: str | int) -> int:
        """Number of samples of ``rec`` (at its own fs)."""
        return self._header(self._check_rec(rec))[2]

    def get_units(
        self,
        rec: str | int,
        leads: str | int | Sequence[str | int] | None = None,
        units: str = "mV",
    ) -> list[str]:
        """Unit of each row :meth:`load_data` returns for the same ``leads`` and ``units``: the
        requested voltage unit for a voltage signal, the signal's own unit (``"mmHg"``,
        ``"bpm"``, ``"NU"``...) for any other."""
        rec = self._check_rec(rec)
        if not isinstance(units, str) or voltage_scale(units) is None:
            raise ValueError(f"units must be one of ['V', 'mV', 'uV', 'μV', 'nV'], got {units!r}")
        native = self._native_units(rec)
        return [
            units if voltage_scale(native[c]) is not None else native[c]
            for c in self._resolve_leads(rec, leads)
        ]

    # ------------------------------------------------------------------ metadata
    @property
    def metadata(self) -> pd.DataFrame:
        """One row per record (index ``record``): path, fs, n_leads, duration_s, subject, labels
        and the database's split/fold columns when it defines them.

        A record whose header cannot be read is left out with a warning naming it; ``unreadable``
        maps each such record to the reason."""
        if self._metadata is None:
            rows = []
            self.unreadable = {}
            for rec in self.all_records:
                try:
                    fs, leads, siglen = self._header(rec)
                except ReaderError as exc:
                    self.unreadable[rec] = str(exc)
                    continue
                row: dict[str, Any] = {
                    "record": rec,
                    "path": str(self.record_path(rec)),
                    "fs": float(fs),
                    "n_leads": len(leads),
                    "duration_s": siglen / fs,
                    "subject": rec,
                    "labels": [],
                }
                row.update(self._meta_row(rec))
                rows.append(row)
            cols = ["record", "path", "fs", "n_leads", "duration_s", "subject", "labels"]
            self._metadata = pd.DataFrame(rows, columns=None if rows else cols).set_index("record")
            if self.unreadable:
                import warnings

                names = ", ".join(f"{r} ({e})" for r, e in list(self.unreadable.items())[:5])
                more = len(self.unreadable) - 5
                warnings.warn(
                    f"{len(self.unreadable)} record(s) left out of the metadata, unreadable: "
                    f"{names}{f' and {more} more' if more > 0 else ''} (see .unreadable)",
                    stacklevel=2,
                )
        return self._metadata.copy()

    # ------------------------------------------------------------------ data
    def _resolve_leads(self, rec: str, leads: str | int | Sequence[str | int] | None) -> list[int]:
        names = self._header(rec)[1]
        if leads is None:
            return list(range(len(names)))
        items: Sequence[str | int] = [leads] if isinstance(leads, str | int) else leads
        lower = [n.lower() for n in names]
        out = []
        for item in items:
            if isinstance(item, bool):
                raise TypeError(f"lead must be a name or an index, got {item!r}")
            if isinstance(item, numbers.Integral):
                if not 0 <= int(item) < len(names):
                    raise ReaderError(
                        self.record_path(rec), f"lead index {item} out of range [0, {len(names)})"
                    )
                out.append(int(item))
            elif isinstance(item, str):
                if item.lower() not in lower:
                    raise ReaderError(
                        self.record_path(rec),
                        f"lead {item!r} not in the record's leads {list(names)}",
                    )
                out.append(lower.index(item.lower()))
            else:
                raise TypeError(f"lead must be a name or an index, got {type(item).__name__}")
        if not out:
            raise ValueError("leads must name at least one lead, got an empty sequence")
        return out

    def load_data(
        self,
        rec: str | int,
        leads: str | int | Sequence[str | int] | None = None,
        sampfrom: int = 0,
        sampto: int | None = None,
        units: str = "mV",
        fs: float | None = None,
        data_format: str = "channel_first",
    ) -> npt.NDArray[np.float32]:
        """Load a window of a record as float32.

        Args:
            rec: record name (or index into ``all_records``).
            leads: lead names or indices; all leads when ``None``.
            sampfrom: first sample (at the record's own fs), inclusive.
            sampto: last sample (exclusive); the record end when ``None``.
            units: ``"V"``, ``"mV"``, ``"uV"``/``"μV"`` or ``"nV"``: the unit of every voltage
                signal. A signal in another unit (``"mmHg"``, ``"NU"``...) is returned in its
                own unit, never relabelled; :meth:`get_units` names the unit of each row.
            fs: resample to this frequency in Hz when it differs from the record's.
            data_format: ``"channel_first"`` -> (leads, samples), ``"channel_last"`` -> (samples, leads).

        Returns:
            float32 array of shape (leads, samples) or (samples, leads).

        Raises:
            ReaderError: unknown record or lead, window outside the record, malformed files.
            ValueError / TypeError: bad ``units``, ``fs`` or ``data_format``.
        """
        rec = self._check_rec(rec)
        if not isinstance(units, str) or voltage_scale(units) is None:
            raise ValueError(f"units must be one of ['V', 'mV', 'uV', 'μV', 'nV'], got {units!r}")
        if not isinstance(data_format, str) or data_format.lower() not in DATA_FORMATS:
            raise ValueError(
                f"data_format must be one of {list(DATA_FORMATS)}, got {data_format!r}"
            )
        if fs is not None and (
            isinstance(fs, bool)
            or not isinstance(fs, numbers.Real)
            or not math.isfinite(float(fs))
            or fs <= 0
        ):
            raise ValueError(f"fs must be a finite sampling rate above 0 Hz, got {fs!r}")
        rec_fs, _, siglen = self._header(rec)
        start = _check_int(sampfrom, "sampfrom")
        stop = siglen if sampto is None else _check_int(sampto, "sampto")
        if not 0 <= start < stop <= siglen:
            raise ReaderError(
                self.record_path(rec),
                f"window [sampfrom={start}, sampto={stop}) samples is outside the record "
                f"[0, {siglen}) samples (or empty)",
            )
        channels = self._resolve_leads(rec, leads)
        data = self._read(rec, channels, start, stop)
        if data.shape != (len(channels), stop - start):
            raise ReaderError(
                self.record_path(rec),
                f"read {data.shape} samples but expected {(len(channels), stop - start)} (file truncated?)",
            )
        target = voltage_scale(units) or 1.0
        native = self._native_units(rec)
        factors = []
        for c in channels:
            own = voltage_scale(native[c])
            # own unit -> mV is 1 / own; mV -> target is target
            factors.append(1.0 if own is None else target / own)
        if any(f != 1.0 for f in factors):
            data = data * np.asarray(factors, dtype=np.float32)[:, None]
        if fs is not None and float(fs) != rec_fs:
            data = resample_signal(data, rec_fs, float(fs))
        data = np.ascontiguousarray(data, dtype=np.float32)
        if not DATA_FORMATS[data_format.lower()]:
            data = np.ascontiguousarray(data.T)
        return data

    # ------------------------------------------------------------------ plot
    def plot(
        self,
        rec: str | int,
        leads: str | int | Sequence[str | int] | None = None,
        sampfrom: int = 0,
        sampto: int | None = None,
        *,
        annotations: bool = True,
        mm_per_inch: float = 25.4,
    ) -> Figure:
        """Draw a window of ``rec`` on standard ECG paper and return the matplotlib Figure.

        The paper runs at 25 mm/s and 10 mm/mV: a minor grid every 1 mm (40 ms, 0.1 mV), a major
        grid every 5 mm (0.2 s, 0.5 mV), drawn at true scale (``mm_per_inch`` = 25.4). Time is
        labelled in s, amplitude in mV at the major lines, each row carries its lead name, and
        the database annotations are vertical marks with a legend. ``fig.savefig(path)`` keeps
        every label. The Agg canvas is used; nothing is shown.

        Args:
            rec: record name or index.
            leads: leads to draw (all when ``None``).
            sampfrom: first sample; sampto: end sample (default: 10 s after ``sampfrom``).
            annotations: draw the database annotations.
            mm_per_inch: physical scale of the figure.
        """
        from ecg_data.readers._paper import ecg_paper_figure

        rec = self._check_rec(rec)
        rec_fs, names, siglen = self._header(rec)
        if sampto is None:
            sampto = min(siglen, _check_int(sampfrom, "sampfrom") + int(10 * rec_fs))
        data = self.load_data(rec, leads=leads, sampfrom=sampfrom, sampto=sampto)
        chans = self._resolve_leads(rec, leads)
        marks = self._plot_marks(rec, sampfrom, sampto) if annotations else {}
        return ecg_paper_figure(
            data,
            rec_fs,
            sampfrom,
            [names[ch] for ch in chans],
            marks,
            title=self._plot_title(rec),
            mm_per_inch=mm_per_inch,
        )

    def _plot_title(self, rec: str) -> str:
        """Title of :meth:`plot`: the database and record (readers may add the labels)."""
        return f"{self.name} {rec}"

    # ------------------------------------------------------------------ download
    def download(self, **kwargs: Any) -> Path:
        """Download the database into ``db_dir`` (see :func:`ecg_data.download.download_physionet`)."""
        from ecg_data.download import download_physionet

        url = self.database_info.url
        if not url:
            raise ReaderError(self.db_dir, f"no public download URL is known for {self.name}")
        download_physionet(url, self.db_dir, **kwargs)
        self._records = None
        self._metadata = None
        return self.db_dir
