"""RR-interval features against hand-derived values on synthetic RR series and spike trains."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecg_signal.rr_intervals import (
    RR_FEATURES,
    SAMPEN_MAX,
    _sample_entropy,
    rr_features,
    rr_statistics,
)


def _named(v: np.ndarray) -> dict[str, float]:
    return dict(zip(RR_FEATURES, v.tolist(), strict=True))


def test_rr_statistics_by_hand() -> None:
    # RR = 1.0, 0.8, 1.2, 1.0, 0.6 s; successive differences -0.2, 0.4, -0.2, -0.4
    f = _named(rr_statistics([0.0, 1.0, 1.8, 3.0, 4.0, 4.6], 5.0))
    want = {
        "hr": 60.0,  # median RR 1.0 s
        "rr_mean": 0.92,
        "rr_median": 1.0,
        "rr_cv": math.sqrt(0.208 / 5) / 0.92,
        "rmssd_n": math.sqrt(0.1) / 0.92,
        "madsd_n": 0.3,
        "pnn_rel": 1.0,  # every |d| > 0.1 s
        "rr_range_n": 1.12 - 0.68,  # linear percentiles of 0.6, 0.8, 1.0, 1.0, 1.2
        "rr_min_n": 0.6,
        "rr_max_n": 1.2,
        "sd1_sd2": (0.3 / math.sqrt(2)) / (math.sqrt(0.05) / math.sqrt(2)),
        "sampen": SAMPEN_MAX,  # the one close length-1 pair (RR 1 and 4) does not extend
        "tpr": 2 / 3,  # 0.8 and 1.2 are turning points, the interior 1.0 is not
        "beats_per_s": 6 / 5.0,
        "duration": 5.0,
    }
    for k, v in want.items():
        assert f[k] == pytest.approx(v, abs=1e-12), k


def test_sample_entropy_by_hand() -> None:
    # length-1 matches (0,2) (0,4) (2,4) (1,3): B = 4; extended: (0,2) and (1,3): A = 2
    assert _sample_entropy(np.array([0.0, 1, 0, 1, 0, 0]), 0.2) == pytest.approx(math.log(2))
    assert _sample_entropy(np.array([0.0, 1, 0, 1, 0, 1]), 0.2) == pytest.approx(0.0)
    assert _sample_entropy(np.array([0.0, 1.0]), 0.2) == SAMPEN_MAX


def test_too_few_beats_give_neutral_values() -> None:
    f = _named(rr_statistics([0.5, 1.5, 2.5], 10.0))
    assert f["hr"] == 0 and f["rr_cv"] == 0 and f["sampen"] == SAMPEN_MAX
    assert f["beats_per_s"] == pytest.approx(0.3) and f["duration"] == 10.0
    with pytest.raises(ValueError, match="strictly increasing"):
        rr_statistics([1.0, 0.5], 3.0)
    with pytest.raises(ValueError, match="duration_s"):
        rr_statistics([0.5], 0.0)


def _spikes(times: np.ndarray, fs: float, n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.02, n)
    for t in times:
        i = int(round(t * fs))
        x[i - 3 : i + 4] += np.hanning(7)
    return x


def test_rr_features_of_a_regular_and_an_irregular_record() -> None:
    fs, n = 300.0, 9000
    regular = _named(rr_features(_spikes(np.arange(0.5, 29.6, 0.8), fs, n), fs))
    assert regular["hr"] == pytest.approx(75.0, abs=1.0)
    assert regular["rr_cv"] < 0.02 and regular["pnn_rel"] == 0.0
    rr = np.random.default_rng(1).uniform(0.4, 1.2, 60)
    times = 0.5 + np.concatenate([[0.0], np.cumsum(rr)])
    irregular = _named(rr_features(_spikes(times[times < 29.5], fs, n), fs))
    assert irregular["rr_cv"] > 0.2 and irregular["pnn_rel"] > 0.5
    flat = _named(rr_features(np.zeros(3000), fs))
    assert flat["hr"] == 0 and flat["beats_per_s"] == 0
