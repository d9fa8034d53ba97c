"""Wave boundaries from WFDB delineation annotations (LUDB, QTDB ``.q1c``/``.q2c``, ecgpuwave).

These files mark each wave by an onset ``(``, one or more peaks (``p`` P wave, ``N`` or another
beat symbol for the QRS complex, ``t`` T wave, ``u`` U wave) and an offset ``)``. Real files
break that pattern: QTDB's annotators leave out T-wave onsets, LUDB has QRS complexes without
their ``(``, stray ``( )`` pairs and nested brackets around repeated peaks, ecgpuwave marks
biphasic T waves with two peaks.

:func:`parse_wave_marks` reads any of them the same way. Consecutive peaks of the same wave with
no bracket in between form one wave (its peak is the first). Between two waves, everything up to
the last ``)`` belongs to the earlier wave (that ``)`` is its offset) and the first ``(`` after it
is the onset of the later wave; other brackets are stray and are counted. A boundary that is not
annotated is :data:`MISSING` (-1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ecg_data.readers.wfdb_base import BEAT_SYMBOLS

__all__ = [
    "MISSING",
    "WAVE_OF_SYMBOL",
    "WaveMarks",
    "ParsedWaves",
    "parse_wave_marks",
    "wave_of_symbol",
]

#: Sample index of a boundary that is not annotated.
MISSING: int = -1

#: WFDB peak symbol -> wave name (any other beat symbol is a QRS peak, see :func:`wave_of_symbol`).
WAVE_OF_SYMBOL: dict[str, str] = {"p": "pwave", "N": "qrs", "t": "twave", "u": "uwave"}


def wave_of_symbol(symbol: str) -> str | None:
    """Wave name of a peak annotation symbol, ``None`` for brackets and non-wave symbols."""
    if symbol in WAVE_OF_SYMBOL:
        return WAVE_OF_SYMBOL[symbol]
    if symbol in BEAT_SYMBOLS:
        return "qrs"
    return None


@dataclass(frozen=True, slots=True)
class WaveMarks:
    """Onsets, peaks and offsets of the waves of one kind, sorted by peak.

    Attributes:
        onset: onset sample of each wave, int64 (n_waves,); :data:`MISSING` when not annotated.
        peak: peak sample (the first one for waves annotated with several peaks), int64 (n_waves,).
        offset: offset sample (inclusive), int64 (n_waves,); :data:`MISSING` when not annotated.
        chan: signal (lead index) the wave was annotated on, int64 (n_waves,).
        symbol: peak annotation symbol of each wave (``"N"``, ``"V"``, ... for QRS complexes).
    """

    onset: npt.NDArray[np.int64]
    peak: npt.NDArray[np.int64]
    offset: npt.NDArray[np.int64]
    chan: npt.NDArray[np.int64]
    symbol: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.peak.size)

    def on_chan(self, chan: int) -> WaveMarks:
        """The waves annotated on signal ``chan``."""
        keep = self.chan == chan
        return WaveMarks(
            self.onset[keep],
            self.peak[keep],
            self.offset[keep],
            self.chan[keep],
            tuple(s for s, k in zip(self.symbol, keep, strict=True) if k),
        )


@dataclass(frozen=True, slots=True)
class ParsedWaves:
    """Result of :func:`parse_wave_marks`.

    Attributes:
        waves: wave name (``pwave``, ``qrs``, ``twave``, ``uwave``) -> :class:`WaveMarks`; every
            name of :data:`WAVE_OF_SYMBOL` is present (possibly empty).
        missing: ``(wave name, chan, peak sample, "onset" | "offset")`` of each unannotated boundary.
        stray: sample indices of brackets that belong to no wave.
    """

    waves: dict[str, WaveMarks]
    missing: list[tuple[str, int, int, str]]
    stray: list[int]


def parse_wave_marks(
    samples: npt.NDArray[np.int64],
    symbols: list[str],
    chans: npt.NDArray[np.int64] | None = None,
) -> ParsedWaves:
    """Group delineation annotations into waves (see the module doc for the rule).

    Args:
        samples: annotation sample indices, int (n,).
        symbols: annotation symbols, same length.
        chans: signal number of each annotation (n,); all 0 when ``None``. Each signal is
            parsed on its own.

    Returns:
        :class:`ParsedWaves`. A wave at the very start (end) whose onset (offset) lies before
        (after) the annotated span is reported in ``missing`` like any other.

    Raises:
        ValueError: the lengths of ``samples``, ``symbols`` and ``chans`` differ.
    """
    samples = np.asarray(samples, dtype=np.int64)
    ch = np.zeros(samples.size, dtype=np.int64) if chans is None else np.asarray(chans, np.int64)
    if not samples.size == len(symbols) == ch.size:
        raise ValueError(
            f"samples ({samples.size}), symbols ({len(symbols)}) and chans ({ch.size}) "
            "must have the same length"
        )
    rows: dict[str, list[tuple[int, int, int, int, str]]] = {n: [] for n in WAVE_OF_SYMBOL.values()}
    missing: list[tuple[str, int, int, str]] = []
    stray: list[int] = []
    for c in np.unique(ch).tolist():
        idx = np.flatnonzero(ch == c)
        idx = idx[np.argsort(samples[idx], kind="stable")]
        s = samples[idx].tolist()
        sym = [symbols[k] for k in idx.tolist()]
        # runs of peaks of one wave: (wave, first index, last index)
        runs: list[tuple[str, int, int]] = []
        for k, x in enumerate(sym):
            name = wave_of_symbol(x)
            if name is None:
                continue
            if runs and runs[-1][0] == name and runs[-1][2] == k - 1:
                runs[-1] = (name, runs[-1][1], k)
            else:
                runs.append((name, k, k))
        onsets = [MISSING] * len(runs)
        offsets = [MISSING] * len(runs)
        for j in range(len(runs) + 1):
            # the brackets between run j - 1 and run j
            lo = runs[j - 1][2] + 1 if j > 0 else 0
            hi = runs[j][1] if j < len(runs) else len(sym)
            gap = [k for k in range(lo, hi) if sym[k] in "()"]
            closes = [k for k in gap if sym[k] == ")"]
            split = closes[-1] if closes else -1
            if closes:
                if j > 0:
                    offsets[j - 1] = s[split]
                else:
                    stray.append(s[split])
            opens = [k for k in gap if sym[k] == "(" and k > split]
            if opens:
                if j < len(runs):
                    onsets[j] = s[opens[0]]
                    stray += [s[k] for k in opens[1:]]
                else:
                    stray += [s[k] for k in opens]
            stray += [s[k] for k in gap if k < split]
        for j, (name, first, _) in enumerate(runs):
            peak = s[first]
            rows[name].append((onsets[j], peak, offsets[j], int(c), sym[first]))
            if onsets[j] == MISSING:
                missing.append((name, int(c), peak, "onset"))
            if offsets[j] == MISSING:
                missing.append((name, int(c), peak, "offset"))
    waves: dict[str, WaveMarks] = {}
    for name, items in rows.items():
        items.sort(key=lambda r: (r[1], r[3]))
        waves[name] = WaveMarks(
            onset=np.array([r[0] for r in items], dtype=np.int64),
            peak=np.array([r[1] for r in items], dtype=np.int64),
            offset=np.array([r[2] for r in items], dtype=np.int64),
            chan=np.array([r[3] for r in items], dtype=np.int64),
            symbol=tuple(r[4] for r in items),
        )
    return ParsedWaves(waves=waves, missing=missing, stray=sorted(stray))
