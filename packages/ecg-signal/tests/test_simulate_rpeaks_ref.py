"""Reference check: simulate_ecg's true R peaks equal scipy.signal.find_peaks on a clean lead."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from ecg_signal.simulate import simulate_ecg


def _reference_peaks(x: np.ndarray, fs: float) -> np.ndarray:
    peaks, _ = signal.find_peaks(x, distance=max(1, round(0.3 * fs)), height=0.5 * float(x.max()))
    return np.asarray(peaks, dtype=np.int64)


@pytest.mark.parametrize("fs", [250.0, 360.0, 500.0])
@pytest.mark.parametrize(("hr", "hrv"), [(50.0, 2.0), (60.0, 1.0), (90.0, 5.0), (150.0, 3.0)])
def test_r_peak_equals_find_peaks_single_lead(fs: float, hr: float, hrv: float) -> None:
    sim = simulate_ecg(30.0, fs, n_leads=1, heart_rate=hr, hrv_std=hrv, seed=int(fs + hr))
    x = sim.signal[0]
    ref = _reference_peaks(x, fs)
    # keep the reference peaks of the complete beats (those the simulator reports)
    inside = ref[(ref >= sim.p_onset[0]) & (ref <= sim.t_offset[-1])]
    np.testing.assert_array_equal(inside, sim.r_peak)
    # and the simulator misses no beat: at most one partial beat at each end is not reported
    assert len(ref) - len(inside) <= 2


def test_r_peak_equals_find_peaks_in_lead_ii_of_12_leads() -> None:
    sim = simulate_ecg(20.0, 500.0, n_leads=12, heart_rate=72.0, hrv_std=3.0, seed=123)
    x = sim.lead("II")
    ref = _reference_peaks(x, sim.fs)
    inside = ref[(ref >= sim.p_onset[0]) & (ref <= sim.t_offset[-1])]
    np.testing.assert_array_equal(inside, sim.r_peak)


def test_find_peaks_disagrees_when_peaks_are_shifted() -> None:
    """The comparison above can fail: a one-sample shift is detected."""
    sim = simulate_ecg(10.0, 500.0, seed=0)
    ref = _reference_peaks(sim.signal[0], sim.fs)
    inside = ref[(ref >= sim.p_onset[0]) & (ref <= sim.t_offset[-1])]
    assert not np.array_equal(inside, sim.r_peak + 1)
