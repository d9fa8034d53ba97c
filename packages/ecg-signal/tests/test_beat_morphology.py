"""Beat-morphology features against hand-derived values on synthetic beat trains (Gaussian
waves at known places, R-peaks given)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from ecg_signal.beat_morphology import BEAT_FEATURES, beat_features

FS = 500.0


def _gauss(t: np.ndarray, at: float, sd: float) -> np.ndarray:
    return np.exp(-0.5 * ((t - at) / sd) ** 2)


def _train(
    n: int = 19, p_amp: float = 0.15, r_amps: list[float] | None = None, ectopic_every: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A 20-s record at FS with beats at 1, 2, ... 19 s: P (at -0.2 s, sd 20 ms), R (sd 20 ms),
    T (0.3 at +0.25 s, sd 40 ms); every ``ectopic_every``-th beat a wide negative complex."""
    t = np.arange(int(20 * FS)) / FS
    x = np.zeros_like(t)
    for i in range(n):
        at = 1.0 + i
        amp = 1.0 if r_amps is None else r_amps[i % len(r_amps)]
        if ectopic_every and i % ectopic_every == ectopic_every - 1:
            x -= 0.8 * _gauss(t, at + 0.05, 0.06)
            continue
        x += p_amp * _gauss(t, at - 0.2, 0.02) + amp * _gauss(t, at, 0.02)
        x += 0.3 * _gauss(t, at + 0.25, 0.04)
    return x, np.round((1.0 + np.arange(n)) * FS).astype(np.int64)


def _named(v: np.ndarray) -> dict[str, float]:
    return dict(zip(BEAT_FEATURES, v.tolist(), strict=True))


def test_identical_beats() -> None:
    x, peaks = _train()
    f = _named(beat_features(x, FS, peaks))
    assert f["beat_corr_mean"] > 0.999 and f["beat_corr_p10"] > 0.999
    assert f["beat_corr_low"] == 0.0
    assert f["beat_resid"] < 1e-3
    assert f["r_amp_cv"] < 0.01  # the band-pass's transients at the record's ends
    # QRS width of a Gaussian of sd s: |slope| is u exp((1 - u^2) / 2) of its maximum at
    # u = t / s; it exceeds 20 % of it out to u0 on both sides
    u0 = brentq(lambda u: u * np.exp((1 - u * u) / 2) - 0.2, 1.0, 5.0)
    assert f["qrs_width"] == pytest.approx(2 * u0 * 0.02, abs=3 / FS)
    # P and T amplitudes relative to R (the 0.5-40 Hz band-pass keeps these slow waves)
    assert f["p_amp"] == pytest.approx(0.15, rel=0.1)
    assert f["t_amp"] == pytest.approx(0.3, rel=0.1)
    assert f["p_corr"] > 0.99


def test_no_p_wave_and_amplitude_spread() -> None:
    noise = np.random.default_rng(0).normal(0, 0.02, 20 * int(FS))
    x, peaks = _train(p_amp=0.0, r_amps=[1.0, 0.8])
    f = _named(beat_features(x + noise, FS, peaks))
    with_p = _named(beat_features(_train(r_amps=[1.0, 0.8])[0] + noise, FS, peaks))
    assert f["p_amp"] < 0.03 and with_p["p_amp"] == pytest.approx(0.15, rel=0.1)
    assert f["p_corr"] < 0.5 < 0.95 < with_p["p_corr"]  # without P: noise, unlike each other
    # |R| alternates 1.0 and 0.8 (10 and 9 beats): CV = std / mean of that set
    r = np.array([1.0, 0.8] * 9 + [1.0])
    assert f["r_amp_cv"] == pytest.approx(r.std() / r.mean(), rel=0.05)


def test_ectopic_beats_are_unlike_the_template() -> None:
    x, peaks = _train(n=16, ectopic_every=4)  # beats 4, 8, 12, 16: a quarter
    f = _named(beat_features(x, FS, peaks))
    assert f["beat_corr_low"] == pytest.approx(0.25)
    assert f["beat_corr_p10"] < 0.5 < f["beat_corr_mean"] < 0.9


def test_qrs_band_power_of_sines() -> None:
    t = np.arange(int(20 * FS)) / FS
    in_band = _named(beat_features(np.sin(2 * np.pi * 10 * t), FS, np.array([], dtype=np.int64)))
    out_band = _named(beat_features(np.sin(2 * np.pi * 30 * t), FS, np.array([], dtype=np.int64)))
    assert in_band["qrs_band_power"] == pytest.approx(1.0, abs=0.01)
    assert out_band["qrs_band_power"] == pytest.approx(0.0, abs=0.01)
    # without whole beats only the band power is set
    assert all(v == 0 for k, v in in_band.items() if k != "qrs_band_power")


def test_detected_peaks_and_short_or_bad_records() -> None:
    x, peaks = _train()
    np.testing.assert_allclose(beat_features(x, FS), beat_features(x, FS, peaks), atol=0.02)
    # two whole beats are fewer than MIN_BEATS (beats too close to the ends are dropped)
    few = _named(beat_features(x, FS, np.array([50, 1000, 2000, 9990])))
    assert few["beat_corr_mean"] == 0 and few["qrs_width"] == 0
    with pytest.raises(ValueError, match="finite 1-D"):
        beat_features(np.full(100, np.nan), FS)
    with pytest.raises(
        ValueError, match=r"fs must be a finite sampling rate in \[81, 100000\] Hz, got 50.0"
    ):
        beat_features(x, 50.0)
    with pytest.raises(ValueError, match="integer sample indices"):
        beat_features(x, FS, np.array([1000.0, 2000.0]))
