"""The R-peak rules settled once (ecg_signal.rpeaks; ecg-train pools them): an empty record,
the exact matching window, unsorted annotations, each at several sampling rates, against
wfdb.processing.compare_annotations and the official CPSC2019 rule by hand."""

from __future__ import annotations

import numpy as np
import pytest
from wfdb.processing import compare_annotations

from ecg_signal.rpeaks import compare, cpsc2019_record_score, cpsc2019_score

RATES = [100.0, 250.0, 360.0, 500.0, 1000.0]


@pytest.mark.parametrize("fs", RATES)
def test_an_empty_record_against_an_empty_reference_agrees_perfectly(fs: float) -> None:
    # wfdb divides by zero here; the CPSC2019 rule scores such a record 1 (no error)
    c = compare([], [], fs)
    assert (c.tp, c.fp, c.fn) == (0, 0, 0)
    assert c.sensitivity == c.ppv == c.f1 == 1.0
    assert cpsc2019_record_score([], [], fs) == (0, 0, 0, 1.0)
    assert cpsc2019_score([[]], [[]], fs) == 1.0
    # references but no detection, and detections but no reference
    ref = (np.arange(1, 9) * fs).astype(np.int64)
    assert compare(ref, [], fs).f1 == 0.0 and compare([], ref, fs).f1 == 0.0
    assert compare(ref, [], fs).sensitivity == 0.0 and compare([], ref, fs).ppv == 0.0


@pytest.mark.parametrize(
    ("fs", "tol_s"), [(100.0, 0.07), (360.0, 0.15), (500.0, 0.07), (1000.0, 0.07), (250.0, 0.1)]
)
def test_the_matching_window_is_exact_in_samples(fs: float, tol_s: float) -> None:
    window = round(tol_s * fs)  # 7, 54, 35, 70, 25 samples
    assert abs(window - tol_s * fs) < 1e-6
    ref = (np.array([1.0, 2.0, 3.0]) * fs).astype(np.int64)
    at = compare(ref, ref + window, fs, tolerance_s=tol_s)
    inside = compare(ref, ref + window - 1, fs, tolerance_s=tol_s)
    assert (at.tp, inside.tp) == (0, 3)  # strict: |d| < tolerance; d == tolerance is out
    # wfdb with the integer window gives the same; its float window 0.07 * 100 would not
    assert compare_annotations(ref, ref + window, window).tp == 0
    assert compare_annotations(ref, ref + window - 1, window).tp == 3


@pytest.mark.parametrize("fs", [100.0, 200.0, 500.0, 1000.0])
def test_the_cpsc2019_window_is_exact_and_inclusive(fs: float) -> None:
    thr = 0.075 * fs  # 7.5, 15 (computed 15.000000000000002), 37.5, 75 samples
    ref = (np.arange(1, 10) * fs).astype(np.float64)  # 1 s ... 9 s
    assert cpsc2019_record_score(ref, ref + np.ceil(thr) - 1, fs)[:3] == (9, 0, 0)
    far = cpsc2019_record_score(ref, ref + np.floor(thr) + 1, fs)
    assert far[0] == 0 and far[2] == 9
    if thr == round(thr):
        # exactly at the tolerance: inclusive, a TP, and (official rule) also an FP in the gap
        # after each reference but the first, whose gap the official code does not search
        assert cpsc2019_record_score(ref, ref + round(thr), fs) == (9, 8, 0, 0.0)


@pytest.mark.parametrize("fs", RATES)
def test_unsorted_references_are_refused_as_wfdb_does(fs: float) -> None:
    ref = (np.array([3.0, 1.0, 2.0]) * fs).astype(np.int64)
    with pytest.raises(ValueError, match="monotonically increasing"):
        compare_annotations(ref, np.sort(ref), 10)
    with pytest.raises(ValueError, match="ref sample indices must be non-decreasing"):
        compare(ref, np.sort(ref), fs)
    with pytest.raises(ValueError, match="test sample indices must be non-decreasing"):
        compare(np.sort(ref), ref, fs)
    with pytest.raises(ValueError, match="ref sample indices must be non-decreasing"):
        cpsc2019_record_score(ref, np.sort(ref), fs)
    # predictions enter the CPSC2019 rule only through counts: any order scores the same
    srt = np.sort(ref)
    assert cpsc2019_record_score(srt, ref, fs) == cpsc2019_record_score(srt, srt, fs)
