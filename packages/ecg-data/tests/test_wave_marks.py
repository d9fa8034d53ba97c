"""parse_wave_marks on hand-written annotation sequences, including the irregular patterns of the
real LUDB and QTDB files (missing onsets, stray brackets, nested brackets, biphasic T waves)."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_data.readers.wave_marks import MISSING, parse_wave_marks, wave_of_symbol


def _parse(seq: list[tuple[int, str]], chans: list[int] | None = None):  # type: ignore[no-untyped-def]
    samples = np.array([s for s, _ in seq], dtype=np.int64)
    symbols = [y for _, y in seq]
    return parse_wave_marks(samples, symbols, None if chans is None else np.array(chans))


def _triplets(parsed, name: str) -> list[tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    w = parsed.waves[name]
    return list(zip(w.onset.tolist(), w.peak.tolist(), w.offset.tolist(), strict=True))


def test_regular_triplets() -> None:
    p = _parse(
        [(10, "("), (20, "p"), (30, ")"), (40, "("), (50, "N"), (60, ")"), (90, "t"), (99, ")")]
    )
    assert _triplets(p, "pwave") == [(10, 20, 30)]
    assert _triplets(p, "qrs") == [(40, 50, 60)]
    assert _triplets(p, "twave") == [(MISSING, 90, 99)]  # QTDB: T onset not annotated
    assert p.missing == [("twave", 0, 90, "onset")] and p.stray == []


def test_missing_onset_and_stray_pair_after_the_peak() -> None:
    # LUDB record 111 lead ii: N at 3920, then "(" at 3921 and ")" at 3993, then "(t)"
    p = _parse([(3920, "N"), (3921, "("), (3993, ")"), (4063, "("), (4098, "t"), (4140, ")")])
    assert _triplets(p, "qrs") == [(MISSING, 3920, 3993)]
    assert _triplets(p, "twave") == [(4063, 4098, 4140)]
    assert p.missing == [("qrs", 0, 3920, "onset")] and p.stray == [3921]


def test_nested_brackets_and_repeated_peaks_make_one_wave() -> None:
    # LUDB record 116 lead v1: "((( ttt )))" -> one T wave spanning the outermost brackets
    seq = [(368, "("), (388, "("), (392, "("), (418, "t"), (419, "t"), (424, "t")]
    seq += [(450, ")"), (455, ")"), (470, ")"), (524, "("), (550, "p"), (576, ")")]
    p = _parse(seq)
    assert _triplets(p, "twave") == [(368, 418, 470)]
    assert _triplets(p, "pwave") == [(524, 550, 576)]
    assert p.stray == [388, 392, 450, 455] and p.missing == []


def test_edges_channels_and_beat_symbols() -> None:
    # an offset before the first peak and an onset after the last one belong to no wave
    p = _parse([(5, ")"), (10, "("), (20, "V"), (30, ")"), (40, "(")])
    assert _triplets(p, "qrs") == [(10, 20, 30)] and p.waves["qrs"].symbol == ("V",)
    assert p.stray == [5, 40]
    # two signals are parsed apart, the result is sorted by peak
    p = _parse(
        [(10, "("), (11, "("), (20, "N"), (22, "N"), (30, ")"), (31, ")")], [0, 1, 0, 1, 0, 1]
    )
    assert _triplets(p, "qrs") == [(10, 20, 30), (11, 22, 31)]
    assert p.waves["qrs"].chan.tolist() == [0, 1]
    assert p.waves["qrs"].on_chan(1).peak.tolist() == [22]
    assert wave_of_symbol("u") == "uwave" and wave_of_symbol("(") is None
    assert wave_of_symbol("B") == "qrs"
    with pytest.raises(ValueError, match="same length"):
        parse_wave_marks(np.array([1, 2]), ["N"])
