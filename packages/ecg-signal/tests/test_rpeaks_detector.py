"""The ecgsuite detector: robustness on simulated ECG with known peaks, accuracy on real records."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from ecg_signal.rpeaks.api import detect_rpeaks
from ecg_signal.rpeaks.compare import compare, cpsc2019_score
from ecg_signal.simulate import simulate_ecg

FS = 500.0
BEAT_SYMBOLS = set("NLRBAaJSVrFejnE/fQ?")


def _sim(seed: int, **kw: float) -> tuple[np.ndarray, np.ndarray]:
    s = simulate_ecg(30.0, FS, heart_rate=kw.pop("heart_rate", 75.0), seed=seed, **kw)  # type: ignore[arg-type]
    return s.signal[0].astype(np.float64), s.r_peak


def _score(
    ref: np.ndarray, pred: np.ndarray, n: int, tol_s: float = 0.02
) -> tuple[int, int, float]:
    """(fn, fp, mean |error| ms) ignoring the 0.4 s edges the simulator may cut."""
    edge = int(0.4 * FS)
    r = ref[(ref > edge) & (ref < n - edge)]
    p = pred[(pred > edge) & (pred < n - edge)]
    c = compare(r, p, FS, tol_s)
    return c.fn, c.fp, abs(c.mean_error_ms)


def test_clean_sample_accurate() -> None:
    x, ref = _sim(0, noise_std=0.01)
    fn, fp, err = _score(ref, detect_rpeaks(x, FS), x.size, tol_s=0.006)  # within 3 samples
    assert (fn, fp) == (0, 0) and err < 4.0


@pytest.mark.parametrize(
    "kw",
    [
        {"baseline_amplitude": 1.5, "baseline_freq": 0.3, "noise_std": 0.02},
        {"powerline_amplitude": 0.3, "powerline_freq": 50.0, "noise_std": 0.02},
        {"powerline_amplitude": 0.3, "powerline_freq": 60.0, "noise_std": 0.02},
        {"noise_std": 0.08},
        {"heart_rate": 150.0, "noise_std": 0.02},
        {"heart_rate": 40.0, "noise_std": 0.02},
    ],
    ids=["baseline", "50Hz", "60Hz", "noise", "tachy", "brady"],
)
def test_robust_to_perturbations(kw: dict[str, float]) -> None:
    x, ref = _sim(1, **kw)
    fn, fp, err = _score(ref, detect_rpeaks(x, FS), x.size)
    assert (fn, fp) == (0, 0)
    assert err < 6.0


def test_inverted_polarity_localises_the_extremum() -> None:
    x, ref = _sim(2, noise_std=0.01)
    p = detect_rpeaks(-x, FS)
    fn, fp, _ = _score(ref, p, x.size)
    assert (fn, fp) == (0, 0)
    # the reported peak is the (now negative) extremum: the minimum of the inverted signal
    inner = p[(p > 0.4 * FS) & (p < x.size - 0.4 * FS)]
    assert np.all(x[inner] > 0.9 * x.max())


def test_flat_segment_and_nan_edges() -> None:
    x, ref = _sim(3, noise_std=0.02)
    y = x.copy()
    a, b = int(10 * FS), int(14 * FS)
    y[a:b] = y[a]  # a flat (disconnected lead) stretch
    y[: int(2 * FS)] = np.nan  # leading NaN
    y[-int(3 * FS) :] = np.nan  # trailing NaN
    y[int(20 * FS) : int(21 * FS)] = np.nan  # a missing second in the middle
    p = detect_rpeaks(y, FS)
    assert np.all(np.isfinite(y[p]))
    assert not np.any((p >= a) & (p < b))  # nothing invented in the flat stretch
    valid = np.isfinite(y)
    valid[a:b] = False
    keep = valid[ref]
    # the beats on valid signal, away (0.3 s) from the gaps' borders, are all found
    border = np.convolve(~valid, np.ones(int(0.6 * FS)), mode="same") > 0
    expected = ref[keep & ~border[ref]]
    c = compare(expected, p[~border[p]], FS, 0.02)
    assert c.fn == 0 and c.fp == 0


def test_amplitude_scale_invariance() -> None:
    x, _ = _sim(4, noise_std=0.02)
    p = detect_rpeaks(x, FS)
    np.testing.assert_array_equal(detect_rpeaks(x * 1000.0 + 5000.0, FS), p)
    np.testing.assert_array_equal(detect_rpeaks(x * 1e-3, FS), p)


def test_other_sampling_rates() -> None:
    for fs in (100.0, 250.0, 1000.0):
        s = simulate_ecg(20.0, fs, heart_rate=80.0, noise_std=0.02, seed=5)
        x = s.signal[0].astype(np.float64)
        edge = int(0.4 * fs)
        r = s.r_peak[(s.r_peak > edge) & (s.r_peak < x.size - edge)]
        p = detect_rpeaks(x, fs)
        c = compare(r, p[(p > edge) & (p < x.size - edge)], fs, 0.025)
        assert (c.fn, c.fp) == (0, 0), fs


# ----------------------------------------------------------------------------- real records


def _mitdb(sample_data: Path) -> tuple[np.ndarray, np.ndarray]:
    wfdb = pytest.importorskip("wfdb")
    rec = str(sample_data / "mitdb" / "100")
    sig, _ = wfdb.rdsamp(rec, channels=[0])
    ann = wfdb.rdann(rec, "atr")
    ref = np.array([s for s, c in zip(ann.sample, ann.symbol) if c in BEAT_SYMBOLS])
    return sig[:, 0].astype(np.float64), ref


@pytest.mark.data
def test_mitdb_100_accuracy(sample_data: Path) -> None:
    x, ref = _mitdb(sample_data)
    p = detect_rpeaks(x, 360.0)
    assert compare(ref, p, 360.0, 0.15).f1 >= 0.999
    assert compare(ref, p, 360.0, 0.05).f1 >= 0.995


@pytest.mark.data
def test_mitdb_100_speed(sample_data: Path) -> None:
    x, _ = _mitdb(sample_data)
    best = min(_timed(x) for _ in range(3))
    # 20 M samples/s is the target on an idle core; the CI floor is loose for shared machines
    assert x.size / best > 2e6


def _timed(x: np.ndarray) -> float:
    t0 = time.perf_counter()
    detect_rpeaks(x, 360.0)
    return time.perf_counter() - t0


@pytest.mark.data
def test_cpsc2019_score(sample_data: Path) -> None:
    sio = pytest.importorskip("scipy.io")
    root = sample_data / "cpsc2019"
    refs, preds = [], []
    for f in sorted((root / "data").glob("data_*.mat")):
        x = sio.loadmat(str(f))["ecg"].ravel().astype(np.float64)
        r = sio.loadmat(str(root / "ref" / f.name.replace("data_", "R_")))["R_peak"].ravel()
        refs.append(r.astype(np.int64))
        preds.append(detect_rpeaks(x, 500.0))
    assert len(refs) >= 10
    assert cpsc2019_score(refs, preds, 500.0) >= SCORE_FLOOR


#: the issue's target; measured 0.8025 on the 40 sample records (xqrs 0.28, hamilton 0.32)
SCORE_FLOOR = 0.80


def test_boxcar_equals_scipy_uniform_filter() -> None:
    from scipy.ndimage import uniform_filter1d

    from ecg_signal.rpeaks.detector import _boxcar

    rng = np.random.default_rng(0)
    for n in (1, 5, 7, 8, 50, 1001):
        x = rng.standard_normal(n).cumsum()
        for w in (1, 3, 7, 43):
            np.testing.assert_allclose(
                _boxcar(x, w), uniform_filter1d(x, w, mode="nearest"), atol=1e-9, err_msg=f"{n} {w}"
            )
