"""Fast parsing of single-segment WFDB headers (``.hea``).

``wfdb.rdheader`` looks its field specifications up in a pandas table for every field of every
signal line (about 5 ms for a 12-lead header, most of the cost of listing a CinC folder). This
module parses the same lines with wfdb's own regular expressions (``wfdb.io.header.rx_record`` /
``rx_signal``) and the same read defaults and type casts, held in plain dicts, and returns the
fields the readers use. Multi-segment headers (``name/n_seg``) are left to ``wfdb.rdheader``.

Reference: WFDB header format, https://physionet.org/physiotools/wag/header-5.htm
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "WFDBHeader",
    "parse_wfdb_header",
    "read_wfdb_header",
    "BYTES_PER_SAMPLE",
    "infer_sig_len",
    "check_mat_v4",
]

#: Bytes per sample of the WFDB binary formats (wfdb's ``BYTES_PER_SAMPLE``); the FLAC formats
#: (508, 516, 524) are compressed and have no fixed size.
BYTES_PER_SAMPLE: dict[str, float] = {
    "8": 1,
    "16": 2,
    "24": 3,
    "32": 4,
    "61": 2,
    "80": 1,
    "160": 2,
    "212": 1.5,
    "310": 4 / 3,
    "311": 4 / 3,
}
#: MATLAB v4 precision code (the ``P`` digit of ``MOPT``) of each WFDB format stored in ``.mat``.
_MAT_PRECISION: dict[str, int] = {"8": 5, "16": 3, "32": 2}

# wfdb.io._header.SIGNAL_SPECS "read_default" column, and the type of each field.
_SIGNAL_INT = ("samps_per_frame", "skew", "byte_offset", "baseline")
_SIGNAL_INT_TAIL = ("adc_res", "adc_zero", "init_value", "checksum", "block_size")


@dataclass(slots=True)
class WFDBHeader:
    """Fields of a single-segment WFDB header, named and typed as ``wfdb.Record``'s.

    Attributes:
        record_name / n_sig / fs / sig_len / counter_freq / base_counter: record line (fs in Hz,
            default 250; ``sig_len`` in samples or ``None``).
        file_name ... sig_name: one entry per signal, with wfdb's read defaults (gain 200 when
            absent or 0, baseline = ADC zero or 0, units ``"mV"``, 1 sample per frame).
        comments: comment lines without the leading ``#`` (stripped as wfdb does).
    """

    record_name: str
    n_sig: int
    fs: float
    sig_len: int | None = None
    counter_freq: float | None = None
    base_counter: float | None = None
    file_name: list[str] = field(default_factory=list)
    fmt: list[str] = field(default_factory=list)
    samps_per_frame: list[int] = field(default_factory=list)
    skew: list[int | None] = field(default_factory=list)
    byte_offset: list[int | None] = field(default_factory=list)
    adc_gain: list[float] = field(default_factory=list)
    baseline: list[int] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    adc_res: list[int | None] = field(default_factory=list)
    adc_zero: list[int | None] = field(default_factory=list)
    init_value: list[int | None] = field(default_factory=list)
    checksum: list[int | None] = field(default_factory=list)
    block_size: list[int | None] = field(default_factory=list)
    sig_name: list[str | None] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def _opt_int(s: str) -> int | None:
    return int(s) if s else None


def _opt_float(s: str) -> float | None:
    return float(s) if s else None


def parse_wfdb_header(text: str) -> WFDBHeader | None:
    """Parse the text of a ``.hea`` file.

    Args:
        text: the header file's content.

    Returns:
        The parsed header, or ``None`` for a multi-segment header (use ``wfdb.rdheader``).

    Raises:
        ValueError: no record line, or a record/signal line that wfdb's grammar rejects.
    """
    from wfdb.io.header import rx_record, rx_signal

    header_lines: list[str] = []
    comment_lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            comment_lines.append(line)
        elif line:
            header_lines.append(line)
    if not header_lines:
        raise ValueError("header has no record line")
    m = rx_record.match(header_lines[0])
    if m is None:
        raise ValueError(f"invalid syntax in record line {header_lines[0]!r}")
    name, n_seg, n_sig, fs_s, counter_freq, base_counter, sig_len = m.groups()[:7]
    if n_seg:
        return None
    fs: float = 250.0
    if fs_s:
        fs = float(fs_s)
    hdr = WFDBHeader(
        record_name=name,
        n_sig=int(n_sig),
        fs=fs,
        sig_len=_opt_int(sig_len),
        counter_freq=_opt_float(counter_freq),
        base_counter=_opt_float(base_counter),
        comments=[c.strip(" \t#") for c in comment_lines],
    )
    for line in header_lines[1:]:
        s = rx_signal.match(line)
        if s is None:
            raise ValueError(f"invalid syntax in signal line {line!r}")
        (
            file_name,
            fmt,
            spf,
            skew,
            byte_offset,
            gain,
            baseline,
            units,
            adc_res,
            adc_zero,
            init_value,
            checksum,
            block_size,
            sig_name,
        ) = s.groups()
        hdr.file_name.append(file_name)
        hdr.fmt.append(fmt)
        hdr.samps_per_frame.append(int(spf) if spf else 1)
        hdr.skew.append(_opt_int(skew))
        hdr.byte_offset.append(_opt_int(byte_offset))
        g = float(gain) if gain else 200.0
        hdr.adc_gain.append(200.0 if g == 0 else g)
        hdr.baseline.append(int(baseline) if baseline else int(adc_zero) if adc_zero else 0)
        hdr.units.append(units if units else "mV")
        hdr.adc_res.append(_opt_int(adc_res))
        hdr.adc_zero.append(_opt_int(adc_zero))
        hdr.init_value.append(_opt_int(init_value))
        hdr.checksum.append(_opt_int(checksum))
        hdr.block_size.append(_opt_int(block_size))
        hdr.sig_name.append(sig_name if sig_name else None)
    if len(hdr.file_name) != hdr.n_sig:
        raise ValueError(
            f"record line declares {hdr.n_sig} signals but {len(hdr.file_name)} signal lines follow"
        )
    return hdr


def read_wfdb_header(stem: str | os.PathLike[str]) -> Any:
    """Read ``<stem>.hea``: a :class:`WFDBHeader`, or a ``wfdb`` record for multi-segment ones.

    Args:
        stem: path of the record without extension.

    Raises:
        OSError: the file cannot be read. ValueError: malformed header.
    """
    path = Path(stem)
    raw = path.with_name(path.name + ".hea").read_bytes()
    # UTF-8 (else Latin-1), so that a unit such as "µV" stays itself: wfdb drops the bytes it
    # cannot read as ASCII and would make it "V"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    hdr = parse_wfdb_header(text)
    if hdr is not None:
        return hdr
    import wfdb

    return wfdb.rdheader(str(path))


def infer_sig_len(path: Path, fmt: str, samps_per_frame: int, byte_offset: int) -> int:
    """Signal length (frames) of a header without one, from the signal file's size, as
    ``wfdb.rdrecord`` works it out: ``(size - byte_offset) / (bytes per sample * samples per
    frame)``, rounded down.

    Raises:
        ValueError: a format without a fixed sample size (FLAC).
        OSError: the file cannot be read.
    """
    if fmt not in BYTES_PER_SAMPLE:
        raise ValueError(f"format {fmt} has no fixed sample size: the signal length must be given")
    size = path.stat().st_size
    return int((size - byte_offset) / (BYTES_PER_SAMPLE[fmt] * samps_per_frame))


def check_mat_v4(path: Path, fmt: str, rows: int, cols: int, byte_offset: int) -> str | None:
    """Check that ``path`` is the MATLAB v4 matrix a WFDB ``.mat`` record holds: variable
    ``val``, little-endian, real, of the header's format and of shape ``(rows, cols)`` = (samples
    per frame of all signals in the file, frames), whose data begin at the header's byte offset.

    Returns:
        ``None`` when it is, else what differs (a variable's content is never quoted).
    """
    import struct

    with open(path, "rb") as fh:
        head = fh.read(20)
        if len(head) < 20:
            return "file shorter than a MATLAB v4 matrix header (20 bytes)"
        mopt, mrows, ncols, imagf, namlen = struct.unpack("<5i", head)
        name = fh.read(max(0, min(namlen, 64)))
    if mopt < 0 or mopt >= 1000 or mopt % 10 != 0:
        return (
            "not a little-endian MATLAB v4 numeric matrix (a MATLAB v5 file, or another "
            "byte order or matrix type)"
        )
    var = name.split(b"\x00", 1)[0].decode("ascii", "replace")
    if var != "val":
        return f"MATLAB variable is named {var[:32]!r}, the WFDB header expects 'val'"
    precision = (mopt // 10) % 10
    if fmt in _MAT_PRECISION and precision != _MAT_PRECISION[fmt]:
        return f"MATLAB v4 precision code {precision} does not match WFDB format {fmt}"
    if imagf:
        return "MATLAB matrix 'val' is complex"
    if (mrows, ncols) != (rows, cols):
        return (
            f"MATLAB matrix 'val' has shape ({mrows}, {ncols}) but the header implies "
            f"({rows} signals, {cols} samples)"
        )
    if 20 + namlen != byte_offset:
        return f"data begin at byte {20 + namlen}, the header says byte offset {byte_offset}"
    return None
