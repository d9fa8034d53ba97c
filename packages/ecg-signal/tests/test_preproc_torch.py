"""Torch preprocessors and modules against scipy and the numpy path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage, signal

from ecg_signal.preprocess import functional as npf
from ecg_signal.preprocess import modules as pm
from ecg_signal.preprocess import torch_functional as tf

RNG = np.random.default_rng(99)
SHAPES = [(1500,), (3, 1500), (2, 3, 1500)]
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _sig(shape: tuple[int, ...]) -> np.ndarray:
    return RNG.standard_normal(shape)


def _close32(actual: torch.Tensor, desired: np.ndarray) -> None:
    """float32 tolerance scaled to the signal: rtol 1e-4, atol 1e-5 * max|desired|."""
    scale = float(np.abs(desired).max()) or 1.0
    np.testing.assert_allclose(actual.cpu().numpy(), desired, rtol=1e-4, atol=1e-5 * scale)


# ------------------------------------------------------------------ IIR
@pytest.mark.parametrize("n", [40, 1000, 20000])
def test_sosfilt_with_zi_equals_scipy(n: int) -> None:
    sos = npf.butter_sos(0.5, 45.0, 500, 4)
    x = _sig((3, n))
    zi = RNG.standard_normal((sos.shape[0], 3, 2))
    ref, _ = signal.sosfilt(sos, x, zi=zi)
    y = tf.sosfilt(torch.from_numpy(x), sos, torch.from_numpy(zi))
    np.testing.assert_allclose(y.numpy(), ref, rtol=0, atol=1e-9 * np.abs(ref).max())
    y0 = tf.sosfilt(torch.from_numpy(x), sos)
    np.testing.assert_allclose(y0.numpy(), signal.sosfilt(sos, x), atol=1e-9)


@pytest.mark.parametrize(
    ("low", "high", "order", "fs"),
    [(0.5, 45.0, 4, 500), (None, 40.0, 1, 250), (0.05, None, 2, 1000), (1.0, 30.0, 8, 360)],
)
def test_sosfiltfilt_equals_scipy_float64(
    low: float | None, high: float | None, order: int, fs: float
) -> None:
    sos = npf.butter_sos(low, high, fs, order)
    x = _sig((2, 12000)) + 3.0
    ref = signal.sosfiltfilt(sos, x)
    y = tf.sosfiltfilt(torch.from_numpy(x), sos)
    assert y.dtype == torch.float64
    np.testing.assert_allclose(y.numpy(), ref, rtol=0, atol=1e-8 * np.abs(ref).max())


@pytest.mark.parametrize("shape", SHAPES)
def test_bandpass_float32_matches_numpy(shape: tuple[int, ...]) -> None:
    x = _sig(shape).astype(np.float32)
    y = tf.bandpass(torch.from_numpy(x), 500)
    assert y.dtype == torch.float32 and y.shape == x.shape
    _close32(y, npf.bandpass(x, 500))
    sos = npf.butter_sos(0.5, 45.0, 500, 4)
    _close32(y, signal.sosfiltfilt(sos, x.astype(np.float64)))


def test_notch_matches_filtfilt() -> None:
    x = _sig((2, 3000))
    b, a = signal.iirnotch(60.0, 25.0, fs=360)
    y = tf.notch(torch.from_numpy(x), 360, 60.0, 25.0)
    np.testing.assert_allclose(y.numpy(), signal.filtfilt(b, a, x), atol=1e-9)


# ------------------------------------------------------------------ resampling
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("up", "down"), [(5, 2), (1, 5), (25, 18), (3, 1), (2, 4)])
def test_resample_poly_equals_scipy(shape: tuple[int, ...], up: int, down: int) -> None:
    x = _sig(shape)
    ref = signal.resample_poly(x, up, down, axis=-1)
    for layout in ("auto", "dense"):
        y = tf.resample_poly(torch.from_numpy(x), up, down, layout=layout)
        assert tuple(y.shape) == ref.shape
        np.testing.assert_allclose(y.numpy(), ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("up", "down"), [(25, 36), (36, 25), (25, 18), (5, 2), (1, 4), (3, 1000), (125, 64)]
)
def test_resample_poly_phases_layout_equals_scipy(
    shape: tuple[int, ...], up: int, down: int
) -> None:
    x = _sig(shape)
    ref = signal.resample_poly(x, up, down, axis=-1)
    y = tf.resample_poly(torch.from_numpy(x), up, down, layout="phases")
    assert tuple(y.shape) == ref.shape
    np.testing.assert_allclose(y.numpy(), ref, rtol=0, atol=1e-12)
    y32 = tf.resample_poly(torch.from_numpy(x.astype(np.float32)), up, down, layout="phases")
    assert y32.dtype == torch.float32
    _close32(y32, ref)


def test_resample_poly_phases_layout_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    x = _sig((2, 3001))
    ref = signal.resample_poly(x, 25, 36, axis=-1)
    for elements in (1, 500, 1 << 22):  # one frame per product, a few, all at once
        monkeypatch.setattr(tf, "_PHASE_FRAME_ELEMENTS", elements)
        y = tf.resample_poly(torch.from_numpy(x), 25, 36, layout="phases")
        np.testing.assert_allclose(y.numpy(), ref, rtol=0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(up=st.integers(1, 40), down=st.integers(1, 40), n=st.integers(1, 300))
def test_resample_poly_phases_layout_property(up: int, down: int, n: int) -> None:
    x = np.random.default_rng(n).standard_normal((2, n))
    ref = signal.resample_poly(x, up, down, axis=-1)
    y = tf.resample_poly(torch.from_numpy(x), up, down, layout="phases")
    assert tuple(y.shape) == ref.shape
    np.testing.assert_allclose(y.numpy(), ref, rtol=0, atol=1e-12)


def test_resample_float32_and_short_signals() -> None:
    x = _sig((12, 8000)).astype(np.float32)
    y = tf.resample(torch.from_numpy(x), 200, 500)
    assert y.dtype == torch.float32 and y.shape == (12, 20000)
    _close32(y, signal.resample_poly(x, 5, 2, axis=-1))
    for n in (1, 2, 7):
        s = _sig((n,))
        np.testing.assert_allclose(
            tf.resample_poly(torch.from_numpy(s), 5, 3).numpy(),
            signal.resample_poly(s, 5, 3),
            atol=1e-12,
        )


# ------------------------------------------------------------------ baseline / normalize
@pytest.mark.parametrize("window", [1, 7, 61])
def test_median_filter_equals_scipy(window: int) -> None:
    x = _sig((2, 3, 400))
    zeros = tf.median_filter(torch.from_numpy(x), window, "zeros").numpy()
    np.testing.assert_array_equal(zeros, signal.medfilt(x, (1, 1, window)))
    near = tf.median_filter(torch.from_numpy(x), window, "nearest").numpy()
    ref = ndimage.median_filter(x, size=(1, 1, window), mode="nearest")
    np.testing.assert_array_equal(near, ref)


@pytest.mark.parametrize("shape", SHAPES)
def test_baseline_detrend_normalize_match_numpy(shape: tuple[int, ...]) -> None:
    x = _sig(shape) + np.linspace(-2, 3, shape[-1])
    xt = torch.from_numpy(x)
    np.testing.assert_allclose(
        tf.baseline_remove(xt, 250).numpy(), npf.baseline_remove(x, 250), atol=1e-12
    )
    np.testing.assert_allclose(
        tf.detrend_polynomial(xt, 1).numpy(), signal.detrend(x, axis=-1), atol=1e-9
    )
    np.testing.assert_allclose(
        tf.detrend_polynomial(xt, 4).numpy(), npf.detrend_polynomial(x, 4), atol=1e-9
    )
    for kw in (
        {},
        {"per_lead": False},
        {"method": "min-max"},
        {"method": "naive", "mean": 1.0, "std": 3.0},
        {"mean": 2.0, "std": 0.5},
    ):
        np.testing.assert_allclose(
            tf.normalize(xt, **kw).numpy(),
            npf.normalize(x, **kw),
            atol=1e-12,  # type: ignore[arg-type]
        )


def test_float32_twins_within_tolerance() -> None:
    x = (_sig((2, 12, 2500)) * 0.3 + 1.0).astype(np.float32)
    xt = torch.from_numpy(x)
    for tfn, nfn in (
        (lambda s: tf.baseline_remove(s, 500), lambda s: npf.baseline_remove(s, 500)),
        (lambda s: tf.normalize(s), lambda s: npf.normalize(s)),
        (lambda s: tf.detrend_polynomial(s, 2), lambda s: npf.detrend_polynomial(s, 2)),
        (lambda s: tf.notch(s, 500), lambda s: npf.notch(s, 500)),
    ):
        out = tfn(xt)
        assert out.dtype == torch.float32
        _close32(out, nfn(x))


def test_batch_equals_items_and_input_untouched() -> None:
    x = torch.from_numpy(_sig((3, 2, 1200)))
    before = x.clone()
    for fn in (
        lambda s: tf.bandpass(s, 500),
        lambda s: tf.resample(s, 500, 360),
        lambda s: tf.baseline_remove(s, 200),
        lambda s: tf.normalize(s, per_lead=False),
    ):
        batch = fn(x)
        items = torch.stack([fn(item) for item in x])
        torch.testing.assert_close(batch, items, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(x, before, rtol=0, atol=0)


# ------------------------------------------------------------------ modules
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_modules_keep_dtype_device_and_match(device: str, dtype: torch.dtype) -> None:
    x64 = _sig((2, 3, 2000))
    x = torch.as_tensor(x64, dtype=dtype, device=device)
    xn = x.cpu().numpy()
    cases = [
        (pm.BandPass(500, 1.0, 40.0, 3), npf.bandpass(xn, 500, 1.0, 40.0, 3)),
        (pm.Notch(500, 60.0), npf.notch(xn, 500, 60.0)),
        (pm.Resample(500, 200), npf.resample(xn, 500, 200)),
        (pm.BaselineRemove(500), npf.baseline_remove(xn, 500)),
        (pm.Detrend(2), npf.detrend_polynomial(xn, 2)),
        (pm.Normalize("min-max"), npf.normalize(xn, "min-max")),
    ]
    for mod, ref in cases:
        out = mod(x)
        assert out.dtype == dtype and out.device == x.device, mod
        assert repr(mod)
        _close32(out, ref)
    assert pm.Resample(200, 500).target_fs == 500.0


# ------------------------------------------------------------------ bad input
def test_torch_bad_input() -> None:
    x = torch.zeros(2, 1000)
    bad = x.clone()
    bad[0, 3] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        tf.bandpass(bad, 500)
    with pytest.raises(ValueError, match="shape"):
        tf.normalize(torch.zeros(1, 1, 1, 10))
    with pytest.raises(TypeError, match="floating"):
        tf.normalize(torch.zeros(2, 10, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"in \[1, 100000\] Hz"):
        tf.resample(x, 0, 500)
    with pytest.raises(ValueError, match=r"highcut=300 Hz must be below fs/2 = 250 Hz"):
        pm.BandPass(500, 0.5, 300)
    with pytest.raises(ValueError, match=r"padlen=27 samples, got length 20 samples"):
        tf.bandpass(x[:, :20], 500)
    with pytest.raises(ValueError, match="odd"):
        tf.median_filter(x, 10)
    with pytest.raises(ValueError, match="up must be a positive integer"):
        tf.resample_poly(x, 0, 2)
    with pytest.raises(ValueError, match="layout must be one of"):
        tf.resample_poly(x, 2, 3, layout="fft")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="did you mean 'min-max'"):
        pm.Normalize("minmax")


@pytest.mark.data
def test_real_cpsc2019_torch_pipeline_matches_scipy(sample_data: Path) -> None:
    from scipy.io import loadmat

    files = sorted((sample_data / "cpsc2019" / "data").glob("data_*.mat"))[:4]
    if not files:
        pytest.skip("no cpsc2019 records")
    x = np.stack([np.asarray(loadmat(f)["ecg"], dtype=np.float64).ravel() for f in files])
    assert x.shape == (len(files), 5000)  # 10 s at 500 Hz
    xt = torch.from_numpy(x.astype(np.float32))
    sos = signal.butter(4, [0.5, 45.0], btype="bandpass", fs=500, output="sos")
    _close32(tf.bandpass(xt, 500), signal.sosfiltfilt(sos, x))
    _close32(tf.resample(xt, 500, 200), signal.resample_poly(x, 2, 5, axis=-1))
    _close32(tf.notch(xt, 500, 50.0), signal.filtfilt(*signal.iirnotch(50.0, 30.0, fs=500), x))


@settings(max_examples=25, deadline=None)
@given(
    up=st.integers(1, 12),
    down=st.integers(1, 12),
    n=st.integers(1, 300),
)
def test_resample_poly_property(up: int, down: int, n: int) -> None:
    x = np.random.default_rng(n).standard_normal((2, n))
    ref = signal.resample_poly(x, up, down, axis=-1)
    y = tf.resample_poly(torch.from_numpy(x), up, down, layout="dense")
    assert tuple(y.shape) == ref.shape
    np.testing.assert_allclose(y.numpy(), ref, rtol=0, atol=1e-12)


def test_resample_poly_auto_layout_is_the_documented_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[str] = []
    for name in ("dense", "phases"):
        real = getattr(tf, f"_resample_{name}")
        monkeypatch.setattr(
            tf,
            f"_resample_{name}",
            lambda x, u, d, real=real, name=name: used.append(name) or real(x, u, d),
        )
    x = torch.from_numpy(_sig((2, 900)))
    for up, down in ((5, 2), (50, 72), (25, 36), (9, 10), (8, 1000)):
        tf.resample_poly(x, up, down)
    # gcd first (50/72 -> 25/36), then dense when min(up, down) <= 8
    assert used == ["dense", "phases", "phases", "phases", "dense"]


@settings(max_examples=20, deadline=None)
@given(
    order=st.integers(1, 6),
    low=st.one_of(st.none(), st.floats(0.05, 5.0)),
    high=st.one_of(st.none(), st.floats(20.0, 120.0)),
    n=st.integers(100, 3000),
)
def test_sosfiltfilt_property(order: int, low: float | None, high: float | None, n: int) -> None:
    if low is None and high is None:
        high = 40.0
    sos = npf.butter_sos(low, high, 250.0, order)
    x = np.random.default_rng(n).standard_normal((2, n)) + 1.0
    if n <= npf.sosfiltfilt_padlen(sos):
        with pytest.raises(ValueError, match="padlen"):
            tf.sosfiltfilt(torch.from_numpy(x), sos)
        return
    ref = signal.sosfiltfilt(sos, x)
    y = tf.sosfiltfilt(torch.from_numpy(x), sos)
    np.testing.assert_allclose(y.numpy(), ref, rtol=0, atol=1e-8 * max(1.0, np.abs(ref).max()))


def test_bandpass_is_differentiable() -> None:
    x = torch.randn(1, 32, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: tf.bandpass(s, 200), (x,))
    r = torch.randn(1, 16, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: tf.resample_poly(s, 5, 2), (r,))
