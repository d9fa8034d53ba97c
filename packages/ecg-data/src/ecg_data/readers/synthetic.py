"""``SyntheticDB``: an embedded database of simulated ECGs with true fiducials, the default database
of the Datasets when no real data is given.

Records ``syn_0000``, ``syn_0001``, ... are simulated on demand with
:func:`ecg_signal.simulate.simulate_ecg` (ECGSYN, McSharry et al. 2003). Each record's heart rate,
noise level and baseline wander are drawn from ``numpy.random.default_rng([seed, index])``, so a
record depends only on the seed and its index: the database is deterministic and needs no file.
Each record is simulated with a margin of ``_MARGIN_S`` on both sides and cropped, so that beats cut
by the record's edges keep their true R peak and fiducials (which may then lie outside
``[0, samples)``; :meth:`SyntheticDB.rpeaks` keeps the R peaks inside). Simulated records are kept
in a small in-memory LRU; nothing is written to disk.
"""

from __future__ import annotations

import numbers
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo, ECGReader, ReaderError
from ecg_data.readers.ludb import Wave

__all__ = ["SyntheticDB", "SyntheticAnn", "SYNTHETIC_INFO"]

SYNTHETIC_INFO = DatabaseInfo(
    name="synthetic",
    description=(
        "Simulated ECGs from the ECGSYN dynamical model with per-record heart rate, heart rate "
        "variability, noise and baseline wander, with the true P/QRS/T onsets, peaks and offsets."
    ),
    fs=500.0,
    leads=("II",),
    license="public domain (generated)",
    doi="10.1109/TBME.2003.808805",
    bibtex=(
        "@article{mcsharry2003dynamical, title={A dynamical model for generating synthetic "
        "electrocardiogram signals}, author={McSharry, Patrick E and Clifford, Gari D and "
        "Tarassenko, Lionel and Smith, Leonard A}, journal={IEEE Transactions on Biomedical "
        "Engineering}, volume={50}, number={3}, pages={289--294}, year={2003}}"
    ),
)

_LRU_SIZE = 64
_MARGIN_S = 1.0


@dataclass(frozen=True, slots=True)
class SyntheticAnn:
    """True annotations of a synthetic record.

    Attributes:
        r_peaks: R-peak sample indices, int64 (beats,).
        fiducials: ``p_onset``, ``p_peak``, ..., ``t_offset`` -> int64 (beats,) sample indices.
        heart_rate: heart rate in bpm the record was simulated with.
        fs: sampling frequency in Hz.
    """

    r_peaks: npt.NDArray[np.int64]
    fiducials: dict[str, npt.NDArray[np.int64]]
    heart_rate: float
    fs: float


def _check_range(value: Any, name: str, lo: float, hi: float, units: str) -> tuple[float, float]:
    if (
        not isinstance(value, Sequence)
        or len(value) != 2
        or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)
    ):
        raise ValueError(f"{name} must be a (low, high) pair in {units}, got {value!r}")
    a, b = float(value[0]), float(value[1])
    if not lo <= a <= b <= hi:
        raise ValueError(f"{name} must satisfy {lo} <= low <= high <= {hi} {units}, got {value!r}")
    return a, b


class SyntheticDB(ECGReader):
    """Deterministic simulated database (no files).

    Args:
        n_records: number of records.
        fs: sampling frequency in Hz (>= 50).
        duration_s: length of each record in s.
        leads: lead names among the twelve standard leads (``("II",)`` by default) or a count.
        seed: seed of the whole database.
        heart_rate: (min, max) heart rate in bpm; each record draws one uniformly.
        noise_std: (min, max) standard deviation of white noise in mV.
        baseline_amplitude: (min, max) amplitude of the baseline wander in mV.

    ``load_data`` returns float32 (leads, samples) in mV; ``load_ann(rec)`` a
    :class:`SyntheticAnn`; :meth:`rpeaks` the R peaks and :meth:`load_waves` the waves per lead in
    the format of :meth:`ecg_data.readers.ludb.LUDB.load_ann`.
    """

    name: ClassVar[str] = "synthetic"
    database_info: ClassVar[DatabaseInfo] = SYNTHETIC_INFO

    def __init__(
        self,
        n_records: int = 20,
        *,
        fs: float = 500.0,
        duration_s: float = 10.0,
        leads: Sequence[str] | int = ("II",),
        seed: int = 0,
        heart_rate: tuple[float, float] = (50.0, 110.0),
        noise_std: tuple[float, float] = (0.0, 0.05),
        baseline_amplitude: tuple[float, float] = (0.0, 0.1),
    ) -> None:
        from ecg_signal.simulate import STANDARD_LEADS

        if isinstance(n_records, bool) or not isinstance(n_records, numbers.Integral):
            raise TypeError(f"n_records must be an integer, got {type(n_records).__name__}")
        if not 1 <= int(n_records) <= 100_000:
            raise ValueError(f"n_records must be in [1, 100000], got {n_records!r}")
        if isinstance(fs, bool) or not isinstance(fs, numbers.Real) or not 50 <= fs <= 10_000:
            raise ValueError(f"fs must be in [50, 10000] Hz, got {fs!r}")
        if (
            isinstance(duration_s, bool)
            or not isinstance(duration_s, numbers.Real)
            or not 2 <= duration_s <= 3600
        ):
            raise ValueError(f"duration_s must be in [2, 3600] s, got {duration_s!r}")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
        if isinstance(leads, numbers.Integral) and not isinstance(leads, bool):
            if not 1 <= int(leads) <= 12:
                raise ValueError(f"leads as a count must be in [1, 12], got {leads!r}")
            names = ("II",) if int(leads) == 1 else tuple(STANDARD_LEADS[: int(leads)])
        elif isinstance(leads, Sequence) and not isinstance(leads, str) and leads:
            lower = {n.lower(): n for n in STANDARD_LEADS}
            bad = [x for x in leads if not isinstance(x, str) or x.lower() not in lower]
            if bad:
                raise ValueError(f"leads must be among {list(STANDARD_LEADS)}, got {bad!r}")
            names = tuple(lower[str(x).lower()] for x in leads)
        else:
            raise ValueError(
                f"leads must be a non-empty sequence of lead names or a count, got {leads!r}"
            )
        self.heart_rate_range: tuple[float, float] = _check_range(
            heart_rate, "heart_rate", 30, 200, "bpm"
        )
        self.noise_range: tuple[float, float] = _check_range(noise_std, "noise_std", 0, 5, "mV")
        self.baseline_range: tuple[float, float] = _check_range(
            baseline_amplitude, "baseline_amplitude", 0, 5, "mV"
        )
        self.n_records: int = int(n_records)
        self.fs: float = float(fs)
        self.duration_s: float = float(duration_s)
        self.leads: tuple[str, ...] = names
        self.seed: int = int(seed)
        self.db_dir = Path(f"<synthetic seed={self.seed}>")
        self.cache_dir = Path(".")  # unused: nothing is cached on disk
        self._records = None
        self._record_set = set()
        self._metadata = None
        self._headers = {}
        self._sims: OrderedDict[str, Any] = OrderedDict()

    def _find_records(self) -> list[str]:
        return [f"syn_{k:04d}" for k in range(self.n_records)]

    def record_path(self, rec: str) -> Path:
        return self.db_dir / rec

    def _params(self, rec: str) -> dict[str, float | int]:
        k = int(rec.split("_")[1])
        rng = np.random.default_rng([self.seed, k])
        hr = float(rng.uniform(*self.heart_rate_range))
        return {
            "heart_rate": hr,
            "hrv_std": float(min(rng.uniform(0.5, 3.0), hr / 8)),
            "noise_std": float(rng.uniform(*self.noise_range)),
            "baseline_amplitude": float(rng.uniform(*self.baseline_range)),
            "sim_seed": int(rng.integers(0, 2**31 - 1)),
        }

    def simulate(self, rec: str | int) -> Any:
        """The :class:`ecg_signal.simulate.SimulatedECG` of ``rec`` (kept in a small LRU)."""
        from ecg_signal.simulate import simulate_ecg

        rec = self._check_rec(rec)
        if rec in self._sims:
            self._sims.move_to_end(rec)
            return self._sims[rec]
        p = self._params(rec)
        sim = simulate_ecg(
            self.duration_s + 2 * _MARGIN_S,
            self.fs,
            leads=self.leads,
            heart_rate=p["heart_rate"],
            hrv_std=p["hrv_std"],
            noise_std=p["noise_std"],
            baseline_amplitude=p["baseline_amplitude"],
            seed=int(p["sim_seed"]),
        )
        self._sims[rec] = sim
        if len(self._sims) > _LRU_SIZE:
            self._sims.popitem(last=False)
        return sim

    def _read_header(self, rec: str) -> tuple[float, tuple[str, ...], int]:
        return self.fs, self.leads, int(round(self.duration_s * self.fs))

    def _read(
        self, rec: str, channels: list[int], sampfrom: int, sampto: int
    ) -> npt.NDArray[np.float32]:
        margin = int(round(_MARGIN_S * self.fs))
        sig = np.asarray(self.simulate(rec).signal, dtype=np.float32)[:, margin:]
        if sig.shape[-1] < sampto:
            raise ReaderError(
                self.record_path(rec), f"simulated {sig.shape[-1]} samples, need {sampto}"
            )
        return np.ascontiguousarray(sig[channels, sampfrom:sampto])

    def load_ann(self, rec: str | int) -> SyntheticAnn:
        """True R peaks and fiducials of ``rec``: every beat whose R peak lies in the record
        (its other fiducials may lie outside it)."""
        sim = self.simulate(rec)
        margin = int(round(_MARGIN_S * self.fs))
        n = int(round(self.duration_s * self.fs))
        fid = {k: np.asarray(v, dtype=np.int64) - margin for k, v in sim.fiducials().items()}
        keep = (fid["r_peak"] >= 0) & (fid["r_peak"] < n)
        fid = {k: v[keep] for k, v in fid.items()}
        return SyntheticAnn(
            r_peaks=fid["r_peak"], fiducials=fid, heart_rate=float(sim.heart_rate), fs=self.fs
        )

    def rpeaks(self, rec: str | int) -> npt.NDArray[np.int64]:
        """True R-peak sample indices of ``rec`` (int64, sorted)."""
        return self.load_ann(rec).r_peaks

    def load_waves(
        self, rec: str | int, leads: Sequence[str] | None = None
    ) -> dict[str, list[Wave]]:
        """P, QRS and T waves per lead (lower-case lead names), as ``LUDB.load_ann``.

        The simulated fiducials are common to all leads.
        """
        rec = self._check_rec(rec)
        names = [n.lower() for n in self.leads]
        wanted = names if leads is None else [str(x).lower() for x in leads]
        unknown = [x for x in wanted if x not in names]
        if unknown:
            raise ReaderError(self.record_path(rec), f"leads {unknown} not in {list(self.leads)}")
        f = self.load_ann(rec).fiducials
        waves: list[tuple[str, int, int, int]] = []
        for name, key in (("pwave", "p"), ("qrs", "qrs"), ("twave", "t")):
            peak = f["r_peak"] if key == "qrs" else f[f"{key}_peak"]
            for on, pk, off in zip(f[f"{key}_onset"], peak, f[f"{key}_offset"], strict=True):
                waves.append((name, int(on), int(pk), int(off)))
        waves.sort(key=lambda w: w[1])
        return {lead: [Wave(n, a, p, b, lead) for n, a, p, b in waves] for lead in wanted}

    def _meta_row(self, rec: str) -> dict[str, Any]:
        p = self._params(rec)
        return {
            "labels": ["NSR"],
            "heart_rate": p["heart_rate"],
            "noise_std": p["noise_std"],
            "baseline_amplitude": p["baseline_amplitude"],
        }

    def _plot_marks(self, rec: str, sampfrom: int, sampto: int) -> dict[str, npt.NDArray[np.int64]]:
        return {"R peak": self.rpeaks(rec)}

    def download(self, **kwargs: Any) -> Path:
        """Nothing to download: records are simulated."""
        return self.db_dir
