"""WFDB annotation files read through ``wfdb.rdann``, returned as a typed record of every field.

An annotation file may carry its own sampling rate (a ``## time resolution`` line, e.g. a QRS
detector's 500 Hz annotations of a 125 Hz record): ``fs`` is then that rate and ``sample`` counts
at it. ``wfdb.rdann`` gives ``NaN`` as the symbol of a label code it does not know; here that
symbol is ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import ReaderError

__all__ = ["WFDBAnnotation", "read_wfdb_annotation"]


@dataclass(frozen=True, slots=True)
class WFDBAnnotation:
    """Every annotation of one WFDB annotation file, in file order.

    Attributes:
        path: the annotation file.
        sample: sample index of each annotation, int64 (n,), counted at ``fs``.
        symbol: the annotation symbols (``"N"``, ``"+"``, ...); ``None`` for a label code that
            has no symbol (wfdb's ``NaN``).
        subtype / chan / num: wfdb's ``subtyp``, ``chan`` and ``num`` fields, int64 (n,).
        aux_note: the aux strings (``""`` where absent).
        fs: sampling rate in Hz of ``sample``: the file's own rate when it declares one, else the
            record's; ``None`` when neither is known.
    """

    path: Path
    sample: npt.NDArray[np.int64]
    symbol: list[str | None]
    subtype: npt.NDArray[np.int64]
    chan: npt.NDArray[np.int64]
    num: npt.NDArray[np.int64]
    aux_note: list[str]
    fs: float | None

    def __len__(self) -> int:
        return int(self.sample.size)


def _ints(values: object, n: int) -> npt.NDArray[np.int64]:
    if values is None:
        return np.zeros(n, dtype=np.int64)
    return np.asarray(values, dtype=np.int64).reshape(-1)


def read_wfdb_annotation(
    path: Path,
    *,
    record_fs: float | None = None,
    record_siglen: int | None = None,
) -> WFDBAnnotation:
    """Read the WFDB annotation file ``path`` (``<stem>.<extension>``) with ``wfdb.rdann``.

    Args:
        path: the annotation file.
        record_fs: the record's sampling rate in Hz, used when the file declares none.
        record_siglen: the record's length in samples at ``record_fs``; an annotation after
            its end (converted to the file's own rate) is an error.

    Raises:
        ReaderError: the file is missing or malformed, or an annotation lies past the record end.
    """
    import wfdb

    if not path.is_file():
        raise ReaderError(path, "annotation file is missing")
    stem, _, extension = path.name.rpartition(".")
    if not stem or not extension:
        raise ReaderError(path, "annotation file name must be <record>.<extension>")
    try:
        ann = wfdb.rdann(str(path.with_name(stem)), extension)
    except Exception as exc:  # wfdb raises many exception types on malformed files
        raise ReaderError(path, f"malformed annotation file ({type(exc).__name__}: {exc})") from exc
    sample = np.asarray(ann.sample, dtype=np.int64).reshape(-1)
    n = sample.size
    own_fs = getattr(ann, "fs", None)
    fs = float(own_fs) if own_fs else (float(record_fs) if record_fs else None)
    if n and sample.min() < 0:
        raise ReaderError(path, f"annotation at negative sample {int(sample.min())}")
    if n and fs and record_fs and record_siglen is not None:
        # the end of the record in samples of the annotation file's own rate
        end = math.ceil(record_siglen * fs / float(record_fs) - 1e-9)
        if int(sample.max()) > end:
            raise ReaderError(
                path,
                f"annotation at sample {int(sample.max())} (at {fs:g} Hz) is past the end of the "
                f"signal ({record_siglen} samples at {float(record_fs):g} Hz)",
            )
    symbols: list[str | None] = []
    for s in ann.symbol if ann.symbol is not None else [None] * n:
        if s is None or (isinstance(s, float) and math.isnan(s)):
            symbols.append(None)
        else:
            symbols.append(str(s))
    aux = [str(a) if a is not None else "" for a in (ann.aux_note or [""] * n)]
    return WFDBAnnotation(
        path=path,
        sample=sample,
        symbol=symbols,
        subtype=_ints(ann.subtype, n),
        chan=_ints(ann.chan, n),
        num=_ints(ann.num, n),
        aux_note=aux,
        fs=fs,
    )
