"""compare() against wfdb.processing.compare_annotations, and the CPSC2019 score by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ecg_signal.rpeaks.compare import (
    DetectionCounts,
    compare,
    cpsc2019_record_score,
    cpsc2019_score,
    match_annotations,
)

BEAT_SYMBOLS = set("NLRBAaJSVrFejnE/fQ?")


def _wfdb_matches(ref: np.ndarray, test: np.ndarray, window: float) -> np.ndarray:
    wp = pytest.importorskip("wfdb.processing")
    c = wp.Comparitor(ref, test, window)
    c.compare()
    return np.asarray(c.matching_sample_nums, dtype=np.int64)


def test_match_equals_wfdb_on_random_annotations() -> None:
    rng = np.random.default_rng(0)
    for _ in range(600):
        n, m = int(rng.integers(1, 14)), int(rng.integers(1, 14))
        ref = np.sort(rng.integers(0, 60, n))  # duplicates included on purpose
        test = np.sort(rng.integers(0, 60, m))
        window = int(rng.integers(1, 9))
        np.testing.assert_array_equal(
            match_annotations(ref, test, window), _wfdb_matches(ref, test, window)
        )


def test_wfdb_scenarios_from_its_docstring() -> None:
    # the A-D layouts of Comparitor.compare (contested test annotations)
    cases = [
        ([0, 5, 9, 13], [0, 8, 13]),
        ([0, 5, 11, 15], [0, 9, 12, 15]),
        ([0, 7, 13, 17], [0, 2, 11, 14, 17]),
        ([0, 7, 13, 17], [0, 2, 11, 17]),
    ]
    for ref, test in cases:
        r, t = np.array(ref), np.array(test)
        np.testing.assert_array_equal(match_annotations(r, t, 3), _wfdb_matches(r, t, 3))


@pytest.mark.data
def test_compare_equals_wfdb_on_mitdb_100(sample_data: Path) -> None:
    wfdb = pytest.importorskip("wfdb")
    ann = wfdb.rdann(str(sample_data / "mitdb" / "100"), "atr")
    ref = np.array([s for s, c in zip(ann.sample, ann.symbol) if c in BEAT_SYMBOLS])
    # a perturbed copy: jitter, deletions and insertions
    rng = np.random.default_rng(1)
    test = ref + rng.integers(-25, 26, ref.size)
    test = np.delete(test, rng.choice(test.size, 40, replace=False))
    test = np.unique(np.concatenate([test, rng.integers(0, ref.max(), 30)]))
    for tol in (0.05, 0.15):
        res = compare(ref, test, 360.0, tol)
        c = wfdb.processing.compare_annotations(ref, test, int(round(tol * 360)))
        assert (res.tp, res.fp, res.fn) == (c.tp, c.fp, c.fn)
        np.testing.assert_array_equal(res.matched_ref, c.matched_ref_inds)
        np.testing.assert_array_equal(res.matched_test, c.matched_test_inds)
        assert res.sensitivity == pytest.approx(c.sensitivity)
        assert res.ppv == pytest.approx(c.positive_predictivity)
        err_ms = (test[c.matched_test_inds] - ref[c.matched_ref_inds]) * 1000 / 360
        assert res.mean_error_ms == pytest.approx(err_ms.mean())
        assert res.sd_error_ms == pytest.approx(err_ms.std())
    # the stricter tolerance must lose matches on this jittered copy
    assert compare(ref, test, 360.0, 0.05).tp < compare(ref, test, 360.0, 0.15).tp


def test_compare_hand_derived() -> None:
    ref = [100, 200, 300, 400]
    test = [102, 195, 330, 500, 510]
    res = compare(ref, test, fs=100.0, tolerance_s=0.1)  # window 10 samples, strict
    assert (res.tp, res.fp, res.fn) == (2, 3, 2)
    assert res.sensitivity == 0.5 and res.ppv == 0.4
    assert res.f1 == pytest.approx(2 * 2 / (2 * 2 + 3 + 2))
    assert res.mean_error_ms == pytest.approx((20 - 50) / 2)
    assert res.sd_error_ms == pytest.approx(35.0)
    # |diff| == window does not match (strict, as wfdb)
    assert compare([100], [110], 100.0, 0.1).tp == 0
    assert compare([100], [109], 100.0, 0.1).tp == 1


def test_detection_counts_hand_derived_and_checked() -> None:
    d = DetectionCounts.from_matches(3, 1, 2, [10.0, -10.0, 30.0])
    assert (d.tp, d.fp, d.fn) == (3, 1, 2)
    assert (d.sensitivity, d.ppv, d.f1) == (0.6, 0.75, pytest.approx(6 / 9))
    assert d.mean_error_ms == pytest.approx(10.0)
    assert d.sd_error_ms == pytest.approx(math.sqrt(800 / 3))
    empty = DetectionCounts.from_matches(0, 0, 0, [])
    assert (empty.sensitivity, empty.ppv, empty.f1) == (1.0, 1.0, 1.0)
    assert math.isnan(empty.mean_error_ms) and math.isnan(empty.sd_error_ms)
    only_fp = DetectionCounts.from_matches(0, 4, 0, [])
    assert (only_fp.sensitivity, only_fp.ppv, only_fp.f1) == (1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="one error per matched pair needed: tp=2, 1 errors"):
        DetectionCounts.from_matches(2, 0, 0, [1.0])
    with pytest.raises(ValueError, match=r"fn must be a count \(integer >= 0\), got -1"):
        DetectionCounts.from_matches(0, 0, -1, [])
    # one record's comparison carries the same counts as the rule applied to its matches
    res = compare([100, 200, 300, 400], [102, 195, 330, 500, 510], fs=100.0, tolerance_s=0.1)
    again = DetectionCounts.from_matches(res.tp, res.fp, res.fn, [20.0, -50.0])
    assert again == DetectionCounts(
        *(getattr(res, f) for f in DetectionCounts.__dataclass_fields__)
    )


def test_compare_empty_and_bad_input() -> None:
    res = compare([], [], 360.0)
    assert (res.tp, res.fp, res.fn, res.f1) == (0, 0, 0, 1.0)
    assert math.isnan(res.mean_error_ms)
    res = compare([10, 20], [], 360.0)
    assert (res.sensitivity, res.f1, res.fn) == (0.0, 0.0, 2)
    with pytest.raises(ValueError, match="non-decreasing"):
        compare([30, 10], [10], 360.0)
    with pytest.raises(ValueError, match="1-D"):
        compare([[1, 2]], [1], 360.0)
    with pytest.raises(TypeError, match="integer"):
        compare([1.5], [1], 360.0)
    with pytest.raises(ValueError, match="tolerance_s"):
        compare([1], [1], 360.0, tolerance_s=0)
    with pytest.raises(ValueError, match="fs"):
        compare([1], [1], -1.0)


FS = 500.0  # thr = 37.5 samples, scored span [250, 4750]


@pytest.mark.parametrize(
    ("pred", "expected"),
    [
        ([1000, 2000, 3000], (3, 0, 0, 1.0)),  # perfect
        ([1030, 1990, 3037], (3, 0, 0, 1.0)),  # within 75 ms (inclusive)
        ([1000, 2000, 2500, 3000], (3, 1, 0, 0.7)),  # one extra beat between refs
        # official quirk: the gap between the first and second refs is never searched
        ([1000, 1500, 2000, 3000], (3, 0, 0, 1.0)),
        ([1000, 2000, 2010, 3000], (3, 1, 0, 0.7)),  # two predictions on one ref
        ([1000, 3000], (2, 0, 1, 0.3)),  # one miss
        ([1000], (1, 0, 2, 0.0)),  # two misses
        ([500, 1000, 2000, 2500, 3000], (3, 2, 0, 0.0)),  # two extras
        ([1000, 2500, 3000], (2, 1, 1, 0.0)),  # one miss and one extra: 0 by the rule
        ([100, 1000, 2000, 3000, 4800], (3, 0, 0, 1.0)),  # outside the scored span
        ([300, 1000, 2000, 3000, 4700], (3, 2, 0, 0.0)),  # inside it: two extras
        ([1000, 2000, 2038, 3000], (3, 1, 0, 0.7)),  # 38 samples > 37.5: error between refs
    ],
)
def test_cpsc2019_record_hand_cases(pred: list[int], expected: tuple[int, int, int, float]) -> None:
    ref = [100, 1000, 2000, 3000, 4900]  # 100 and 4900 are dropped (outside [0.5 s, 9.5 s])
    assert cpsc2019_record_score(ref, pred, FS) == expected


def test_cpsc2019_mean_score() -> None:
    refs = [[1000, 2000, 3000]] * 4
    preds = [[1000, 2000, 3000], [1000, 2000, 2500, 3000], [1000, 3000], [1000]]
    assert cpsc2019_score(refs, preds, FS) == pytest.approx((1 + 0.7 + 0.3 + 0) / 4)
    with pytest.raises(ValueError, match="same number"):
        cpsc2019_score(refs, preds[:2], FS)
    with pytest.raises(ValueError, match="at least one"):
        cpsc2019_score([], [], FS)
