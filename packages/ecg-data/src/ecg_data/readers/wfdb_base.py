"""Readers of databases in WFDB format (header ``.hea`` + signal files + annotation files).

The header is parsed once per record by ``_wfdb_header.read_wfdb_header`` (wfdb's grammar without
its per-field pandas look-ups; ``wfdb.rdheader`` for multi-segment headers); the size of each
signal file is checked against the header (truncated file, or a signal count that does not match the data) before
any read, and windows are read with ``wfdb.rdrecord(sampfrom=..., sampto=...)``, which seeks.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ecg_data.readers._wfdb_header import read_wfdb_header
from ecg_data.readers.base import ECGReader, ReaderError

__all__ = ["WFDBReader", "BeatRhythmAnn", "BEAT_SYMBOLS", "read_wfdb_ann", "rhythm_intervals"]

#: Bits per sample of the WFDB storage formats.
_BITS: dict[str, float] = {
    "8": 8,
    "16": 16,
    "24": 24,
    "32": 32,
    "61": 16,
    "80": 8,
    "160": 16,
    "212": 12,
    "310": 32 / 3,
    "311": 32 / 3,
}

#: WFDB annotation symbols that denote beats (PhysioBank convention).
BEAT_SYMBOLS: frozenset[str] = frozenset("NLRBAaJSVrFejnE/fQ?")


@dataclass(frozen=True, slots=True)
class BeatRhythmAnn:
    """Beat and rhythm annotations of a WFDB record.

    Attributes:
        beat_samples: sample index of every beat annotation, int64 (n_beats,).
        beat_symbols: the beat symbols (``"N"``, ``"V"``, ...), same length.
        rhythms: rhythm label (``"AFIB"``, ``"N"``, ...) -> list of ``(onset, offset)`` sample
            intervals, offset exclusive.
        fs: sampling frequency in Hz of the sample indices.
    """

    beat_samples: npt.NDArray[np.int64]
    beat_symbols: list[str]
    rhythms: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    fs: float = 0.0


def rhythm_intervals(
    samples: npt.NDArray[np.int64], aux_notes: list[str], siglen: int
) -> dict[str, list[tuple[int, int]]]:
    """Rhythm intervals from WFDB aux notes ``"(AFIB"``, ``"(N"``, ...: each runs from its own
    annotation to the next rhythm annotation (or to the record end ``siglen``)."""
    changes = [
        (int(s), a.strip().strip("\x00").lstrip("("))
        for s, a in zip(samples, aux_notes, strict=True)
        if a and a.strip().strip("\x00").startswith("(")
    ]
    out: dict[str, list[tuple[int, int]]] = {}
    for k, (start, label) in enumerate(changes):
        stop = changes[k + 1][0] if k + 1 < len(changes) else siglen
        if stop > start:
            out.setdefault(label, []).append((start, stop))
    return out


def read_wfdb_ann(
    stem: Path, extension: str, siglen: int
) -> tuple[npt.NDArray[np.int64], list[str], list[str]]:
    """Read ``stem.extension`` with ``wfdb.rdann``: (samples, symbols, aux notes).

    Raises:
        ReaderError: the file is missing or malformed, or an annotation lies past the signal end.
    """
    import wfdb

    path = stem.with_name(f"{stem.name}.{extension}")
    if not path.is_file():
        raise ReaderError(path, "annotation file is missing")
    try:
        ann = wfdb.rdann(str(stem), extension)
    except Exception as exc:  # wfdb raises many exception types on malformed files
        raise ReaderError(path, f"malformed annotation file ({type(exc).__name__}: {exc})") from exc
    samples = np.asarray(ann.sample, dtype=np.int64)
    if samples.size and (samples.max() > siglen or samples.min() < 0):
        raise ReaderError(
            path,
            f"annotation at sample {int(samples.max())} is past the end of the signal ({siglen} samples)",
        )
    symbols = [str(s) for s in (ann.symbol or [])]
    aux = [str(a) if a is not None else "" for a in (ann.aux_note or [""] * samples.size)]
    return samples, symbols, aux


def _beat_rhythm_ann(
    beat_samples: npt.NDArray[np.int64],
    beat_symbols: list[str],
    samples: npt.NDArray[np.int64],
    aux: list[str],
    siglen: int,
    fs: float,
) -> BeatRhythmAnn:
    """Annotation of the beats (symbols in :data:`BEAT_SYMBOLS`) of ``beat_samples`` /
    ``beat_symbols`` and of the rhythm intervals of the aux notes of ``samples``."""
    is_beat = np.array([s in BEAT_SYMBOLS for s in beat_symbols], dtype=bool)
    return BeatRhythmAnn(
        beat_samples=beat_samples[is_beat] if beat_samples.size else beat_samples,
        beat_symbols=[s for s, b in zip(beat_symbols, is_beat, strict=True) if b],
        rhythms=rhythm_intervals(samples, aux, siglen),
        fs=fs,
    )


class WFDBReader(ECGReader):
    """Reader of a database of WFDB records found by their ``.hea`` files (recursively).

    Subclasses set ``name``, ``database_info`` and usually override :meth:`load_ann`.
    """

    #: sub-folder glob pattern where headers are searched (relative to db_dir).
    header_glob: str = "**/*.hea"
    #: annotation extension read by the default :meth:`load_ann`.
    ann_extension: str = "atr"

    def __init__(self, db_dir: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(db_dir, **kwargs)
        self._paths: dict[str, Path] = {}
        self._unit_scale: dict[str, npt.NDArray[np.float32]] = {}
        self._hdr: dict[str, Any] = {}

    def _find_records(self) -> list[str]:
        paths: dict[str, Path] = {}
        for hea in sorted(self.db_dir.glob(self.header_glob)):
            stem = hea.with_suffix("")
            rec = stem.relative_to(self.db_dir).as_posix() if self._qualified_names() else stem.name
            paths.setdefault(rec, stem)
        self._paths = paths
        return sorted(paths, key=self._sort_key)

    def _qualified_names(self) -> bool:
        """Whether record names include their sub-folder (when names repeat across folders)."""
        return False

    def _sort_key(self, rec: str) -> Any:
        return rec

    def record_path(self, rec: str) -> Path:
        """Path of the record without extension (``<db_dir>/.../<rec>``)."""
        self.all_records  # noqa: B018 (fills self._paths)
        return self._paths[rec]

    def _rdheader(self, rec: str) -> Any:
        stem = self.record_path(rec)
        hea = stem.with_name(stem.name + ".hea")
        try:
            header = read_wfdb_header(stem)
        except Exception as exc:
            raise ReaderError(hea, f"malformed header ({type(exc).__name__}: {exc})") from exc
        if header.n_sig is None or header.n_sig < 1 or not header.file_name:
            raise ReaderError(hea, "header declares no signal")
        if header.fs is None or not math.isfinite(float(header.fs)) or float(header.fs) <= 0:
            raise ReaderError(hea, f"header sampling frequency must be > 0 Hz, got {header.fs!r}")
        if header.sig_len is None or header.sig_len <= 0:
            raise ReaderError(
                hea, f"header signal length must be > 0 samples, got {header.sig_len!r}"
            )
        if header.samps_per_frame and any(int(s) != 1 for s in header.samps_per_frame):
            raise ReaderError(
                hea, "multi-frequency records (samples per frame > 1) are not supported"
            )
        self._check_files(stem, header)
        return header

    def _check_files(self, stem: Path, header: Any) -> None:
        """Compare each signal file's size with what the header implies."""
        per_file: dict[str, list[int]] = {}
        for k, name in enumerate(header.file_name):
            per_file.setdefault(name, []).append(k)
        for name, chans in per_file.items():
            path = stem.parent / name
            if not path.is_file():
                raise ReaderError(
                    path, f"signal file named by the header {stem.name}.hea is missing"
                )
            fmt = str(header.fmt[chans[0]])
            if fmt not in _BITS:
                raise ReaderError(
                    path, f"unsupported WFDB format {fmt!r} (supported: {sorted(_BITS)})"
                )
            offset = int((header.byte_offset or [0] * header.n_sig)[chans[0]] or 0)
            expected = offset + math.ceil(header.sig_len * len(chans) * _BITS[fmt] / 8)
            size = path.stat().st_size
            frame = math.ceil(len(chans) * _BITS[fmt] / 8)
            if size < expected:
                raise ReaderError(
                    path,
                    f"signal file truncated or header/data mismatch: {size} bytes but the header "
                    f"({len(chans)} signals x {header.sig_len} samples, format {fmt}) implies {expected} bytes",
                )
            if size > expected + max(frame, 4):
                raise ReaderError(
                    path,
                    f"header/data mismatch: {size} bytes but the header ({len(chans)} signals x "
                    f"{header.sig_len} samples, format {fmt}) implies {expected} bytes",
                )

    def _read_header(self, rec: str) -> tuple[float, tuple[str, ...], int]:
        header = self._rdheader(rec)
        self._hdr[rec] = header
        names = tuple(str(n) for n in (header.sig_name or [f"ch{k}" for k in range(header.n_sig)]))
        units = [str(u or "mV") for u in (header.units or ["mV"] * header.n_sig)]
        self._unit_scale[rec] = np.array(
            [
                1e-3 if u.lower() in ("uv", "μv") else 1e3 if u.lower() == "v" else 1.0
                for u in units
            ],
            dtype=np.float32,
        )
        return float(header.fs), names, int(header.sig_len)

    def _read_fmt16(
        self, rec: str, channels: list[int], sampfrom: int, sampto: int
    ) -> npt.NDArray[np.float32] | None:
        """Fast path: every requested channel in one format-16 file, read through a memmap of the
        window only. ``None`` when the record does not qualify (wfdb.rdrecord is used then)."""
        h = self._hdr.get(rec)
        if h is None:
            return None
        names = {h.file_name[c] for c in channels}
        if len(names) != 1:
            return None
        fname = names.pop()
        in_file = [k for k, f in enumerate(h.file_name) if f == fname]
        if any(str(h.fmt[k]) != "16" for k in in_file):
            return None
        n_in = len(in_file)
        offset = int((h.byte_offset or [0] * h.n_sig)[in_file[0]] or 0)
        path = self.record_path(rec).parent / fname
        with open(path, "rb") as fh:
            fh.seek(offset + 2 * n_in * sampfrom)
            raw = np.fromfile(fh, dtype="<i2", count=n_in * (sampto - sampfrom))
        if raw.size != n_in * (sampto - sampfrom):
            raise ReaderError(
                path,
                f"signal file truncated: read {raw.size} of {n_in * (sampto - sampfrom)} values",
            )
        frames = raw.reshape(-1, n_in)
        cols = [in_file.index(c) for c in channels]
        digital = frames[:, cols].T
        gain = np.array([float(h.adc_gain[c]) or 200.0 for c in channels], dtype=np.float64)
        base = np.array([float(h.baseline[c] or 0) for c in channels], dtype=np.float64)
        out = ((digital - base[:, None]) / gain[:, None]).astype(np.float32)
        invalid = digital == -32768
        if invalid.any():
            out[invalid] = np.nan
        return out

    def _read(
        self, rec: str, channels: list[int], sampfrom: int, sampto: int
    ) -> npt.NDArray[np.float32]:
        import wfdb

        stem = self.record_path(rec)
        fast = self._read_fmt16(rec, channels, sampfrom, sampto)
        if fast is not None:
            scale = self._unit_scale.get(rec)
            if scale is not None and np.any(scale[channels] != 1.0):
                fast = fast * scale[channels][:, None]
            return fast
        try:
            record = wfdb.rdrecord(
                str(stem),
                sampfrom=sampfrom,
                sampto=sampto,
                channels=channels,
                physical=True,
                return_res=32,
            )
        except Exception as exc:
            raise ReaderError(
                stem.with_name(stem.name + ".hea"),
                f"cannot read signal ({type(exc).__name__}: {exc})",
            ) from exc
        sig = record.p_signal
        if sig is None:
            raise ReaderError(stem, "no signal read")
        data = np.asarray(sig, dtype=np.float32).T
        scale = self._unit_scale.get(rec)
        if scale is not None and np.any(scale[channels] != 1.0):
            data = data * scale[channels][:, None]
        return data

    def header_comments(self, rec: str | int) -> list[str]:
        """Comment lines of the record's header (without the leading ``#``)."""
        rec = self._check_rec(rec)
        self._header(rec)
        return [str(c) for c in (self._hdr[rec].comments or [])]

    def load_ann(self, rec: str | int) -> BeatRhythmAnn:  # type: ignore[override]
        """Beat annotations and rhythm intervals (from aux notes ``"(AFIB"`` ...) of ``rec``."""
        rec = self._check_rec(rec)
        fs, _, siglen = self._header(rec)
        samples, symbols, aux = read_wfdb_ann(self.record_path(rec), self.ann_extension, siglen)
        return _beat_rhythm_ann(samples, symbols, samples, aux, siglen, fs)

    def _plot_marks(self, rec: str, sampfrom: int, sampto: int) -> dict[str, npt.NDArray[np.int64]]:
        try:
            ann = self.load_ann(rec)
        except ReaderError:
            return {}
        marks: dict[str, npt.NDArray[np.int64]] = {}
        for sym in sorted(set(ann.beat_symbols)):
            marks[f"beat {sym}"] = ann.beat_samples[np.array(ann.beat_symbols) == sym]
        return marks
