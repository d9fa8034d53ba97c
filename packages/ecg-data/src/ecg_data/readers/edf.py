"""EDF, EDF+ and BDF reader (Kemp et al. 1992, Kemp & Olivan 2003; BioSemi's 24-bit BDF): the
header, a window of one signal read through a memory map (only the data records covering the
window are read), and the EDF+ annotations (TALs).

Layout: a 256-byte fixed header, then 256 bytes per signal (fields stored field by field for all
signals), then ``n_records`` data records, each holding ``samples_per_record[k]`` little-endian
samples of every signal ``k`` in turn: int16 in EDF, 24-bit two's complement in BDF. Physical
value: ``(digital - dig_min) * (phys_max - phys_min) / (dig_max - dig_min) + phys_min``.

EDF+ adds "EDF Annotations" signals ("BDF Annotations" in BDF+): their bytes are TALs
(``+onset[\\x15duration]\\x14text\\x14...\\x00``), never samples; the first TAL of each data record
gives that record's onset. An EDF+D (discontinuous) file places each data record at its onset:
sample ``i`` of a signal is the time ``i / fs`` from the start of the file, and the samples that
fall in a gap between records are ``NaN``. Times (record onsets, annotation onsets) count from the
first sample: the onset of the first data record (a sub-second start) is ``start_offset``, and is
subtracted, as edfio does. Onsets are rounded to the nearest sample; records that
overlap or go back in time are an error. An annotation-only EDF+ file (a hypnogram) has no
ordinary signal and may declare a data record duration of 0.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import ReaderError

__all__ = [
    "EDFHeader",
    "EDFSignal",
    "EDFAnnotation",
    "read_edf_header",
    "read_edf_window",
    "read_edf_annotations",
]

_FIELDS: tuple[tuple[str, int], ...] = (
    ("label", 16),
    ("transducer", 80),
    ("dimension", 8),
    ("phys_min", 8),
    ("phys_max", 8),
    ("dig_min", 8),
    ("dig_max", 8),
    ("prefilter", 80),
    ("samples_per_record", 8),
    ("reserved", 32),
)
_ANNOTATION_LABELS = ("edf annotations", "bdf annotations")
_ONSET = re.compile(rb"^([+-]\d+(?:\.\d*)?)(?:\x15(\d+(?:\.\d*)?))?$")


@dataclass(frozen=True, slots=True)
class EDFSignal:
    """One signal of an EDF file (``fs`` in Hz; ``dimension`` the physical unit).

    ``is_annotation`` marks an EDF+ annotation signal, whose bytes hold TALs, not samples.
    """

    label: str
    dimension: str
    phys_min: float
    phys_max: float
    dig_min: int
    dig_max: int
    samples_per_record: int
    fs: float
    transducer: str = ""
    prefilter: str = ""
    is_annotation: bool = False


@dataclass(frozen=True, slots=True)
class EDFAnnotation:
    """One EDF+ annotation: ``onset`` in s from the file start, ``duration`` in s (``None`` when
    not given) and its text (UTF-8)."""

    onset: float
    duration: float | None
    text: str


@dataclass(frozen=True, slots=True)
class EDFHeader:
    """Header of an EDF/BDF file: ``header_bytes``, ``n_records`` data records of
    ``record_duration`` s, the signals, and for EDF+D the onset (s) of each data record.

    Attributes:
        start_offset: onset in s of the first data record after the header's start time (EDF+
            sub-second start; 0 for EDF).
        bytes_per_sample: 2 (EDF) or 3 (BDF).
        reserved: the header's reserved field (``"EDF+C"``, ``"EDF+D"``, ``"BDF+C"``, or ``""``).
        record_onsets: onset in s (from the first record) of each data record of an
            EDF+D/BDF+D file, else ``None`` (the records follow each other without gaps).
    """

    path: Path
    header_bytes: int
    n_records: int
    record_duration: float
    signals: tuple[EDFSignal, ...]
    start: str
    bytes_per_sample: int = 2
    reserved: str = ""
    record_onsets: tuple[float, ...] | None = None
    start_offset: float = 0.0

    @property
    def record_values(self) -> int:
        """Samples per data record (all signals)."""
        return sum(s.samples_per_record for s in self.signals)

    @property
    def record_bytes(self) -> int:
        """Bytes per data record."""
        return self.bytes_per_sample * self.record_values

    @property
    def is_bdf(self) -> bool:
        """True for BDF files (24-bit samples), False for EDF (16-bit)."""
        return self.bytes_per_sample == 3

    @property
    def continuous(self) -> bool:
        """False for an EDF+D/BDF+D file with at least one gap between data records."""
        if self.record_onsets is None:
            return True
        ends = [t + self.record_duration for t in self.record_onsets[:-1]]
        return all(abs(a - b) < 1e-9 for a, b in zip(ends, self.record_onsets[1:], strict=True))

    def index(self, label: str) -> int:
        """Index of the signal named ``label`` (case-insensitive)."""
        labels = [s.label.lower() for s in self.signals]
        if label.lower() not in labels:
            raise ReaderError(
                self.path, f"no signal {label!r} (signals: {[s.label for s in self.signals]})"
            )
        return labels.index(label.lower())

    def n_samples(self, signal: int) -> int:
        """Samples of ``signal`` from the file start to the end of its last data record (gaps of
        an EDF+D file included)."""
        spr = self.signals[signal].samples_per_record
        if self.record_onsets is None or not self.record_onsets:
            return self.n_records * spr
        fs = self.signals[signal].fs
        return int(round(self.record_onsets[-1] * fs)) + spr


def _num(raw: bytes, path: Path, what: str) -> float:
    text = raw.decode("ascii", "replace").strip()
    try:
        value = float(text)
    except ValueError:
        raise ReaderError(path, f"EDF header field {what} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ReaderError(path, f"EDF header field {what} is not finite: {text!r}")
    return value


def read_edf_header(path: str | os.PathLike[str]) -> EDFHeader:
    """Parse the header of an EDF/EDF+/BDF file and check the file size against it; for EDF+D,
    read the onset of every data record.

    Raises:
        ReaderError: missing file, malformed header, or a size that does not match the header.
    """
    path = Path(path)
    if not path.is_file():
        raise ReaderError(path, "EDF file is missing")
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(256)
        if len(head) < 256 or head[:8].strip() not in (b"0", b"\xffBIOSEMI"):
            raise ReaderError(path, "not an EDF file (nor BDF): bad or short fixed header")
        bps = 3 if head[:1] == b"\xff" else 2
        header_bytes = int(_num(head[184:192], path, "header bytes"))
        reserved = head[192:236].decode("ascii", "replace").strip()
        n_records = int(_num(head[236:244], path, "number of data records"))
        duration = _num(head[244:252], path, "data record duration")
        ns = int(_num(head[252:256], path, "number of signals"))
        if ns < 1 or header_bytes != 256 * (ns + 1):
            raise ReaderError(path, f"header declares {ns} signals but {header_bytes} header bytes")
        rest = fh.read(256 * ns)
    if len(rest) < 256 * ns:
        raise ReaderError(path, f"truncated signal header: {len(rest)} of {256 * ns} bytes")
    values: dict[str, list[bytes]] = {}
    pos = 0
    for name, width in _FIELDS:
        values[name] = [rest[pos + k * width : pos + (k + 1) * width] for k in range(ns)]
        pos += width * ns
    plus = reserved.upper().startswith(("EDF+", "BDF+"))
    labels = [v.decode("ascii", "replace").strip() for v in values["label"]]
    is_ann = [plus and lab.lower() in _ANNOTATION_LABELS for lab in labels]
    if duration < 0 or (duration == 0 and not all(is_ann)):
        raise ReaderError(
            path, f"data record duration must be > 0 s (0 only without signals), got {duration}"
        )
    signals = []
    for k in range(ns):
        spr = int(_num(values["samples_per_record"][k], path, "samples per record"))
        dmin = int(_num(values["dig_min"][k], path, "digital minimum"))
        dmax = int(_num(values["dig_max"][k], path, "digital maximum"))
        if spr < 1 or dmax <= dmin:
            raise ReaderError(
                path, f"signal {k}: samples per record {spr}, digital range [{dmin}, {dmax}]"
            )
        signals.append(
            EDFSignal(
                label=labels[k],
                dimension=values["dimension"][k].decode("latin-1").strip(),
                phys_min=_num(values["phys_min"][k], path, "physical minimum"),
                phys_max=_num(values["phys_max"][k], path, "physical maximum"),
                dig_min=dmin,
                dig_max=dmax,
                samples_per_record=spr,
                fs=spr / duration if duration > 0 else 0.0,
                transducer=values["transducer"][k].decode("latin-1").strip(),
                prefilter=values["prefilter"][k].decode("latin-1").strip(),
                is_annotation=is_ann[k],
            )
        )
    record_bytes = bps * sum(s.samples_per_record for s in signals)
    if n_records < 0:
        n_records = (size - header_bytes) // record_bytes
    if size < header_bytes + n_records * record_bytes:
        raise ReaderError(
            path,
            f"EDF file truncated: {size} bytes but the header ({n_records} records of "
            f"{record_bytes} bytes) implies {header_bytes + n_records * record_bytes} bytes",
        )
    start = head[168:184].decode("ascii", "replace")
    header = EDFHeader(
        path, header_bytes, n_records, duration, tuple(signals), start, bps, reserved
    )
    if not (n_records > 0 and any(is_ann)):
        return header
    offset = _record_onset(header, 0)
    onsets: tuple[float, ...] | None = None
    if reserved.upper() in ("EDF+D", "BDF+D"):
        onsets = tuple(t - offset for t in _record_onsets(header))
        for r in range(1, n_records):
            if onsets[r] < onsets[r - 1] + duration - 1e-9:
                raise ReaderError(
                    path,
                    f"EDF+D data record {r} starts at {onsets[r]} s, before the end of record "
                    f"{r - 1} ({onsets[r - 1] + duration} s): records overlap or are not in order",
                )
    return EDFHeader(
        path,
        header_bytes,
        n_records,
        duration,
        tuple(signals),
        start,
        bps,
        reserved,
        onsets,
        offset,
    )


def _annotation_bytes(header: EDFHeader, record: int) -> list[bytes]:
    """The raw bytes of every annotation signal in data record ``record``."""
    out = []
    with open(header.path, "rb") as fh:
        pos = header.header_bytes + record * header.record_bytes
        for s in header.signals:
            n = header.bytes_per_sample * s.samples_per_record
            if s.is_annotation:
                fh.seek(pos)
                out.append(fh.read(n))
            pos += n
    return out


def _parse_tals(raw: bytes, path: Path, record: int) -> list[tuple[float, float | None, list[str]]]:
    """TALs of one annotation signal of one data record: (onset, duration, texts)."""
    tals = []
    for chunk in raw.split(b"\x00"):
        if not chunk:
            continue
        parts = chunk.split(b"\x14")
        m = _ONSET.match(parts[0])
        if m is None or len(parts) < 2:
            raise ReaderError(path, f"data record {record}: malformed EDF+ annotation (TAL)")
        onset = float(m.group(1))
        dur = float(m.group(2)) if m.group(2) else None
        texts = [p.decode("utf-8", "replace") for p in parts[1:-1]]
        tals.append((onset, dur, texts))
    return tals


def _record_onset(header: EDFHeader, record: int) -> float:
    """Onset in s of data record ``record`` (its first TAL, the time-keeping one)."""
    raws = _annotation_bytes(header, record)
    tals = _parse_tals(raws[0], header.path, record) if raws else []
    if not tals:
        raise ReaderError(header.path, f"data record {record} has no time-keeping annotation")
    return tals[0][0]


def _record_bytes(header: EDFHeader) -> npt.NDArray[np.uint8]:
    """The data records of ``header``'s file as a read-only (n_records, record_bytes) uint8 map."""
    return np.memmap(
        header.path,
        dtype=np.uint8,
        mode="r",
        offset=header.header_bytes,
        shape=(header.n_records, header.record_bytes),
    )


def _record_onsets(header: EDFHeader) -> list[float]:
    """Onset in s of every data record (one memory-mapped pass over the time-keeping signal)."""
    k = next(i for i, s in enumerate(header.signals) if s.is_annotation)
    bps = header.bytes_per_sample
    start = bps * sum(s.samples_per_record for s in header.signals[:k])
    width = bps * header.signals[k].samples_per_record
    mm = _record_bytes(header)
    rows = np.array(mm[:, start : start + width])
    del mm
    onsets = []
    for r in range(header.n_records):
        first = rows[r].tobytes().split(b"\x14", 1)[0]
        m = _ONSET.match(first)
        if m is None:
            raise ReaderError(header.path, f"data record {r} has no time-keeping annotation")
        onsets.append(float(m.group(1)))
    return onsets


def read_edf_annotations(header: EDFHeader) -> list[EDFAnnotation]:
    """Every EDF+ annotation of the file (the time-keeping TAL of each data record left out),
    sorted by onset (s from the first sample); an EDF file without annotation signal has none.

    Raises:
        ReaderError: a malformed TAL.
    """
    out: list[EDFAnnotation] = []
    if not any(s.is_annotation for s in header.signals):
        return out
    for r in range(header.n_records):
        for k, raw in enumerate(_annotation_bytes(header, r)):
            for t, (onset, dur, texts) in enumerate(_parse_tals(raw, header.path, r)):
                keeping = k == 0 and t == 0
                at = onset - header.start_offset
                for text in texts[1:] if keeping else texts:
                    out.append(EDFAnnotation(onset=at, duration=dur, text=text))
                if keeping and texts and texts[0]:
                    out.append(EDFAnnotation(onset=at, duration=dur, text=texts[0]))
    out.sort(key=lambda a: a.onset)
    return out


def _decode(header: EDFHeader, records: slice, signal: int) -> npt.NDArray[np.float64]:
    """Digital samples of ``signal`` in the data records ``records``, float64, record by record."""
    offset = header.bytes_per_sample * sum(s.samples_per_record for s in header.signals[:signal])
    spr = header.signals[signal].samples_per_record
    bps = header.bytes_per_sample
    mm = _record_bytes(header)
    raw = np.array(mm[records, offset : offset + bps * spr])
    del mm
    if bps == 2:
        digital = raw.reshape(-1).view("<i2").astype(np.float64)
    else:
        b = raw.reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        digital = np.where(value >= 1 << 23, value - (1 << 24), value).astype(np.float64)
    return digital.reshape(-1, spr)


def read_edf_window(
    header: EDFHeader, signal: int, sampfrom: int, sampto: int
) -> npt.NDArray[np.float32]:
    """Samples ``[sampfrom, sampto)`` of signal ``signal`` in its physical unit, float32.

    Only the data records covering the window are touched (memory map). In an EDF+D file the
    samples count from the file start and those in gaps between data records are ``NaN``.

    Raises:
        ReaderError: the window lies outside the signal, or ``signal`` is an annotation signal.
    """
    sig = header.signals[signal]
    if sig.is_annotation:
        raise ReaderError(
            header.path,
            f"signal {signal} ({sig.label!r}) holds EDF+ annotations, not samples: read it "
            "with read_edf_annotations",
        )
    spr = sig.samples_per_record
    total = header.n_samples(signal)
    if not 0 <= sampfrom < sampto <= total:
        raise ReaderError(
            header.path, f"window [{sampfrom}, {sampto}) samples outside [0, {total}) samples"
        )
    scale = (sig.phys_max - sig.phys_min) / (sig.dig_max - sig.dig_min)
    if header.record_onsets is None:
        r0, r1 = sampfrom // spr, (sampto - 1) // spr + 1
        block = _decode(header, slice(r0, r1), signal).reshape(-1)
        block = block[sampfrom - r0 * spr : sampto - r0 * spr]
        return ((block - sig.dig_min) * scale + sig.phys_min).astype(np.float32)
    starts = np.array([int(round(t * sig.fs)) for t in header.record_onsets], dtype=np.int64)
    hit = np.nonzero((starts < sampto) & (starts + spr > sampfrom))[0]
    out = np.full(sampto - sampfrom, np.nan, dtype=np.float32)
    if hit.size:
        r0, r1 = int(hit[0]), int(hit[-1]) + 1
        blocks = _decode(header, slice(r0, r1), signal)
        for r in range(r0, r1):
            a, b = max(int(starts[r]), sampfrom), min(int(starts[r]) + spr, sampto)
            if a < b:
                digital = blocks[r - r0, a - int(starts[r]) : b - int(starts[r])]
                out[a - sampfrom : b - sampfrom] = (digital - sig.dig_min) * scale + sig.phys_min
    return out
