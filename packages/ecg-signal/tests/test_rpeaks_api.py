"""detect_rpeaks / detect_rpeaks_batch: registry, options and bad input."""

from __future__ import annotations

import warnings
from copy import deepcopy

import numpy as np
import pytest

from ecg_signal.rpeaks.api import detect_rpeaks, detect_rpeaks_batch, list_methods
from ecg_signal.rpeaks.detector import DEFAULT_ECGSUITE_CONFIG, EcgSuiteConfig, ecgsuite_detect
from ecg_signal.simulate import simulate_ecg

FS = 360.0


@pytest.fixture(scope="module")
def sim() -> tuple[np.ndarray, np.ndarray]:
    s = simulate_ecg(20.0, FS, heart_rate=72.0, noise_std=0.01, seed=3)
    return s.signal[0].astype(np.float64), s.r_peak


def test_list_methods() -> None:
    names = list_methods()
    assert names[0] == "ecgsuite"
    assert set(names) == {
        "ecgsuite", "xqrs", "gqrs", "hamilton", "christov", "engzee", "gamboa", "ssf", "asi"
    }  # fmt: skip


def test_output_contract(sim: tuple[np.ndarray, np.ndarray]) -> None:
    x, ref = sim
    p = detect_rpeaks(x, FS)
    assert p.dtype == np.int64 and p.ndim == 1
    assert np.all(np.diff(p) > 0)
    inner = p[(p > 0.3 * FS) & (p < x.size - 0.3 * FS)]  # the simulator omits cut edge beats
    np.testing.assert_allclose(inner, ref[(ref > 0.3 * FS) & (ref < x.size - 0.3 * FS)], atol=2)
    # float32, lists and ints work and give the same peaks
    np.testing.assert_array_equal(detect_rpeaks(x.astype(np.float32), FS), p)
    np.testing.assert_array_equal(detect_rpeaks(list(x), int(FS)), p)


def test_unknown_method_and_options(sim: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = sim
    with pytest.raises(ValueError, match=r"unknown R-peak method 'hamiltn'.*'hamilton'"):
        detect_rpeaks(x, FS, method="hamiltn")
    with pytest.raises(TypeError, match="method must be a string"):
        detect_rpeaks(x, FS, method=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown ecgsuite key 'treshold'.*threshold"):
        detect_rpeaks(x, FS, treshold=0.3)
    # a valid option changes the behaviour: a tiny refractory period with a low threshold
    many = detect_rpeaks(x, FS, threshold=0.01, refractory_s=0.02, twave_s=0.03,
                         template_corr=1.0, searchback_threshold=0.1)  # fmt: skip
    assert many.size > detect_rpeaks(x, FS).size


@pytest.mark.parametrize(
    ("sig", "fs", "exc", "match"),
    [
        (np.array([]), FS, ValueError, "empty"),
        (np.full(1000, np.nan), FS, ValueError, "no finite sample"),
        (np.zeros((2, 1000)), FS, ValueError, "detect_rpeaks_batch"),
        (np.ones(1000), 49.9, ValueError, r"in \[50, 100000\] Hz"),
        (np.ones(1000), float("nan"), ValueError, r"in \[50, 100000\] Hz"),
        (np.ones(1000), "360", TypeError, "real number in Hz"),
        (np.ones(1000), True, TypeError, "real number in Hz"),
        (np.array(["a", "b"]), FS, TypeError, "numbers"),
    ],
)
def test_bad_input(sig: np.ndarray, fs: object, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        detect_rpeaks(sig, fs)  # type: ignore[arg-type]


def test_constant_signal_warns_at_caller() -> None:
    with pytest.warns(UserWarning, match="constant") as rec:
        out = detect_rpeaks(np.full(2000, 0.7), FS)
    assert out.dtype == np.int64 and out.size == 0
    assert rec[0].filename == __file__  # stacklevel=2 points at the caller
    # constant apart from NaN is still constant
    sig = np.full(2000, 1.0)
    sig[:100] = np.nan
    with pytest.warns(UserWarning, match="constant"):
        assert detect_rpeaks(sig, FS).size == 0


def test_batch(sim: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = sim
    single = detect_rpeaks(x, FS)
    two = np.stack([x, -x * 2.0])
    out = detect_rpeaks_batch(two, FS)
    assert isinstance(out, list) and len(out) == 2
    np.testing.assert_array_equal(out[0], single)
    assert abs(out[1].size - single.size) <= 1  # inverted lead: same beats
    nested = detect_rpeaks_batch(np.stack([two, two]), FS)
    assert len(nested) == 2 and len(nested[1]) == 2
    np.testing.assert_array_equal(nested[1][0], single)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        detect_rpeaks_batch(two, FS)
    with pytest.warns(UserWarning, match=r"rows \[1\]"):
        out = detect_rpeaks_batch(np.stack([x, np.zeros_like(x)]), FS)
    assert out[1].size == 0
    with pytest.raises(ValueError, match="shape"):
        detect_rpeaks_batch(x, FS)
    with pytest.raises(ValueError, match=r"sig\[1\] holds no finite"):
        detect_rpeaks_batch(np.stack([x, np.full_like(x, np.nan)]), FS)


def test_config_rules() -> None:
    c = deepcopy(DEFAULT_ECGSUITE_CONFIG)
    c.threshold = 0.3
    assert EcgSuiteConfig.from_config(c).threshold == 0.3
    assert EcgSuiteConfig.from_config({"threshold": 0.3}) == c
    assert DEFAULT_ECGSUITE_CONFIG.threshold != 0.3  # the copy did not alias the default
    with pytest.raises(ValueError, match="threshold must be a fraction"):
        EcgSuiteConfig(threshold=1.5)
    with pytest.raises(ValueError, match=r"refractory_s must be finite and > 0 s"):
        EcgSuiteConfig(refractory_s=0.0)
    with pytest.raises(TypeError, match="level_span must be an int"):
        EcgSuiteConfig(level_span=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="baseline_s must exceed"):
        EcgSuiteConfig(baseline_s=0.01)
    with pytest.raises(TypeError, match="mapping"):
        EcgSuiteConfig.from_config([("threshold", 0.3)])  # type: ignore[arg-type]


def test_detector_function_direct(sim: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = sim
    np.testing.assert_array_equal(ecgsuite_detect(x, FS), detect_rpeaks(x, FS))
