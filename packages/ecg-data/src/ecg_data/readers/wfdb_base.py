"""Readers of databases in WFDB format (header ``.hea`` + signal files + annotation files).

The header is parsed once per record by ``_wfdb_header.read_wfdb_header`` (wfdb's grammar without
its per-field pandas look-ups; ``wfdb.rdheader`` for multi-segment headers). Before the first read
the size of each signal file is checked against the header (truncated file, or a signal count that
does not match the data), and a ``.mat`` file's MATLAB v4 variable (name, type, shape, offset).

One fast path reads samples itself: every requested signal in one format-16 file in which every
signal has one sample per frame and no skew (a memory-mapped window). Everything else goes through
``wfdb.rdrecord(sampfrom=..., sampto=...)`` with the values wfdb gives: skew, multi-frequency
records (returned at the frame rate, wfdb's ``smooth_frames``), multi-segment records (``NaN``
where a segment lacks a signal), FLAC formats 508/516/524, headers without a signal length.
Format 8 stores differences, so a window is read from the first sample and sliced.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ecg_data.readers._wfdb_ann import WFDBAnnotation, read_wfdb_annotation
from ecg_data.readers._wfdb_header import (
    BYTES_PER_SAMPLE,
    WFDBHeader,
    check_mat_v4,
    infer_sig_len,
    read_wfdb_header,
)
from ecg_data.readers.base import ECGReader, ReaderError

__all__ = [
    "WFDBReader",
    "BeatRhythmAnn",
    "BEAT_SYMBOLS",
    "WFDBAnnotation",
    "read_wfdb_ann",
    "rhythm_intervals",
    "FLAC_FORMATS",
]

#: WFDB FLAC-compressed formats (read by wfdb through the ``soundfile`` package).
FLAC_FORMATS: frozenset[str] = frozenset({"508", "516", "524"})

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
    annotation to the next rhythm annotation (or to the record end ``siglen``).

    ``samples`` (1-D, sample indices) and ``aux_notes`` are aligned, one entry per annotation;
    the result maps each rhythm to its ``(start, stop)`` sample intervals."""
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
    """Read ``stem.extension`` with ``wfdb.rdann``: (samples, symbols, aux notes), samples at the
    file's own rate; a symbol wfdb does not know is ``""``.

    Raises:
        ReaderError: the file is missing or malformed, or an annotation lies past the signal end
            (``siglen`` samples).
    """
    path = stem.with_name(f"{stem.name}.{extension}")
    ann = read_wfdb_annotation(path)
    if ann.sample.size and int(ann.sample.max()) > siglen:
        raise ReaderError(
            path,
            f"annotation at sample {int(ann.sample.max())} is past the end of the signal "
            f"({siglen} samples)",
        )
    return ann.sample, [s or "" for s in ann.symbol], ann.aux_note


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


@dataclass(slots=True)
class _Record:
    """What the reader keeps of one record's header: the parsed header (a
    :class:`~ecg_data.readers._wfdb_header.WFDBHeader`, or wfdb's ``MultiRecord``), the units of
    each signal, whether the signal files were checked, the fast-path decision, and whether the
    signal length was worked out from the file size (the header gives none)."""

    header: Any
    units: tuple[str, ...] = ()
    checked: bool = False
    fast_file: str | None = None
    inferred_length: bool = False


class WFDBReader(ECGReader):
    """Reader of a database of WFDB records found by their ``.hea`` files (recursively).

    A record name is the header's stem; when two sub-folders hold the same stem, those records
    are named by their path relative to ``db_dir`` (``"multi-segment/fixed1/v102s"``).
    Subclasses set ``name``, ``database_info`` and usually override :meth:`load_ann`.
    """

    #: sub-folder glob pattern where headers are searched (relative to db_dir).
    header_glob: str = "**/*.hea"
    #: annotation extension read by the default :meth:`load_ann`.
    ann_extension: str = "atr"

    def __init__(self, db_dir: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(db_dir, **kwargs)
        self._paths: dict[str, Path] = {}
        self._info: dict[str, _Record] = {}

    def _find_records(self) -> list[str]:
        stems = [hea.with_suffix("") for hea in sorted(self.db_dir.glob(self.header_glob))]
        counts: dict[str, int] = {}
        for stem in stems:
            counts[stem.name] = counts.get(stem.name, 0) + 1
        paths: dict[str, Path] = {}
        for stem in stems:
            qualify = self._qualified_names() or counts[stem.name] > 1
            rec = stem.relative_to(self.db_dir).as_posix() if qualify else stem.name
            paths.setdefault(rec, stem)
        self._paths = paths
        return sorted(paths, key=self._sort_key)

    def _qualified_names(self) -> bool:
        """Whether every record name includes its sub-folder (names that repeat always do)."""
        return False

    def _sort_key(self, rec: str) -> Any:
        return rec

    def record_path(self, rec: str) -> Path:
        """Path of the record without extension (``<db_dir>/.../<rec>``).

        Raises:
            ReaderError: ``rec`` is not a record of the database.
        """
        return self._paths[self._check_rec(rec)]

    # ------------------------------------------------------------------ header
    def _record(self, rec: str) -> _Record:
        """The parsed header of ``rec`` (no signal file is opened)."""
        if rec in self._info:
            return self._info[rec]
        stem = self.record_path(rec)
        hea = self._inside(stem.with_name(stem.name + ".hea"))
        try:
            header = read_wfdb_header(stem)
        except Exception as exc:
            raise ReaderError(hea, f"malformed header ({type(exc).__name__}: {exc})") from exc
        if isinstance(header, WFDBHeader):
            if header.n_sig < 1 or not header.file_name:
                raise ReaderError(hea, "header declares no signal")
            units = tuple(str(u or "mV") for u in header.units)
            for name in dict.fromkeys(header.file_name):
                self._inside(stem.parent / name)
        else:
            units = self._multi_segment_units(rec, stem, header)
        fs = header.fs
        if fs is None or not math.isfinite(float(fs)) or float(fs) <= 0:
            raise ReaderError(hea, f"header sampling frequency must be > 0 Hz, got {fs!r}")
        info = _Record(header=header, units=units)
        self._info[rec] = info
        return info

    def _multi_segment_units(self, rec: str, stem: Path, header: Any) -> tuple[str, ...]:
        """Check every segment's files stay inside ``db_dir``; the signal units wfdb gives."""
        import wfdb

        hea = stem.with_name(stem.name + ".hea")
        for seg in header.seg_name or []:
            if seg == "~":
                continue
            seg_stem = stem.parent / seg
            self._inside(seg_stem.with_name(seg + ".hea"))
            try:
                seg_header = read_wfdb_header(seg_stem)
            except OSError as exc:
                raise ReaderError(
                    seg_stem.with_name(seg + ".hea"), "segment header is missing"
                ) from exc
            except Exception as exc:
                raise ReaderError(
                    seg_stem.with_name(seg + ".hea"),
                    f"malformed segment header ({type(exc).__name__}: {exc})",
                ) from exc
            for name in dict.fromkeys(getattr(seg_header, "file_name", None) or []):
                self._inside(stem.parent / name)
        if not header.sig_len or header.sig_len <= 0:
            raise ReaderError(
                hea, f"header signal length must be > 0 samples, got {header.sig_len!r}"
            )
        try:
            full = wfdb.rdheader(str(stem), rd_segments=True)
        except FileNotFoundError as exc:
            raise ReaderError(exc.filename or hea, "segment header is missing") from exc
        except Exception as exc:
            raise ReaderError(
                hea, f"cannot read the segments ({type(exc).__name__}: {exc})"
            ) from exc
        # the layout segment (variable layout) or the first segment (fixed) names the signals
        first = next((seg for seg in full.segments if seg is not None), None)
        if first is None or not first.sig_name:
            raise ReaderError(hea, "multi-segment header names no signal")
        header.sig_name = list(first.sig_name)
        header.n_sig = len(first.sig_name)
        return tuple(str(u or "mV") for u in (first.units or ["mV"] * len(first.sig_name)))

    def _read_header(self, rec: str) -> tuple[float, tuple[str, ...], int]:
        info = self._record(rec)
        header = info.header
        stem = self.record_path(rec)
        hea = stem.with_name(stem.name + ".hea")
        sig_len = header.sig_len
        if sig_len is None and isinstance(header, WFDBHeader):
            first = stem.parent / header.file_name[0]
            if not first.is_file():
                raise ReaderError(
                    first,
                    f"signal file named by the header {hea.name} is missing (and the header "
                    "gives no signal length)",
                )
            in_file = [k for k, f in enumerate(header.file_name) if f == header.file_name[0]]
            try:
                sig_len = infer_sig_len(
                    first,
                    str(header.fmt[0]),
                    sum(int(header.samps_per_frame[k]) for k in in_file),
                    int(header.byte_offset[0] or 0),
                )
            except ValueError as exc:
                raise ReaderError(hea, str(exc)) from exc
            header.sig_len = sig_len
            info.inferred_length = True
        if sig_len is None or sig_len <= 0:
            raise ReaderError(hea, f"header signal length must be > 0 samples, got {sig_len!r}")
        names = tuple(
            str(n) if n is not None else f"ch{k}"
            for k, n in enumerate(header.sig_name or [None] * header.n_sig)
        )
        return float(header.fs), names, int(sig_len)

    def _native_units(self, rec: str) -> tuple[str, ...]:
        self._header(rec)
        return self._record(rec).units

    def header_comments(self, rec: str | int) -> list[str]:
        """Comment lines of the record's header (without the leading ``#``)."""
        rec = self._check_rec(rec)
        return [str(c) for c in (self._record(rec).header.comments or [])]

    # ------------------------------------------------------------------ signal files
    def _check_files(self, rec: str) -> None:
        """Compare each signal file's size (and a ``.mat`` file's matrix) with the header; choose
        the fast path."""
        info = self._record(rec)
        if info.checked:
            return
        header = info.header
        stem = self.record_path(rec)
        if not isinstance(header, WFDBHeader):
            info.checked = True
            return
        per_file: dict[str, list[int]] = {}
        for k, name in enumerate(header.file_name):
            per_file.setdefault(name, []).append(k)
        fast: list[str] = []
        for name, chans in per_file.items():
            path = self._inside(stem.parent / name)
            if not path.is_file():
                raise ReaderError(
                    path, f"signal file named by the header {stem.name}.hea is missing"
                )
            fmts = {str(header.fmt[k]) for k in chans}
            fmt = str(header.fmt[chans[0]])
            if len(fmts) > 1 or fmt not in BYTES_PER_SAMPLE and fmt not in FLAC_FORMATS:
                raise ReaderError(
                    path,
                    f"unsupported WFDB format {sorted(fmts)} (supported: "
                    f"{sorted(BYTES_PER_SAMPLE) + sorted(FLAC_FORMATS)}, one per file)",
                )
            if fmt in FLAC_FORMATS:
                continue
            spf = sum(int(header.samps_per_frame[k]) for k in chans)
            offset = int(header.byte_offset[chans[0]] or 0)
            if path.suffix.lower() == ".mat":
                problem = check_mat_v4(path, fmt, spf, int(header.sig_len or 0), offset)
                if problem is not None:
                    raise ReaderError(path, f"not the matrix the header describes: {problem}")
            self._check_size(path, header, fmt, spf, offset, len(chans))
            if fmt == "16" and spf == len(chans) and not any(header.skew[k] for k in chans):
                fast.append(name)
        info.fast_file = fast[0] if len(fast) == len(per_file) == 1 else None
        info.checked = True

    @staticmethod
    def _check_size(
        path: Path, header: WFDBHeader, fmt: str, spf: int, offset: int, n_chans: int
    ) -> None:
        sig_len = int(header.sig_len or 0)
        expected = offset + math.ceil(sig_len * spf * BYTES_PER_SAMPLE[fmt])
        size = path.stat().st_size
        frame = math.ceil(spf * BYTES_PER_SAMPLE[fmt])
        what = f"({n_chans} signals x {sig_len} samples, format {fmt}) implies {expected} bytes"
        if size < expected:
            raise ReaderError(
                path,
                f"signal file truncated or header/data mismatch: {size} bytes but the header {what}",
            )
        if size > expected + max(frame, 4):
            raise ReaderError(path, f"header/data mismatch: {size} bytes but the header {what}")

    def _read_fmt16(
        self, rec: str, channels: list[int], sampfrom: int, sampto: int
    ) -> npt.NDArray[np.float32] | None:
        """Fast path: every signal of the record in one format-16 file, one sample per frame and
        no skew; only the window is read. ``None`` when the record does not qualify."""
        info = self._record(rec)
        if info.fast_file is None:
            return None
        h = info.header
        n_in = h.n_sig
        path = self.record_path(rec).parent / info.fast_file
        offset = int(h.byte_offset[0] or 0)
        count = n_in * (sampto - sampfrom)
        with open(path, "rb") as fh:
            fh.seek(offset + 2 * n_in * sampfrom)
            raw = np.fromfile(fh, dtype="<i2", count=count)
        if raw.size != count:
            raise ReaderError(path, f"signal file truncated: read {raw.size} of {count} values")
        digital = raw.reshape(-1, n_in)[:, channels].T
        gain = np.array([float(h.adc_gain[c]) for c in channels], dtype=np.float64)
        base = np.array([float(h.baseline[c]) for c in channels], dtype=np.float64)
        out = ((digital - base[:, None]) / gain[:, None]).astype(np.float32)
        invalid = digital == -32768
        if invalid.any():
            out[invalid] = np.nan
        return out

    def _read(
        self, rec: str, channels: list[int], sampfrom: int, sampto: int
    ) -> npt.NDArray[np.float32]:
        import wfdb

        self._check_files(rec)
        fast = self._read_fmt16(rec, channels, sampfrom, sampto)
        if fast is not None:
            return fast
        stem = self.record_path(rec)
        hea = stem.with_name(stem.name + ".hea")
        info = self._record(rec)
        header = info.header
        # format 8 stores first differences: wfdb restarts them at a window's start; wfdb cannot
        # window a header without a signal length: both are read from the start and sliced
        single = isinstance(header, WFDBHeader)
        no_len = info.inferred_length
        from_start = single and (no_len or any(str(header.fmt[c]) == "8" for c in channels))
        try:
            record = wfdb.rdrecord(
                str(stem),
                sampfrom=0 if from_start else sampfrom,
                sampto=None if no_len else sampto,
                channels=channels,
                physical=True,
                return_res=32,
            )
        except FileNotFoundError as exc:
            raise ReaderError(exc.filename or hea, "file named by the header is missing") from exc
        except ImportError as exc:
            raise ReaderError(hea, f"reading this format needs a package: {exc}") from exc
        except Exception as exc:
            raise ReaderError(hea, f"cannot read signal ({type(exc).__name__}: {exc})") from exc
        sig = record.p_signal
        if sig is None:
            raise ReaderError(hea, "no signal read")
        data = np.asarray(sig, dtype=np.float32).T
        if from_start:
            data = data[:, sampfrom:sampto]
        return np.ascontiguousarray(data)

    # ------------------------------------------------------------------ annotations
    def load_annotation(self, rec: str | int, extension: str | None = None) -> WFDBAnnotation:
        """Every field of the annotation file ``<rec>.<extension>`` (``sample``, ``symbol``,
        ``subtype``, ``chan``, ``num``, ``aux_note``, ``fs``); the signal file is not needed.

        Args:
            rec: record name or index.
            extension: annotation file extension; :attr:`ann_extension` when ``None``.

        Raises:
            ReaderError: missing or malformed file, or an annotation past the record's end.
        """
        rec = self._check_rec(rec)
        header = self._record(rec).header
        stem = self.record_path(rec)
        ext = self.ann_extension if extension is None else extension
        path = self._inside(stem.with_name(f"{stem.name}.{ext}"))
        siglen = header.sig_len if header.sig_len else None
        return read_wfdb_annotation(path, record_fs=float(header.fs), record_siglen=siglen)

    def load_ann(self, rec: str | int) -> BeatRhythmAnn:  # type: ignore[override]
        """Beat annotations and rhythm intervals (from aux notes ``"(AFIB"`` ...) of ``rec``, in
        samples of the annotation file's own rate (``fs``)."""
        rec = self._check_rec(rec)
        ann = self.load_annotation(rec)
        header = self._record(rec).header
        fs = ann.fs or float(header.fs)
        siglen = header.sig_len if header.sig_len else self._header(rec)[2]
        end = math.ceil(siglen * fs / float(header.fs) - 1e-9)
        symbols = [s or "" for s in ann.symbol]
        return _beat_rhythm_ann(ann.sample, symbols, ann.sample, ann.aux_note, end, fs)

    def _plot_marks(self, rec: str, sampfrom: int, sampto: int) -> dict[str, npt.NDArray[np.int64]]:
        try:
            ann = self.load_ann(rec)
        except ReaderError:
            return {}
        if not hasattr(ann, "beat_symbols"):  # record-level annotations (labels, not beats)
            return {}
        marks: dict[str, npt.NDArray[np.int64]] = {}
        for sym in sorted(set(ann.beat_symbols)):
            marks[f"beat {sym}"] = ann.beat_samples[np.array(ann.beat_symbols) == sym]
        return marks
