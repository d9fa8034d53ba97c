"""Data of the cpsc2019 case: QRS-annotated recordings of the other databases of the sample
data, as filtered signals at the network's rate with their R peaks and annotated span.

Every recording becomes a :class:`QRSRecording`: ``x`` is :func:`ecg_models.pretrained.qrs.qrs_input`
of one lead (resampled to ``fs`` and band-passed, as the shipped detector does), ``peaks`` the
reference R peaks at ``fs`` and ``[lo, hi)`` the span where every beat is annotated (the loss
weight is 0 outside it). Training windows are drawn from them afresh each epoch
(:class:`~ecg_benchmarks.cases._qrs.WindowPool`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["EXTRA_DATABASES", "QRSRecording", "load_extra"]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class QRSRecording:
    """One lead of one record: filtered ``x`` ``(samples,)`` at the network's rate, R peaks
    (int64 samples at that rate), the annotated span ``[lo, hi)`` and where it came from."""

    x: FloatArray
    peaks: IntArray
    lo: int
    hi: int
    source: str


def _recording(
    sig: npt.NDArray[np.floating], peaks: npt.ArrayLike, fs: float, model_fs: float,
    lo: int, hi: int, source: str,
) -> QRSRecording:  # fmt: skip
    from ecg_models.pretrained.qrs import qrs_input

    scale = model_fs / fs
    x = qrs_input(np.asarray(sig, dtype=np.float64), fs, model_fs)
    p = np.unique(np.round(np.asarray(peaks, dtype=np.float64) * scale).astype(np.int64))
    p = p[(p >= 0) & (p < len(x))]
    return QRSRecording(x, p, int(lo * scale), min(len(x), int(hi * scale)), source)


def ludb_recordings(
    path: Path, model_fs: float, leads: tuple[str, ...] = ("ii", "v1", "v5", "i", "avr")
) -> list[QRSRecording]:
    """LUDB records (10 s, 500 Hz): each listed lead with its annotated QRS peaks; the span
    runs from the first to the last annotated boundary (LUDB leaves the edge beats out)."""
    import warnings

    from ecg_data import LUDB, ReaderError

    reader = LUDB(path)
    out = []
    for rec in reader.all_records:
        data = reader.load_data(rec)
        names = [n.lower() for n in reader.get_lead_names(rec)]
        fs = float(reader.get_fs(rec))
        for lead in leads:
            if lead not in names:
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    waves = reader.load_ann(rec, leads=[lead])[lead]
            except ReaderError:
                continue
            qrs = [w for w in waves if w.name == "qrs"]
            if len(qrs) < 3:
                continue
            marks = [v for w in waves for v in (w.onset, w.peak, w.offset) if v >= 0]
            out.append(
                _recording(
                    data[names.index(lead)],
                    [w.peak for w in qrs],
                    fs,
                    model_fs,
                    min(marks),
                    max(marks) + 1,
                    f"ludb/{rec}/{lead}",
                )  # fmt: skip
            )
    return out


def _beat_recordings(
    reader_cls: str, path: Path, model_fs: float, max_s: float | None = None
) -> list[QRSRecording]:
    """Every lead of every record with reference beat annotations (``load_ann().beat_samples``)."""
    import ecg_data

    reader = getattr(ecg_data, reader_cls)(path)
    out = []
    for rec in reader.all_records:
        ann = reader.load_ann(rec)
        beats = getattr(ann, "beats", ann)  # QTDB wraps the beats (None without .atr)
        if beats is None:
            continue
        fs = float(beats.fs)
        data = reader.load_data(rec)
        n = data.shape[-1] if max_s is None else min(data.shape[-1], int(max_s * fs))
        for lead in range(data.shape[0]):
            out.append(
                _recording(
                    data[lead, :n],
                    beats.beat_samples,
                    fs,
                    model_fs,
                    0,
                    n,
                    f"{reader_cls.lower()}/{rec}/{lead}",
                )  # fmt: skip
            )
    return out


def _consensus_recordings(reader_cls: str, path: Path, model_fs: float) -> list[QRSRecording]:
    """Multi-lead records labelled by the beats their leads agree on
    (:func:`ecg_signal.rpeaks.consensus_rpeaks`): a record only when no beat is in doubt, each
    agreeing lead with its own detections; the first and last 0.3 s are not annotated."""
    import ecg_data
    from ecg_signal.rpeaks import consensus_rpeaks

    reader = getattr(ecg_data, reader_cls)(path)
    out = []
    for rec in reader.all_records:
        data = reader.load_data(rec)
        fs = float(reader.get_fs(rec))
        res = consensus_rpeaks(data, fs)
        if res.n_unconfirmed > 0 or len(res.beats) < 3:
            continue
        edge = round(0.3 * fs)
        for lead in np.flatnonzero(res.agreeing):
            out.append(
                _recording(
                    data[lead],
                    res.per_lead[lead],
                    fs,
                    model_fs,
                    edge,
                    data.shape[-1] - edge,
                    f"{reader_cls.lower()}/{rec}/{lead}",
                )  # fmt: skip
            )
    return out


EXTRA_DATABASES: dict[str, Callable[[Path, float], list[QRSRecording]]] = {
    "qtdb": lambda p, fs: _beat_recordings("QTDB", p, fs),
    "ludb": ludb_recordings,
    "mitdb": lambda p, fs: _beat_recordings("MITDB", p, fs),
    "cpsc2021": lambda p, fs: _beat_recordings("CPSC2021", p, fs, max_s=600.0),
    "cinc2021": lambda p, fs: _consensus_recordings("CINC2021", p, fs),
    "cpsc2018": lambda p, fs: _consensus_recordings("CPSC2018", p, fs),
}
"""Databases whose QRS annotations can be added to the training data (``nstdb`` is a test set
and is never among them)."""


def load_extra(
    root: Path, names: list[str], model_fs: float
) -> tuple[list[QRSRecording], dict[str, int]]:
    """The recordings of the databases ``names`` found under ``root`` (absent ones are skipped)
    and how many recordings each gave."""
    recs: list[QRSRecording] = []
    used: dict[str, int] = {}
    for name in names:
        folder = root / name
        if not folder.is_dir():
            continue
        got = EXTRA_DATABASES[name](folder, model_fs)
        recs += got
        used[name] = len(got)
    return recs, used
