"""Impulse-artefact repair (ecg_signal.preprocess.spikes) against hand-derived inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_signal.preprocess import remove_spikes, spike_mask
from ecg_signal.simulate import simulate_ecg

N = 1000


def _slow() -> np.ndarray:
    """A slow sine (period 100 samples, amplitude 1): every step is below 0.07."""
    return np.sin(2 * np.pi * np.arange(N) / 100)


def _spiky() -> tuple[np.ndarray, list[int]]:
    x = _slow()
    x[200] += 50.0  # one sample up
    x[500:502] -= 40.0  # two samples down
    x[800:803] += 30.0  # three samples up
    return x, [200, 500, 501, 800, 801, 802]


def test_mask_flags_exactly_the_runs() -> None:
    x, where = _spiky()
    assert np.flatnonzero(spike_mask(x)).tolist() == where


def test_repair_is_the_line_between_the_neighbours() -> None:
    x, _ = _spiky()
    clean = _slow()
    y = remove_spikes(x)
    # untouched elsewhere, bit for bit
    keep = np.ones(N, dtype=bool)
    keep[[200, 500, 501, 800, 801, 802]] = False
    np.testing.assert_array_equal(y[keep], x[keep])
    assert y[200] == pytest.approx((clean[199] + clean[201]) / 2, abs=1e-12)
    a, b = clean[499], clean[502]
    np.testing.assert_allclose(y[500:502], [a + (b - a) / 3, a + 2 * (b - a) / 3], atol=1e-12)
    a, b = clean[799], clean[803]
    np.testing.assert_allclose(y[800:803], a + (b - a) * np.arange(1, 4) / 4, atol=1e-12)
    assert x[200] > 49  # the input is not modified
    assert y.dtype == np.float64


def test_bipolar_spike_both_halves() -> None:
    x = _slow()
    x[300] += 60.0
    x[301] -= 60.0
    assert np.flatnonzero(spike_mask(x)).tolist() == [300, 301]
    y = remove_spikes(x)
    assert np.abs(y[299:303] - _slow()[299:303]).max() < 0.01


def test_wider_runs_steps_and_edges_are_not_spikes() -> None:
    x = _slow()
    x[400:404] += 30.0  # four samples: wider than max_width=3
    x[600:] += 25.0  # a step: it does not come back
    x[0] += 50.0  # the first sample has one neighbour only
    x[-1] -= 50.0
    assert not spike_mask(x).any()
    assert np.flatnonzero(spike_mask(x, max_width=4)).tolist() == [400, 401, 402, 403]


def test_threshold_k_times_the_percentile_of_steps() -> None:
    x = _slow()
    scale = np.percentile(np.abs(np.diff(x)), 99.0, method="lower")
    x[100] += 21 * scale + np.max(x[[99, 101]]) - x[100]  # 21 x scale above both neighbours
    x[700] -= 19 * scale + x[700] - np.min(x[[699, 701]])  # 19 x scale below both
    # both moved samples add two steps each: the percentile of 999 steps is unchanged
    assert np.percentile(np.abs(np.diff(x)), 99.0, method="lower") == scale
    assert np.flatnonzero(spike_mask(x, k=20.0)).tolist() == [100]
    assert np.flatnonzero(spike_mask(x, k=18.0)).tolist() == [100, 700]


def test_units_free() -> None:
    x, where = _spiky()
    for gain in (1e-3, 1.0, 1e4):
        assert np.flatnonzero(spike_mask(x * gain + 7.0)).tolist() == where


@pytest.mark.parametrize("fs", [100.0, 250.0, 500.0])
def test_synthetic_ecg_has_no_spike(fs: float) -> None:
    sim = simulate_ecg(20.0, fs, heart_rate=150.0, noise_std=0.01, seed=3)
    assert not spike_mask(sim.signal).any()


def test_shapes_rows_independent() -> None:
    x, where = _spiky()
    batch = np.stack([np.stack([x, _slow(), -x]), np.stack([_slow(), x, _slow()])])
    m = spike_mask(batch)
    assert m.shape == batch.shape
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(m[i, j], spike_mask(batch[i, j]))
    assert np.flatnonzero(m[0, 2]).tolist() == where
    np.testing.assert_array_equal(remove_spikes(batch)[1, 1], remove_spikes(x))


def test_nan_and_inf() -> None:
    x, _ = _spiky()
    x[199] = np.nan  # next to the one-sample spike: not a spike any more
    x[50] = np.inf  # never flagged, kept
    m = spike_mask(x)
    assert np.flatnonzero(m).tolist() == [500, 501, 800, 801, 802]
    y = remove_spikes(x)
    assert np.isnan(y[199]) and np.isposinf(y[50]) and y[200] == x[200]
    assert np.isfinite(y[500:502]).all() and np.abs(y[500:502]).max() < 1.5
    assert not spike_mask(np.full(N, np.nan)).any()


def test_constant_and_short_rows() -> None:
    x = np.zeros(N)
    x[500] = 1.0  # 2 non-zero steps of 999: the scale (99th percentile) is 0
    assert not spike_mask(x).any()
    assert not spike_mask(np.array([0.0, 9.0])).any()
    assert spike_mask(np.zeros((2, 0))).shape == (2, 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_width": 0}, "max_width"),
        ({"max_width": 2.0}, "max_width"),
        ({"max_width": True}, "max_width"),
        ({"k": 0.0}, "k must"),
        ({"k": float("nan")}, "k must"),
        ({"q": 100.0}, "q must"),
        ({"q": 0}, "q must"),
    ],
)
def test_bad_parameters(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        spike_mask(_slow(), **kwargs)  # type: ignore[arg-type]


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="0-D"):
        spike_mask(np.float64(3.0))
    with pytest.raises(TypeError, match="numbers"):
        remove_spikes(np.array(["a", "b", "c"]))
    with pytest.raises(TypeError, match="real"):
        spike_mask(np.ones(10, dtype=complex))


@pytest.mark.data
def test_cpsc2019_rail_spikes(sample_data: Path) -> None:
    """The only CPSC2019 records with one-sample jumps to the ADC rail (32.75 mV) are
    data_00224 (12 spikes) and data_00949 (1): exactly those samples are flagged."""
    io = pytest.importorskip("scipy.io")
    files = sorted((sample_data / "cpsc2019" / "data").glob("data_*.mat"))
    if not files:
        pytest.skip("no CPSC2019 records in the sample data")
    found = {}
    for f in files:
        x = np.asarray(io.loadmat(f)["ecg"], dtype=np.float64).ravel()
        m = spike_mask(x)
        if m.any():
            found[f.stem] = m.sum()
            assert np.all(np.abs(x[m]) > 32.0)
    assert found == {"data_00224": 12, "data_00949": 1}
