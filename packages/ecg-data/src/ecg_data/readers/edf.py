"""Minimal EDF (European Data Format, Kemp et al. 1992) reader: the header, and a window of one
signal read through a memory map, so that only the data records covering the window are read.

EDF layout: a 256-byte fixed header, then 256 bytes per signal (fields stored field by field for
all signals), then ``n_records`` data records, each holding ``samples_per_record[k]`` little-endian
int16 values of every signal ``k`` in turn. Physical value:
``(digital - dig_min) * (phys_max - phys_min) / (dig_max - dig_min) + phys_min``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import ReaderError

__all__ = ["EDFHeader", "EDFSignal", "read_edf_header", "read_edf_window"]

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


@dataclass(frozen=True, slots=True)
class EDFSignal:
    """One signal of an EDF file (``fs`` in Hz; ``dimension`` the physical unit)."""

    label: str
    dimension: str
    phys_min: float
    phys_max: float
    dig_min: int
    dig_max: int
    samples_per_record: int
    fs: float


@dataclass(frozen=True, slots=True)
class EDFHeader:
    """Header of an EDF file: ``header_bytes``, ``n_records`` data records of
    ``record_duration`` s, and the signals."""

    path: Path
    header_bytes: int
    n_records: int
    record_duration: float
    signals: tuple[EDFSignal, ...]
    start: str

    @property
    def record_values(self) -> int:
        """int16 values per data record (all signals)."""
        return sum(s.samples_per_record for s in self.signals)

    def index(self, label: str) -> int:
        """Index of the signal named ``label`` (case-insensitive)."""
        labels = [s.label.lower() for s in self.signals]
        if label.lower() not in labels:
            raise ReaderError(
                self.path, f"no signal {label!r} (signals: {[s.label for s in self.signals]})"
            )
        return labels.index(label.lower())


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
    """Parse the header of an EDF file and check the file size against it.

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
            raise ReaderError(path, "not an EDF file (bad or short fixed header)")
        header_bytes = int(_num(head[184:192], path, "header bytes"))
        n_records = int(_num(head[236:244], path, "number of data records"))
        duration = _num(head[244:252], path, "data record duration")
        ns = int(_num(head[252:256], path, "number of signals"))
        if ns < 1 or header_bytes != 256 * (ns + 1):
            raise ReaderError(path, f"header declares {ns} signals but {header_bytes} header bytes")
        rest = fh.read(256 * ns)
    if len(rest) < 256 * ns or duration <= 0:
        raise ReaderError(path, "truncated signal header or data record duration <= 0 s")
    values: dict[str, list[bytes]] = {}
    pos = 0
    for name, width in _FIELDS:
        values[name] = [rest[pos + k * width : pos + (k + 1) * width] for k in range(ns)]
        pos += width * ns
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
                label=values["label"][k].decode("ascii", "replace").strip(),
                dimension=values["dimension"][k].decode("ascii", "replace").strip(),
                phys_min=_num(values["phys_min"][k], path, "physical minimum"),
                phys_max=_num(values["phys_max"][k], path, "physical maximum"),
                dig_min=dmin,
                dig_max=dmax,
                samples_per_record=spr,
                fs=spr / duration,
            )
        )
    record_bytes = 2 * sum(s.samples_per_record for s in signals)
    available = (size - header_bytes) // record_bytes
    if n_records < 0:
        n_records = available
    if size < header_bytes + n_records * record_bytes:
        raise ReaderError(
            path,
            f"EDF file truncated: {size} bytes but the header ({n_records} records of "
            f"{record_bytes} bytes) implies {header_bytes + n_records * record_bytes} bytes",
        )
    start = head[168:184].decode("ascii", "replace")
    return EDFHeader(path, header_bytes, n_records, duration, tuple(signals), start)


def read_edf_window(
    header: EDFHeader, signal: int, sampfrom: int, sampto: int
) -> npt.NDArray[np.float32]:
    """Samples ``[sampfrom, sampto)`` of signal ``signal`` in its physical unit, float32.

    Only the data records covering the window are touched (memory map).
    """
    sig = header.signals[signal]
    spr = sig.samples_per_record
    total = header.n_records * spr
    if not 0 <= sampfrom < sampto <= total:
        raise ReaderError(
            header.path, f"window [{sampfrom}, {sampto}) samples outside [0, {total}) samples"
        )
    offset = sum(s.samples_per_record for s in header.signals[:signal])
    mm = np.memmap(
        header.path,
        dtype="<i2",
        mode="r",
        offset=header.header_bytes,
        shape=(header.n_records, header.record_values),
    )
    r0, r1 = sampfrom // spr, (sampto - 1) // spr + 1
    block = np.array(mm[r0:r1, offset : offset + spr], dtype=np.float64).reshape(-1)
    del mm
    block = block[sampfrom - r0 * spr : sampto - r0 * spr]
    scale = (sig.phys_max - sig.phys_min) / (sig.dig_max - sig.dig_min)
    return ((block - sig.dig_min) * scale + sig.phys_min).astype(np.float32)
