"""Each classic wrapper returns the library's own peaks after the documented correction."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from ecg_signal.rpeaks import _classic
from ecg_signal.rpeaks.api import detect_rpeaks

# methods biosppy.signals.ecg.ecg runs itself (ssf finds no beat on mV data, which ecg() rejects)
BIOSPPY_ECG_NAMES = {"hamilton": "hamilton", "engzee": "engzee", "gamboa": "gamboa", "asi": "ASI"}


def _records(sample_data: Path) -> list[tuple[str, np.ndarray, float]]:
    wfdb = pytest.importorskip("wfdb")
    sio = pytest.importorskip("scipy.io")
    sig, _ = wfdb.rdsamp(str(sample_data / "mitdb" / "100"), channels=[0], sampto=360 * 60)
    out = [("mitdb100", sig[:, 0].astype(np.float64), 360.0)]
    for name in ("data_00014", "data_01046"):
        x = sio.loadmat(str(sample_data / "cpsc2019" / "data" / f"{name}.mat"))["ecg"]
        out.append((name, x.ravel().astype(np.float64), 500.0))
    return out


@pytest.mark.data
@pytest.mark.parametrize("method", ["xqrs", "gqrs"])
def test_wfdb_wrappers_equal_library(sample_data: Path, method: str) -> None:
    wp = pytest.importorskip("wfdb.processing")
    for name, x, fs in _records(sample_data):
        if method == "xqrs":
            raw = wp.xqrs_detect(x, fs=fs, verbose=False)
        else:
            raw = wp.gqrs_detect(sig=x, fs=fs)
        expected = np.unique(
            wp.correct_peaks(
                x,
                np.asarray(raw, dtype=np.int64),
                search_radius=round(0.1 * fs),
                smooth_window_size=round(0.15 * fs),
                peak_dir="compare",
            )
        )
        got = detect_rpeaks(x, fs, method=method)
        np.testing.assert_array_equal(got, expected, err_msg=f"{method} on {name}")
        if name == "mitdb100":
            assert got.size > 60  # 60 s of sinus rhythm
            # the correction moved every mark onto a local maximum of the signal
            assert np.all(x[got] >= x[np.clip(got - 1, 0, None)])


@pytest.mark.data
@pytest.mark.parametrize("method", ["hamilton", "christov", "engzee", "gamboa", "ssf", "asi"])
def test_biosppy_wrappers_equal_library(sample_data: Path, method: str) -> None:
    pytest.importorskip("peakutils")
    becg = pytest.importorskip("biosppy.signals.ecg")
    for name, x, fs in _records(sample_data):
        got = detect_rpeaks(x, fs, method=method)
        assert got.dtype == np.int64 and np.all(np.diff(got) > 0)
        if method in BIOSPPY_ECG_NAMES:
            # biosppy's own pipeline (filter, segmenter, correct_rpeaks with tol=0.05 s); it then
            # drops beats within 0.2 s of the start / 0.4 s of the end (template extraction)
            out = becg.ecg(signal=x, sampling_rate=fs, show=False,
                           segmenter=BIOSPPY_ECG_NAMES[method])  # fmt: skip
            expected = np.asarray(out["rpeaks"], dtype=np.int64)
            inner = got[(got >= round(0.2 * fs)) & (got + round(0.4 * fs) <= x.size)]
            np.testing.assert_array_equal(inner, expected, err_msg=f"{method} on {name}")
        else:
            filtered = _classic.biosppy_filter(x, fs)
            seg = getattr(becg, _classic.BIOSPPY_METHODS[method])
            (raw,) = seg(signal=filtered, sampling_rate=fs)
            if raw.size == 0:
                assert got.size == 0
                continue
            (expected,) = becg.correct_rpeaks(signal=filtered, rpeaks=raw, sampling_rate=fs,
                                              tol=0.05)  # fmt: skip
            np.testing.assert_array_equal(got, np.unique(expected), err_msg=name)


@pytest.mark.data
def test_classic_methods_find_mitdb_beats(sample_data: Path) -> None:
    pytest.importorskip("wfdb")
    pytest.importorskip("biosppy")
    pytest.importorskip("peakutils")
    from ecg_signal.rpeaks.compare import compare

    wfdb = pytest.importorskip("wfdb")
    name, x, fs = _records(sample_data)[0]
    ann = wfdb.rdann(str(sample_data / "mitdb" / "100"), "atr", sampto=360 * 60)
    ref = np.array([s for s, c in zip(ann.sample, ann.symbol) if c in "NAV"])
    for method in ("xqrs", "gqrs", "hamilton", "engzee"):
        c = compare(ref, detect_rpeaks(x, fs, method=method), fs, 0.05)
        assert c.f1 > 0.98, (method, c)


def test_nan_is_bridged_for_classic_methods() -> None:
    pytest.importorskip("wfdb")
    from ecg_signal.simulate import simulate_ecg

    s = simulate_ecg(20.0, 250.0, heart_rate=70.0, noise_std=0.01, seed=0)
    x = s.signal[0].astype(np.float64)
    x[:250] = np.nan
    p = detect_rpeaks(x, 250.0, method="xqrs")
    assert p.size > 15 and np.all(p >= 250)


def test_missing_extras_name_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    x = np.sin(np.linspace(0, 60, 5000))
    monkeypatch.setitem(sys.modules, "wfdb", None)
    monkeypatch.setitem(sys.modules, "wfdb.processing", None)
    with pytest.raises(ImportError, match=r'pip install "ecg-signal\[wfdb\]"'):
        detect_rpeaks(x, 250.0, method="xqrs")
    monkeypatch.setitem(sys.modules, "peakutils", None)
    with pytest.raises(ImportError, match=r'pip install "ecg-signal\[biosppy\]"'):
        detect_rpeaks(x, 250.0, method="hamilton")
    monkeypatch.delitem(sys.modules, "peakutils")
    monkeypatch.setitem(sys.modules, "biosppy", None)
    monkeypatch.setitem(sys.modules, "biosppy.signals", None)
    with pytest.raises(ImportError, match=r'pip install "ecg-signal\[biosppy\]"'):
        detect_rpeaks(x, 250.0, method="christov")


@pytest.mark.data
def test_library_crash_becomes_runtime_error(sample_data: Path) -> None:
    pytest.importorskip("peakutils")
    pytest.importorskip("biosppy")
    sio = pytest.importorskip("scipy.io")
    # biosppy 2.2's ASI_segmenter indexes past the end of this record
    x = sio.loadmat(str(sample_data / "cpsc2019" / "data" / "data_00224.mat"))["ecg"].ravel()
    with pytest.raises(RuntimeError, match=r"BioSPPy's ASI_segmenter failed.*IndexError"):
        detect_rpeaks(x.astype(np.float64), 500.0, method="asi")
