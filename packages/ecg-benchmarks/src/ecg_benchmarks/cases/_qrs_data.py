"""Data of the cpsc2019 case: the CPSC2019 records (or the synthetic database), and QRS training
windows from the other annotated databases of ``ECG_SAMPLE_DATA`` (LUDB, MITDB, CPSC2021).

Every window is 10 s at 500 Hz, ``(1, 5000)``, preprocessed by :func:`preprocess`; its label is a
QRS mask at 1/``REDUCTION`` of the rate and a loss weight of the same shape (0 where the database
leaves beats unannotated, as LUDB does at the edges of its records).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ecg_benchmarks.base import BenchmarkError

__all__ = [
    "EXTRA_DATABASES",
    "REDUCTION",
    "QRSDatabase",
    "load_cpsc2019",
    "preprocess",
    "qrs_mask",
    "sample_root",
]

REDUCTION = 8  # the multi-scopic backbone subsamples by 2 * 2 * 2
FS = 500.0
WINDOW = 5000
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
Windows = tuple[list[FloatArray], list[FloatArray], list[FloatArray]]


def preprocess(sig: FloatArray, fs: float, clip: float = 5.0) -> FloatArray:
    """Band-pass 0.5-45 Hz (zero-phase Butterworth of ecg_signal), then a robust scaling.

    The scale is 5 median absolute deviations (so the QRS complexes of a clean record span about
    +-1) and values are clipped to ``+-clip``: unlike a z-score, a few huge artefact spikes do
    not squash the rest of the record.

    Args:
        sig: ``(leads, samples)`` in mV.
        fs: sampling rate in Hz.
        clip: clipping bound after scaling.

    Returns:
        ``(leads, samples)`` float32.
    """
    from ecg_signal.preprocess import bandpass

    x = np.asarray(bandpass(np.asarray(sig, dtype=np.float64), fs, 0.5, 45.0), dtype=np.float64)
    med = np.median(x, axis=-1, keepdims=True)
    mad = np.median(np.abs(x - med), axis=-1, keepdims=True)
    scale = 5.0 * 1.4826 * mad + 1e-6
    return np.clip((x - med) / scale, -clip, clip).astype(np.float32)


def qrs_mask(rpeaks: IntArray, n_samples: int, fs: float, half_width_s: float) -> FloatArray:
    """QRS regions (R peak +- ``half_width_s``) as a ``(n_samples // REDUCTION, 1)`` 0/1 mask: the
    label rule of ecg-data's CPSC2019Dataset (:func:`ecg_data.datasets.cpsc2019.qrs_mask`)."""
    from ecg_data.datasets.cpsc2019 import qrs_mask as _mask

    return _mask(np.asarray(rpeaks, dtype=np.int64), n_samples, round(half_width_s * fs), REDUCTION)


def sample_root(explicit: str | None = None) -> Path | None:
    """The folder of real recordings: ``explicit``, else ``ECG_SAMPLE_DATA``, else
    ``../shared/data`` from the working directory; None when it does not exist."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_dir():
            raise BenchmarkError(f"extra data folder {path} does not exist")
        return path
    env = os.environ.get("ECG_SAMPLE_DATA")
    path = Path(env) if env else Path.cwd().parent / "shared" / "data"
    return path if path.is_dir() else None


@dataclass(frozen=True, slots=True)
class QRSDatabase:
    """Records of 10 s at 500 Hz: names, raw ``(1, 5000)`` mV, preprocessed ``(1, 5000)`` and R
    peaks; ``source`` says where they came from."""

    names: list[str]
    raw: list[FloatArray]
    signals: list[FloatArray]
    rpeaks: list[IntArray]
    source: str


def load_cpsc2019(data_dir: str | None) -> QRSDatabase:
    """The CPSC2019 records of ``data_dir``, else of ``ECG_SAMPLE_DATA/cpsc2019``, else the
    synthetic database of ecg-data (40 ECGSYN records with exact R peaks).

    Raises:
        BenchmarkError: ``data_dir`` is missing, empty, or not a CPSC2019 folder.
    """
    from ecg_data import CPSC2019, ReaderError

    if data_dir is None:
        root = sample_root()
        path = root / "cpsc2019" if root is not None else None
        if path is None or not path.is_dir():
            return _synthetic()
    else:
        path = Path(data_dir)
        if not path.is_dir():
            raise BenchmarkError(f"CPSC2019 data folder {path} does not exist (check --data-dir)")
    if not any(path.rglob("data_*.mat")):
        raise BenchmarkError(
            f"{path} is not a CPSC2019 folder: it must hold data/data_*.mat and ref/R_*.mat"
        )
    try:
        reader = CPSC2019(path)
        names = list(reader.all_records)
        raw = [reader.load_data(r).astype(np.float32) for r in names]
        rpeaks = [np.asarray(reader.load_ann(r), dtype=np.int64) for r in names]
    except ReaderError as exc:
        raise BenchmarkError(f"cannot read the CPSC2019 records of {path}: {exc}") from exc
    signals = [preprocess(x, FS) for x in raw]
    return QRSDatabase(names, raw, signals, rpeaks, f"CPSC2019 at {path}")


def _synthetic(n_records: int = 40) -> QRSDatabase:
    from ecg_signal import simulate_ecg

    rng = np.random.default_rng(2019)
    names, raw, rpeaks = [], [], []
    for k in range(n_records):
        ecg = simulate_ecg(
            10.0,
            FS,
            n_leads=1,
            heart_rate=float(rng.uniform(50, 140)),
            noise_std=float(rng.uniform(0.01, 0.1)),
            seed=k,
        )
        names.append(f"syn_{k:04d}")
        raw.append(ecg.signal[:1].astype(np.float32))
        rpeaks.append(np.asarray(ecg.r_peak, dtype=np.int64))
    signals = [preprocess(x, FS) for x in raw]
    return QRSDatabase(names, raw, signals, rpeaks, "synthetic")


def _windows(
    sig: npt.NDArray[np.floating],
    peaks: IntArray,
    fs: float,
    half_width_s: float,
    lo: int = 0,
    hi: int | None = None,
    max_windows: int | None = None,
) -> Windows:
    """Cut a 1-D signal at ``fs`` into 10 s windows at 500 Hz with masks and loss weights
    (weights are 0 outside ``[lo, hi)``, the annotated span, in input samples)."""
    from ecg_signal.preprocess import resample

    x = np.asarray(sig, dtype=np.float64)
    if not np.isclose(fs, FS):
        x = np.asarray(resample(x, fs, FS), dtype=np.float64)
    scale = FS / fs
    p = np.round(np.asarray(peaks, dtype=np.float64) * scale).astype(np.int64)
    lo_s, hi_s = int(lo * scale), int((hi if hi is not None else len(sig)) * scale)
    xs, ms, ws = [], [], []
    for k, st in enumerate(range(0, len(x) - WINDOW + 1, WINDOW)):
        if max_windows is not None and k >= max_windows:
            break
        seg = preprocess(x[None, st : st + WINDOW].astype(np.float32), FS)
        inside = p[(p >= st) & (p < st + WINDOW)] - st
        mask = qrs_mask(inside, WINDOW, FS, half_width_s)
        weight = np.zeros_like(mask)
        a, b = max(0, lo_s - st) // REDUCTION, max(0, min(WINDOW, hi_s - st)) // REDUCTION
        weight[a:b] = 1.0
        if weight.any():
            xs.append(seg)
            ms.append(mask)
            ws.append(weight)
    return xs, ms, ws


def ludb_windows(
    path: Path, half_width_s: float, leads: tuple[str, ...] = ("ii", "v1", "v5", "i", "avr")
) -> Windows | None:
    """QRS windows of the LUDB records in ``path`` (each listed lead is one window; R peaks
    are the annotated QRS peaks of that lead), or None when the folder is absent."""
    from ecg_data import LUDB, ReaderError

    if not path.is_dir():
        return None
    reader = LUDB(path)
    out: Windows = ([], [], [])
    for rec in reader.all_records:
        data = reader.load_data(rec)
        names = [n.lower() for n in reader.get_lead_names(rec)]
        for lead in leads:
            try:  # a few LUDB leads have an unbalanced annotation: skip those leads
                waves = reader.load_ann(rec, leads=[lead])[lead]
            except ReaderError:
                continue
            qrs = [w for w in waves if w.name == "qrs"]
            if len(qrs) < 3:
                continue
            peaks = np.array([w.peak for w in qrs], dtype=np.int64)
            lo = min(w.onset for w in waves)
            hi = max(w.offset for w in waves)
            got = _windows(data[names.index(lead)], peaks, 500.0, half_width_s, lo, hi)
            for acc, new in zip(out, got, strict=True):
                acc.extend(new)
    return out


def _beat_windows(
    reader_cls: str, path: Path, half_width_s: float, max_windows: int | None
) -> Windows | None:
    import ecg_data

    if not path.is_dir():
        return None
    reader = getattr(ecg_data, reader_cls)(path)
    out: Windows = ([], [], [])
    for rec in reader.all_records:
        ann = reader.load_ann(rec)
        data = reader.load_data(rec, leads=[0])
        got = _windows(
            data[0], ann.beat_samples, float(ann.fs), half_width_s, max_windows=max_windows
        )
        for acc, new in zip(out, got, strict=True):
            acc.extend(new)
    return out


def mitdb_windows(path: Path, half_width_s: float) -> Windows | None:
    """QRS windows of the MITDB records in ``path`` (lead 0, beat annotations)."""
    return _beat_windows("MITDB", path, half_width_s, None)


def cpsc2021_windows(path: Path, half_width_s: float) -> Windows | None:
    """QRS windows of the CPSC2021 records in ``path`` (lead 0, first 200 s of each record)."""
    return _beat_windows("CPSC2021", path, half_width_s, 20)


def _consensus_windows(reader_cls: str, path: Path, half_width_s: float) -> Windows | None:
    """QRS windows of every lead of the multi-lead records in ``path``, labelled by the beats
    the leads agree on (:func:`ecg_signal.rpeaks.consensus_rpeaks`): a lead is used only when
    its own detections match the consensus one to one, and a record only when no beat is in
    doubt. The first and last 0.3 s get no loss weight (a beat cut by the edge may be missed)."""
    import ecg_data
    from ecg_signal.rpeaks import consensus_rpeaks

    if not path.is_dir():
        return None
    reader = getattr(ecg_data, reader_cls)(path)
    out: Windows = ([], [], [])
    for rec in reader.all_records:
        data = reader.load_data(rec)
        fs = float(reader.metadata.loc[rec, "fs"])
        res = consensus_rpeaks(data, fs)
        if res.n_unconfirmed > 0 or len(res.beats) < 3:
            continue
        edge = round(0.3 * fs)
        for lead in np.flatnonzero(res.agreeing):
            got = _windows(
                data[lead], res.per_lead[lead], fs, half_width_s, edge, data.shape[-1] - edge
            )
            for acc, new in zip(out, got, strict=True):
                acc.extend(new)
    return out


def cinc2021_windows(path: Path, half_width_s: float) -> Windows | None:
    """QRS windows of the CinC2021 records in ``path`` (12 leads, consensus labels)."""
    return _consensus_windows("CINC2021", path, half_width_s)


def cpsc2018_windows(path: Path, half_width_s: float) -> Windows | None:
    """QRS windows of the CPSC2018 records in ``path`` (12 leads, consensus labels)."""
    return _consensus_windows("CPSC2018", path, half_width_s)


EXTRA_DATABASES: dict[str, Callable[[Path, float], Windows | None]] = {
    "ludb": ludb_windows,
    "mitdb": mitdb_windows,
    "cpsc2021": cpsc2021_windows,
    "cinc2021": cinc2021_windows,
    "cpsc2018": cpsc2018_windows,
}
