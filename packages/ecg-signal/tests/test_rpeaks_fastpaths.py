"""The ecgsuite detector's fast paths give the same results as the plain computations.

Covers the chunked band-pass (identical to one piece, and to scipy's ``uniform_filter1d``
reference up to rounding), the doubling window sums, the pooled slope, the row gathers, the
finite-signal fast paths of the detector and of the API, and the reused scratch buffer.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d

from ecg_signal.rpeaks import _fastops, api
from ecg_signal.rpeaks._fastops import (
    _bandpass_slope2,
    _boxcar,
    _pool_into,
    _rows,
    _slope2_around,
    _unique_sorted,
    _window_sum,
)
from ecg_signal.rpeaks.api import detect_rpeaks
from ecg_signal.rpeaks.detector import EcgSuiteConfig, _fill_nonfinite, ecgsuite_detect
from ecg_signal.simulate import simulate_ecg


def _ecg(seconds: float = 20.0, fs: float = 360.0, seed: int = 0) -> np.ndarray:
    s = simulate_ecg(seconds, fs, heart_rate=72.0, noise_std=0.03, seed=seed)
    return s.signal[0].astype(np.float64)


def _reference_bandpass(
    x: np.ndarray, shift: float, lows: tuple[int, ...], base: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The detector's steps 1-2 written plainly with scipy (the pre-chunking algorithm)."""
    lp = x - shift
    for w in lows:
        lp = uniform_filter1d(lp, w, mode="nearest")
    bp = lp - uniform_filter1d(lp, base, mode="nearest")
    n = bp.size
    d = np.zeros(n)
    if n >= 3:
        d[1:-1] = bp[2:] - bp[:-2]
        d[0] = bp[1] - bp[0]
        d[-1] = bp[-1] - bp[-2]
    d2 = d * d
    m = -(-n // k)
    padded = np.full(m * k, np.nan)
    padded[:n] = d2
    return bp, np.nanmean(padded.reshape(m, k), axis=1)


def test_window_sum_matches_direct_sums() -> None:
    rng = np.random.default_rng(0)
    for w in (1, 2, 3, 4, 7, 8, 13, 43, 64, 121):
        n = 50
        p = rng.standard_normal(n + w - 1)
        expected = np.array([p[i : i + w].sum() for i in range(n)])
        np.testing.assert_allclose(_window_sum(p, w, n), expected, rtol=0, atol=1e-12)
        out = np.full(n, np.nan)
        assert _window_sum(p, w, n, out=out) is out
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def test_boxcar_chunked_is_identical_to_one_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    x = np.random.default_rng(1).standard_normal(5000).cumsum()
    whole = {w: _boxcar(x, w, 0.25) for w in (3, 9, 43, 301)}
    monkeypatch.setattr(_fastops, "CHUNK", 64)
    for w, ref in whole.items():
        got = _boxcar(x, w, 0.25)
        np.testing.assert_array_equal(got, ref)  # bit for bit
        np.testing.assert_allclose(got, uniform_filter1d(x - 0.25, w, mode="nearest"), atol=1e-9)
        out = np.empty_like(x)
        assert _boxcar(x, w, 0.25, out=out) is out
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 97, 1000, 4099])
@pytest.mark.parametrize("k", [1, 3, 5, 10])
def test_bandpass_chunks_are_identical(monkeypatch: pytest.MonkeyPatch, n: int, k: int) -> None:
    x = np.random.default_rng(n + k).standard_normal(n).cumsum()
    lows, base = (7, 5), 43
    bp1, pooled1 = (a.copy() for a in _bandpass_slope2(x, 0.5, lows, base, k))
    monkeypatch.setattr(_fastops, "CHUNK", 60)  # many chunks, each shorter than the margins
    bp2, pooled2 = _bandpass_slope2(x, 0.5, lows, base, k)
    np.testing.assert_array_equal(bp2, bp1)
    np.testing.assert_array_equal(pooled2, pooled1)
    ref_bp, ref_pooled = _reference_bandpass(x, 0.5, lows, base, k)
    np.testing.assert_allclose(bp1, ref_bp, rtol=0, atol=1e-9)
    np.testing.assert_allclose(pooled1, ref_pooled, rtol=1e-9, atol=1e-12)


def test_bandpass_unit_widths_and_one_stage() -> None:
    x = _ecg(5.0)
    for lows, base in (((1,), 43), ((1, 7), 43), ((7,), 1), ((9,), 43)):
        bp, pooled = _bandpass_slope2(x, 0.1, lows, base, 3)
        ref_bp, ref_pooled = _reference_bandpass(x, 0.1, lows, base, 3)
        np.testing.assert_allclose(bp, ref_bp, rtol=0, atol=1e-9, err_msg=str(lows))
        np.testing.assert_allclose(pooled, ref_pooled, rtol=1e-9, atol=1e-12, err_msg=str(lows))


def test_pool_into_equals_numpy_mean() -> None:
    rng = np.random.default_rng(2)
    for k in range(1, 12):
        for n in (k, 5 * k, 5 * k + 1, 7 * k - 1):
            d = rng.standard_normal(n) ** 2
            out = np.empty(-(-n // k))
            _pool_into(d, k, out)
            full = (n // k) * k
            expected = list(d[:full].reshape(-1, k).mean(axis=1))
            if full < n:
                expected.append(d[full:].mean())
            np.testing.assert_array_equal(out, np.array(expected))  # bit for bit


def test_rows_and_slope_around_match_clipped_gathers() -> None:
    bp = np.random.default_rng(3).standard_normal(200)
    n = bp.size
    for width in (1, 5, 37):
        for start in (np.array([10, 50, 100]), np.array([-5, 0, 180, 199]), np.array([], int)):
            idx = np.clip(start[:, None] + np.arange(width)[None, :], 0, n - 1)
            np.testing.assert_array_equal(_rows(bp, start, width), bp[idx])
    d = np.empty(n)
    d[1:-1] = bp[2:] - bp[:-2]
    d[0], d[-1] = bp[1] - bp[0], bp[-1] - bp[-2]
    for loc in (np.array([20, 60, 150]), np.array([0, 3, 197, 199])):
        q = 4
        idx = np.clip(loc[:, None] + np.arange(-q, q + 1)[None, :], 0, n - 1)
        np.testing.assert_array_equal(_slope2_around(bp, loc, q), d[idx] ** 2)
    assert not _slope2_around(bp[:2], np.array([0, 1]), 2).any()


def test_unique_sorted_equals_numpy_unique() -> None:
    rng = np.random.default_rng(4)
    for a in (
        np.array([], np.int64),
        np.array([5], np.int64),
        np.arange(0, 100, 3, dtype=np.int64),
        rng.integers(0, 50, 40),
        np.array([1, 2, 2, 3], np.int64),
    ):
        np.testing.assert_array_equal(_unique_sorted(a), np.unique(a))


def test_fill_nonfinite_fast_path() -> None:
    x = _ecg(2.0)
    y, bad = _fill_nonfinite(x)
    assert y is x and bad is None
    huge = np.array([1e308, 1e308, -1.0])  # finite samples whose sum overflows
    y, bad = _fill_nonfinite(huge)
    assert bad is None
    np.testing.assert_array_equal(y, huge)
    z = x.copy()
    z[[3, 4, 10]] = [np.nan, np.inf, -np.inf]
    y, bad = _fill_nonfinite(z)
    assert bad is not None and np.flatnonzero(bad).tolist() == [3, 4, 10]
    good = np.flatnonzero(np.isfinite(z))
    np.testing.assert_array_equal(y[[3, 4, 10]], np.interp([3, 4, 10], good, z[good]))


def test_detector_result_independent_of_chunk_size(monkeypatch: pytest.MonkeyPatch) -> None:
    x = _ecg(30.0, 500.0, seed=5)
    y = x.copy()
    y[4000:4400] = np.nan
    ref = [ecgsuite_detect(s, 500.0) for s in (x, y)]
    assert ref[0].size > 30
    monkeypatch.setattr(_fastops, "CHUNK", 1000)
    for s, r in zip((x, y), ref, strict=True):
        np.testing.assert_array_equal(ecgsuite_detect(s, 500.0), r)


def test_scratch_buffer_is_not_aliased_by_results() -> None:
    a, b = _ecg(20.0, seed=6), _ecg(40.0, seed=7)
    pa = ecgsuite_detect(a, 360.0)
    keep = pa.copy()
    pb = ecgsuite_detect(b, 360.0)
    np.testing.assert_array_equal(pa, keep)  # the second call did not write into the first result
    np.testing.assert_array_equal(ecgsuite_detect(a, 360.0), keep)
    assert pb.size > pa.size
    # a longer-than-kept signal allocates its own buffer
    big = np.tile(a, 2)
    old = _fastops.SCRATCH_MAX
    try:
        _fastops.SCRATCH_MAX = a.size
        np.testing.assert_array_equal(
            ecgsuite_detect(big, 360.0), ecgsuite_detect(big.copy(), 360.0)
        )
    finally:
        _fastops.SCRATCH_MAX = old


def test_threads_get_their_own_scratch() -> None:
    sigs = [_ecg(15.0, seed=s) for s in range(4)]
    expected = [ecgsuite_detect(s, 360.0) for s in sigs]
    results: dict[int, list[np.ndarray]] = {}

    def work(i: int) -> None:
        results[i] = [ecgsuite_detect(sigs[i], 360.0) for _ in range(5)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, exp in enumerate(expected):
        for got in results[i]:
            np.testing.assert_array_equal(got, exp)


def test_api_precheck_fast_path() -> None:
    assert api._precheck(np.ones(10), "") is True
    assert api._precheck(np.arange(10.0), "") is False
    assert api._precheck(np.array([1.0, np.nan, 1.0]), "") is True
    assert api._precheck(np.array([1.0, np.inf, 2.0]), "") is False
    with pytest.raises(ValueError, match="no finite sample"):
        api._precheck(np.array([np.nan, np.inf]), "")
    with pytest.warns(UserWarning, match="constant"):
        assert detect_rpeaks(np.r_[np.full(500, 2.0), np.nan], 360.0).size == 0


def test_config_copy_runs_like_default() -> None:
    x = _ecg(10.0)
    cfg = EcgSuiteConfig.from_config({"lowpass_s": (0.02,), "template_corr": 0.0})
    p = ecgsuite_detect(x, 360.0, cfg)
    assert p.size > 5 and np.all(np.diff(p) > 0)


@pytest.mark.data
def test_mitdb_independent_of_chunk_size(
    sample_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wfdb = pytest.importorskip("wfdb")
    sig, _ = wfdb.rdsamp(str(sample_data / "mitdb" / "100"), channels=[0], sampto=120_000)
    x = sig[:, 0].astype(np.float64)
    ref = detect_rpeaks(x, 360.0)
    monkeypatch.setattr(_fastops, "CHUNK", 4096)
    np.testing.assert_array_equal(detect_rpeaks(x, 360.0), ref)
