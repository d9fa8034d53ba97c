"""Delineation features against hand-derived values on a hand-built delineation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecg_signal.wave_intervals import WAVE_FEATURES, wave_features


def _waves(qrs_on: list[int], qrs_off: list[int], p: list[tuple[int, int]], t_off: list[int]):
    arr = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
    return {
        "qrs": {"onset": arr(qrs_on), "offset": arr(qrs_off)},
        "p": {"onset": arr([a for a, _ in p]), "offset": arr([b for _, b in p])},
        "t": {"onset": arr(t_off) - 10, "offset": arr(t_off)},
    }


def test_hand_built_delineation() -> None:
    # 100 Hz; QRS onsets 1 s apart, durations 10, 10, 12, 14 samples
    on = [100, 200, 300, 400]
    off = [109, 209, 311, 413]
    # P waves: PR 0.16, 0.18, 0.20 s (durations 8, 8, 10 samples); a P 0.45 s before the last QRS
    # (too early to be its own, MAX_PR_S = 0.4) and one inside the previous QRS (not after its
    # offset) are left out, so the last QRS has no P wave
    p = [(84, 91), (182, 189), (280, 289), (305, 310), (355, 362)]
    # T offsets: QT 0.40 / 0.42 / 0.38 s for the first three; the last one's T at 0.30 s
    t_off = [140, 242, 338, 430]
    got = dict(
        zip(WAVE_FEATURES, wave_features(_waves(on, off, p, t_off), 100.0, 500), strict=True)
    )
    assert got["p_frac"] == pytest.approx(3 / 4)
    assert got["pr_median"] == pytest.approx(0.18)
    assert got["pr_iqr"] == pytest.approx(0.19 - 0.17)  # linear percentiles of 0.16, 0.18, 0.20
    assert got["p_dur_median"] == pytest.approx(0.08)
    assert got["qrs_dur_median"] == pytest.approx(0.11)
    assert got["qrs_dur_p90"] == pytest.approx(0.12 + 0.7 * 0.02)  # rank 0.9 * 3 = 2.7
    assert got["t_frac"] == 1.0
    assert got["qt_median"] == pytest.approx(0.40)  # of 0.40, 0.42, 0.38 (the last has no RR)
    assert got["qt_rr"] == pytest.approx(0.40 / math.sqrt(1.0))


def test_qt_over_root_rr_and_missing_waves() -> None:
    # RR 0.64 s then 1.0 s; no P wave; T only after the first QRS
    waves = _waves([0, 64, 164], [8, 72, 172], [], [40])
    got = dict(zip(WAVE_FEATURES, wave_features(waves, 100.0, 200), strict=True))
    assert got["p_frac"] == 0 and got["pr_median"] == 0 and got["p_dur_median"] == 0
    assert got["t_frac"] == pytest.approx(1 / 3)
    assert got["qt_median"] == pytest.approx(0.40)
    assert got["qt_rr"] == pytest.approx(0.40 / 0.8)  # sqrt(0.64 s)
    # a T offset after the next QRS onset is not this QRS's T wave
    late = _waves([0, 64], [8, 72], [], [80])  # the second QRS's T only
    assert dict(zip(WAVE_FEATURES, wave_features(late, 100.0, 200), strict=True))["t_frac"] == 0.5


def test_fewer_than_two_qrs_and_bad_input() -> None:
    np.testing.assert_array_equal(
        wave_features(_waves([10], [18], [(0, 5)], [40]), 100.0, 100), np.zeros(len(WAVE_FEATURES))
    )
    with pytest.raises(ValueError, match="must map 'p', 'qrs', 't'"):
        wave_features({"qrs": {"onset": [1, 2], "offset": [3, 4]}}, 100.0, 10)
    bad = _waves([0, 64], [8, 72], [], [40])
    bad["qrs"]["onset"] = np.array([0.5, 64.0])
    with pytest.raises(ValueError, match="integer sample indices"):
        wave_features(bad, 100.0, 200)
    with pytest.raises(
        ValueError, match=r"fs must be a finite sampling rate in \[1, 100000\] Hz, got 0.0"
    ):
        wave_features(_waves([0, 64], [8, 72], [], [40]), 0.0, 200)
