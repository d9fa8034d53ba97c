"""Numpy preprocessors against scipy references and hand-derived values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import ndimage, signal

from ecg_signal.preprocess import functional as npf

RNG = np.random.default_rng(1234)
SHAPES = [(2000,), (3, 2000), (2, 3, 2000)]


def _sig(shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------ filter design
def test_butter_sos_equals_scipy() -> None:
    ref = signal.butter(4, [0.5, 45.0], btype="bandpass", fs=500, output="sos")
    np.testing.assert_array_equal(npf.butter_sos(0.5, 45.0, 500, 4), ref)
    hp = signal.butter(3, 1.0, btype="highpass", fs=250, output="sos")
    np.testing.assert_array_equal(npf.butter_sos(1.0, None, 250, 3), hp)
    lp = signal.butter(5, 40.0, btype="lowpass", fs=250, output="sos")
    np.testing.assert_array_equal(npf.butter_sos(None, 40.0, 250, 5), lp)


def test_padlen_matches_scipy_rule() -> None:
    sos = npf.butter_sos(0.5, 45.0, 500, 4)  # 4 sections, no zero b2/a2
    assert npf.sosfiltfilt_padlen(sos) == 3 * (2 * 4 + 1)
    lp1 = npf.butter_sos(None, 40.0, 500, 1)  # first order: b2 == a2 == 0
    assert npf.sosfiltfilt_padlen(lp1) == 3 * (2 * 1 + 1 - 1)
    # scipy refuses exactly this length and accepts one more
    x = np.ones(npf.sosfiltfilt_padlen(sos))
    with pytest.raises(ValueError, match="padlen"):
        signal.sosfiltfilt(sos, x)
    signal.sosfiltfilt(sos, np.ones(x.size + 1))


@pytest.mark.parametrize(
    ("fs", "target", "expected"),
    [(200, 500, (5, 2)), (360, 500, (25, 18)), (500, 100, (1, 5)), (250, 250, (1, 1))],
)
def test_resample_ratio(fs: float, target: float, expected: tuple[int, int]) -> None:
    assert npf.resample_ratio(fs, target) == expected


def test_median_windows_like_torch_ecg() -> None:
    # 2 * (int(w * fs) // 2) + 1
    assert npf.median_windows(500, (0.2, 0.6)) == (101, 301)
    assert npf.median_windows(360, (0.2, 0.6)) == (73, 217)


# ------------------------------------------------------------------ references
@pytest.mark.parametrize("shape", SHAPES)
def test_bandpass_equals_sosfiltfilt(shape: tuple[int, ...]) -> None:
    x = _sig(shape)
    sos = signal.butter(4, [0.5, 45.0], btype="bandpass", fs=500, output="sos")
    np.testing.assert_allclose(npf.bandpass(x, 500), signal.sosfiltfilt(sos, x, axis=-1), atol=0)


def test_bandpass_lowpass_highpass_orders() -> None:
    x = _sig((2, 3000))
    for lo, hi, order, btype in [(None, 30.0, 6, "lowpass"), (1.0, None, 2, "highpass")]:
        edge = hi if lo is None else lo
        sos = signal.butter(order, edge, btype=btype, fs=360, output="sos")
        np.testing.assert_allclose(
            npf.bandpass(x, 360, lo, hi, order), signal.sosfiltfilt(sos, x), rtol=0, atol=0
        )


def test_bandpass_zero_phase_gain_is_squared_magnitude() -> None:
    # forward-backward filtering: a steady sinusoid is scaled by |H(f)|^2, with no phase shift
    fs = 500
    t = np.arange(30 * fs) / fs
    s10, s100 = np.sin(2 * np.pi * 10 * t), np.sin(2 * np.pi * 100 * t)
    y = npf.bandpass(s10 + s100 + 2.0, fs)
    _, h = signal.sosfreqz(npf.butter_sos(0.5, 45.0, fs, 4), worN=[10.0, 100.0], fs=fs)
    g10, g100 = np.abs(h) ** 2
    assert g100 < 1e-3 < 0.999 < g10
    mid = slice(7000, 8000)  # far from the slow 0.5 Hz high-pass edge transients
    np.testing.assert_allclose(y[mid], (g10 * s10 + g100 * s100)[mid], atol=2e-4)


def test_bandpass_keeps_float32() -> None:
    x = _sig((3, 2000), np.float32)
    y = npf.bandpass(x, 500)
    assert y.dtype == np.float32
    sos = npf.butter_sos(0.5, 45.0, 500, 4)
    np.testing.assert_allclose(y, signal.sosfiltfilt(sos, x), rtol=1e-5, atol=1e-5)


def test_notch_equals_filtfilt_iirnotch() -> None:
    fs = 500
    x = _sig((3, 3000))
    b, a = signal.iirnotch(50.0, 30.0, fs=fs)
    ref = signal.filtfilt(b, a, x)
    np.testing.assert_allclose(npf.notch(x, fs, 50.0), ref, atol=1e-10)
    t = np.arange(5000) / fs
    hum = np.sin(2 * np.pi * 60 * t)
    out = npf.notch(hum, fs, 60.0)
    assert np.abs(out[1000:4000]).max() < 0.02


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("fs", "target"), [(200, 500), (500, 100), (360, 500)])
def test_resample_equals_resample_poly(shape: tuple[int, ...], fs: int, target: int) -> None:
    x = _sig(shape)
    up, down = npf.resample_ratio(fs, target)
    ref = signal.resample_poly(x, up, down, axis=-1)
    y = npf.resample(x, fs, target)
    assert y.shape == shape[:-1] + (int(np.ceil(shape[-1] * up / down)),)
    np.testing.assert_array_equal(y, ref)


def test_resample_filter_matches_scipy_window_argument() -> None:
    # with the window given explicitly, resample_poly must give the same result as the default
    h, _ = npf.resample_filter(5, 2)
    half_len = 10 * 5
    assert h.shape[0] == 2 * half_len + 1 + (2 - half_len % 2)
    x = _sig((1000,))
    taps = signal.firwin(2 * half_len + 1, 1 / 5, window=("kaiser", 5.0))
    ref = signal.resample_poly(x, 5, 2, window=taps)
    np.testing.assert_allclose(npf.resample(x, 200, 500), ref, rtol=1e-12, atol=1e-12)


def test_resample_identity_copies() -> None:
    x = _sig((2, 100))
    y = npf.resample(x, 250, 250)
    np.testing.assert_array_equal(x, y)
    assert not np.shares_memory(x, y)


@pytest.mark.parametrize("window", [1, 5, 101])
def test_median_filter_zeros_equals_medfilt(window: int) -> None:
    x = _sig((3, 500))
    ref = np.stack([signal.medfilt(row, window) for row in x])
    np.testing.assert_array_equal(npf.median_filter(x, window, "zeros"), ref)


def test_median_filter_nearest_equals_ndimage_per_lead() -> None:
    x = _sig((2, 3, 400))
    y = npf.median_filter(x, 31, "nearest")
    for i in range(2):
        for j in range(3):
            ref = ndimage.median_filter(x[i, j], size=31, mode="nearest")
            np.testing.assert_array_equal(y[i, j], ref)


def test_baseline_remove_hand_derived() -> None:
    fs = 100
    x = _sig((2, 1000))
    w1, w2 = npf.median_windows(fs, (0.2, 0.6))
    base = np.stack(
        [
            ndimage.median_filter(
                ndimage.median_filter(r, size=w1, mode="nearest"), size=w2, mode="nearest"
            )
            for r in x
        ]
    )
    np.testing.assert_array_equal(npf.baseline_remove(x, fs), x - base)
    # a slow ramp plus narrow spikes: the ramp is removed
    t = np.arange(2000) / fs
    ramp = 0.5 * t
    spikes = np.zeros_like(t)
    spikes[::80] = 1.0
    y = npf.baseline_remove(ramp + spikes, fs)
    # the running median of a ramp with sparse spikes lags by at most one sample (0.005)
    np.testing.assert_allclose(y[100:-100], spikes[100:-100], atol=0.0051)
    assert np.abs(ramp + spikes - spikes)[100:-100].max() > 1.0


@pytest.mark.parametrize("shape", SHAPES)
def test_detrend_linear_equals_scipy(shape: tuple[int, ...]) -> None:
    x = _sig(shape) + np.linspace(0, 5, shape[-1])
    np.testing.assert_allclose(npf.detrend_polynomial(x, 1), signal.detrend(x, axis=-1), atol=1e-10)
    np.testing.assert_allclose(
        npf.detrend_polynomial(x, 0), x - x.mean(axis=-1, keepdims=True), atol=1e-10
    )


def test_detrend_cubic_equals_polyfit() -> None:
    n = 800
    t = np.arange(n, dtype=np.float64)
    x = _sig((n,)) + 1e-6 * (t - 300) ** 3
    coef = np.polyfit(t, x, 3)
    np.testing.assert_allclose(npf.detrend_polynomial(x, 3), x - np.polyval(coef, t), atol=1e-8)


@pytest.mark.parametrize("shape", SHAPES)
def test_normalize_zscore(shape: tuple[int, ...]) -> None:
    x = _sig(shape) * 3 + 7
    y = npf.normalize(x)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=-1), 1, atol=1e-12)
    ref = (x - x.mean(-1, keepdims=True)) / x.std(-1, keepdims=True)
    np.testing.assert_allclose(y, ref, atol=1e-12)


def test_normalize_targets_global_minmax_naive() -> None:
    x = _sig((2, 3, 500)) * 2 + 1
    y = npf.normalize(x, "z-score", mean=[1.0, 2.0, 3.0], std=2.0)
    np.testing.assert_allclose(y.mean(-1), np.broadcast_to([1.0, 2.0, 3.0], (2, 3)), atol=1e-12)
    np.testing.assert_allclose(y.std(-1), 2.0, atol=1e-12)
    g = npf.normalize(x, per_lead=False)
    np.testing.assert_allclose(g.mean(axis=(-2, -1)), 0, atol=1e-12)
    np.testing.assert_allclose(g.std(axis=(-2, -1)), 1, atol=1e-12)
    m = npf.normalize(x, "min-max")
    np.testing.assert_allclose(m.min(-1), 0, atol=1e-12)
    np.testing.assert_allclose(m.max(-1), 1, atol=1e-12)
    n = npf.normalize(x, "naive", mean=1.0, std=2.0)
    np.testing.assert_allclose(n, (x - 1.0) / 2.0)
    const = npf.normalize(np.full((2, 50), 3.0))
    np.testing.assert_array_equal(const, 0.0)


def test_normalize_float32_kept() -> None:
    x = _sig((12, 3000), np.float32) * 0.1 + 5
    y = npf.normalize(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.std(-1, dtype=np.float64), 1, atol=1e-4)


def test_batch_equals_items() -> None:
    x = _sig((3, 2, 1500))
    for fn in (
        lambda s: npf.bandpass(s, 500),
        lambda s: npf.notch(s, 500),
        lambda s: npf.resample(s, 500, 200),
        lambda s: npf.baseline_remove(s, 100),
        lambda s: npf.normalize(s, per_lead=False),
        lambda s: npf.detrend_polynomial(s, 2),
    ):
        batch = fn(x)
        items = np.stack([fn(item) for item in x])
        np.testing.assert_allclose(batch, items, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ bad input
def test_bad_input_errors() -> None:
    x = _sig((2, 1000))
    bad = x.copy()
    bad[1, 7] = np.nan
    with pytest.raises(ValueError, match="finite"):
        npf.bandpass(bad, 500)
    bad[1, 7] = np.inf
    with pytest.raises(ValueError, match=r"index \(1, 7\)"):
        npf.normalize(bad)
    with pytest.raises(ValueError, match="4-D"):
        npf.resample(np.zeros((1, 2, 3, 100)), 200, 500)
    with pytest.raises(ValueError, match=r"fs must be a finite sampling rate in \[1, 100000\] Hz"):
        npf.bandpass(x, 0)
    with pytest.raises(ValueError, match="fs"):
        npf.resample(x, -5, 500)
    with pytest.raises(ValueError, match=r"highcut=300 Hz must be below fs/2 = 250 Hz"):
        npf.bandpass(x, 500, 0.5, 300)
    with pytest.raises(ValueError, match="fs/2 = 250 Hz"):
        npf.bandpass(x, 500, 250, None)
    with pytest.raises(ValueError, match="freq=60 Hz must be below fs/2 = 50 Hz"):
        npf.notch(x, 100, 60)
    with pytest.raises(ValueError, match=r"padlen=27 samples, got length 27 samples"):
        npf.bandpass(x[:, :27], 500)
    with pytest.raises(ValueError, match="method must be one of.*did you mean 'z-score'"):
        npf.normalize(x, "zscore")
    with pytest.raises(ValueError, match="std must be > 0"):
        npf.normalize(x, std=0.0)
    with pytest.raises(ValueError, match="mean has 3 values"):
        npf.normalize(x, mean=[0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="odd"):
        npf.median_filter(x, 4)
    with pytest.raises(ValueError, match=r"windows\[1\] must be finite and > 0 s"):
        npf.baseline_remove(x, 500, (0.2, -1.0))
    with pytest.raises(ValueError, match="up=.*down=.*at most 1000"):
        npf.resample(x, 1000.001, 500)
    tensor = torch.zeros(3, 10)
    with pytest.raises(TypeError, match="torch"):
        npf.normalize(tensor)
    with pytest.raises(ValueError, match="order must be a positive integer"):
        npf.bandpass(x, 500, order=0)


@pytest.mark.data
def test_real_record_bandpass_and_resample(sample_data: Path) -> None:
    wfdb = pytest.importorskip("wfdb")
    rec = wfdb.rdrecord(str(sample_data / "mitdb" / "100"), sampto=3600)
    x = np.asarray(rec.p_signal.T, dtype=np.float64)  # (2, 3600) at 360 Hz
    sos = signal.butter(4, [0.5, 45.0], btype="bandpass", fs=360, output="sos")
    np.testing.assert_array_equal(npf.bandpass(x, 360), signal.sosfiltfilt(sos, x))
    y = npf.resample(x, 360, 500)
    assert y.shape == (2, 5000)
    np.testing.assert_array_equal(y, signal.resample_poly(x, 25, 18, axis=-1))


def test_threaded_filters_are_bit_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    x = _sig((2, 3, 30000))  # large enough for the row-parallel path
    sos = signal.butter(4, [0.5, 45.0], btype="bandpass", fs=500, output="sos")
    ref = signal.sosfiltfilt(sos, x, axis=-1)
    for threads in (1, 2, 5):
        monkeypatch.setattr(npf, "MAX_THREADS", threads)
        np.testing.assert_array_equal(npf.bandpass(x, 500), ref)
        b, a = signal.iirnotch(50.0, 30.0, fs=500)
        np.testing.assert_allclose(npf.notch(x, 500), signal.filtfilt(b, a, x), atol=1e-10)
    assert npf._workers(6, 10) == 1  # small inputs stay single-threaded
    monkeypatch.setattr(npf, "MAX_THREADS", None)
    assert 1 <= npf._workers(6, 10**6) <= 6


@pytest.mark.parametrize("shape", [(5000,), (4, 5000), (3, 4, 5000)])
def test_float32_resample_fast_path_matches_scipy(shape: tuple[int, ...]) -> None:
    x = _sig(shape).astype(np.float32)
    pairs = ((200, 500), (500, 200), (360, 500), (250, 1000), (1000, 3), (360, 250), (997, 1000))
    for fs, target in pairs:
        up, down = npf.resample_ratio(fs, target)
        ref = signal.resample_poly(x.astype(np.float64), up, down, axis=-1)
        y = npf.resample(x, fs, target)
        assert y.dtype == np.float32 and y.shape == ref.shape
        # scipy's own float32 result is this far from the float64 one too
        own = signal.resample_poly(x, up, down, axis=-1)
        bound = 4 * np.abs(own - ref).max() + 1e-6
        assert np.abs(y - ref).max() <= bound


def test_zscore_large_offset_is_accurate() -> None:
    for offset in (0.0, 1e3, 1e5):
        x = _sig((2, 3, 4000)) * 0.2 + offset
        for per_lead in (True, False):
            axes = (-1,) if per_lead else (-2, -1)
            ref = (x - x.mean(axes, keepdims=True)) / x.std(axes, keepdims=True)
            np.testing.assert_allclose(npf.normalize(x, per_lead=per_lead), ref, atol=1e-9)
