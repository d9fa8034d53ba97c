"""Every public function of ecg_signal that takes a sampling rate refuses one outside
[FS_MIN, FS_MAX] with a message naming the value and the range (never a MemoryError,
ZeroDivisionError or LinAlgError from deep inside), and windows or band edges too small for the
signal's resolution are refused instead of returning a silently wrong result."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import ecg_signal
from ecg_signal._validation import FS_MAX, FS_MIN, MIN_EDGE_FRACTION
from ecg_signal.preprocess import functional as npf
from ecg_signal.preprocess import torch_functional as tf

X = np.random.default_rng(0).standard_normal(5000)
T = torch.from_numpy(X.copy())
REF = np.array([500, 1000, 1500])

# every public callable with a sampling-rate argument, called with that rate
CALLS: dict[str, Callable[[float], Any]] = {
    "bandpass": lambda fs: ecg_signal.bandpass(X, fs),
    "notch": lambda fs: ecg_signal.notch(X, fs),
    "resample": lambda fs: ecg_signal.resample(X, fs, 500),
    "resample (target)": lambda fs: ecg_signal.resample(X, 500, fs),
    "baseline_remove": lambda fs: ecg_signal.baseline_remove(X, fs),
    "torch bandpass": lambda fs: tf.bandpass(T, fs),
    "torch notch": lambda fs: tf.notch(T, fs),
    "torch resample": lambda fs: tf.resample(T, fs, 500),
    "torch baseline_remove": lambda fs: tf.baseline_remove(T, fs),
    "butter_sos": lambda fs: npf.butter_sos(0.5, None, fs),
    "notch_sos": lambda fs: npf.notch_sos(0.5, fs),
    "median_windows": lambda fs: npf.median_windows(fs, (0.2, 0.6)),
    "resample_ratio": lambda fs: npf.resample_ratio(fs, 500),
    "BandPass": lambda fs: ecg_signal.BandPass(fs)(T),
    "BaselineRemove": lambda fs: ecg_signal.BaselineRemove(fs)(T),
    "Notch": lambda fs: ecg_signal.Notch(fs)(T),
    "Resample": lambda fs: ecg_signal.Resample(fs, 500)(T),
    "ResampleConfig": lambda fs: ecg_signal.ResampleConfig(fs=fs),
    "PreprocManager": lambda fs: ecg_signal.PreprocManager.from_config({"bandpass": {}})(X, fs),
    "detect_rpeaks": lambda fs: ecg_signal.detect_rpeaks(X, fs),
    "detect_rpeaks_batch": lambda fs: ecg_signal.detect_rpeaks_batch(X[None], fs),
    "ecgsuite_detect": lambda fs: ecg_signal.ecgsuite_detect(X, fs),
    "consensus_rpeaks": lambda fs: ecg_signal.consensus_rpeaks(X, fs),
    "rr_features": lambda fs: ecg_signal.rr_features(X, fs),
    "beat_features": lambda fs: ecg_signal.beat_features(X, fs),
    "wave_features": lambda fs: ecg_signal.wave_features({}, fs, X.size),
    "compare": lambda fs: ecg_signal.compare(REF, REF, fs),
    "cpsc2019_record_score": lambda fs: ecg_signal.cpsc2019_record_score(REF, REF, fs),
    "cpsc2019_score": lambda fs: ecg_signal.cpsc2019_score([REF], [REF], fs),
    "simulate_ecg": lambda fs: ecg_signal.simulate_ecg(1.0, fs),
    "SimulationConfig": lambda fs: ecg_signal.SimulationConfig(fs=fs),
    "AugmenterManagerConfig": lambda fs: ecg_signal.AugmenterManagerConfig(fs=fs),
}

NOT_A_RATE_ARGUMENT = {"SimulatedECG", "RPeakComparison"}  # results holding their rate


def _class_call(name: str) -> Callable[[float], Any]:
    return lambda fs: getattr(ecg_signal, name)(fs=fs)


# classes (augmenters and their configs...) taking ``fs``: built with it
for _name in ecg_signal.__all__:
    _obj = getattr(ecg_signal, _name)
    if isinstance(_obj, type) and _name not in CALLS and _name not in NOT_A_RATE_ARGUMENT:
        try:
            if "fs" in inspect.signature(_obj).parameters:
                CALLS[_name] = _class_call(_name)
        except (TypeError, ValueError):
            pass


def test_every_public_callable_with_fs_is_checked_here() -> None:
    with_fs = set()
    for name in ecg_signal.__all__:
        obj = getattr(ecg_signal, name)
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        if "fs" in params and name not in NOT_A_RATE_ARGUMENT:
            with_fs.add(name)
    assert with_fs <= set(CALLS), f"not covered: {sorted(with_fs - set(CALLS))}"


@pytest.mark.parametrize("fs", [1e12, 1e-10, 0.5, 2 * FS_MAX, float("nan"), float("inf"), -1.0])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_rate_outside_the_domain_is_refused(name: str, fs: float) -> None:
    with pytest.raises(
        ValueError, match=r"fs must be a finite sampling rate in \[\d+, 100000\] Hz"
    ):
        CALLS[name](fs)


@pytest.mark.parametrize("fs", [FS_MIN, 360.0, FS_MAX])
def test_the_range_ends_are_accepted(fs: float) -> None:
    for name in ("resample_ratio", "ResampleConfig", "SimulationConfig", "butter_sos"):
        if fs == FS_MIN and name in ("butter_sos", "SimulationConfig"):
            continue  # 0.5 Hz is not below fs/2; a simulation needs 50 Hz
        CALLS[name](fs)
    npf.median_windows(fs, (2.0,))


def test_the_issue_examples_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match=r"got 1000000000000\.0"):
        ecg_signal.detect_rpeaks(X, fs=1e12)
    with pytest.raises(ValueError, match=r"got 1e-10"):
        ecg_signal.resample(X, 1e-10, 500)
    with pytest.raises(ValueError, match=r"got 1000000000000\.0"):
        ecg_signal.bandpass(X, fs=1e12)
    with pytest.raises(ValueError, match=r"in \[1, 100000\] Hz, got 0.5"):
        ecg_signal.baseline_remove(X, 0.5)


@pytest.mark.parametrize("lib", ["numpy", "torch"])
def test_a_median_window_under_two_samples_is_refused(lib: str) -> None:
    sig: Any = X if lib == "numpy" else T
    fn = ecg_signal.baseline_remove if lib == "numpy" else tf.baseline_remove
    # at 4 Hz, 0.2 s is 0.8 samples: a one-sample median, i.e. an all-zero result
    with pytest.raises(
        ValueError,
        match=r"windows\[0\]=0.2 s is 0.8 samples at fs=4 Hz: too short.*at least 2 samples "
        r"\(>= 0.5 s\)",
    ):
        fn(sig, 4.0)
    with pytest.raises(ValueError, match=r"windows\[1\]=0.001 s is 0.5 samples"):
        fn(sig, 500.0, windows=(0.2, 0.001))
    out = fn(sig, 10.0)  # 0.2 s = 2 samples -> a 3-sample median: not the identity
    assert float(np.abs(np.asarray(out)).max()) > 0


@pytest.mark.parametrize("lib", ["numpy", "torch"])
def test_a_band_edge_below_the_resolution_is_refused(lib: str) -> None:
    sig: Any = X if lib == "numpy" else T
    bp = ecg_signal.bandpass if lib == "numpy" else tf.bandpass
    nt = ecg_signal.notch if lib == "numpy" else tf.notch
    low = MIN_EDGE_FRACTION * 500 / 2
    with pytest.raises(ValueError, match=r"band edge lowcut=1e-07 Hz is too low for fs=500 Hz"):
        bp(sig, 500.0, lowcut=1e-7)  # scipy: LinAlgError (singular matrix)
    with pytest.raises(ValueError, match=r"notch freq=1e-07 Hz is too low"):
        nt(sig, 500.0, freq=1e-7)
    out = bp(sig, 500.0, lowcut=low, highcut=None)
    assert bool(np.isfinite(np.asarray(out)).all())
