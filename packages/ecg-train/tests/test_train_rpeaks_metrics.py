"""RPeaksDetectionMetrics: wfdb's matching rule and hand-derived CPSC2019 cases (the rules are
ecg_signal.rpeaks'; here they are pooled over records)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_train.metrics.rpeaks import (
    RPeaksDetectionMetrics,
    cpsc2019_record_score,
    cpsc2019_score,
)

FS = 500
REF = np.array([400, 900, 1400, 1900, 2400, 2900, 3400, 3900, 4400])  # inside [250, 4750]


@pytest.mark.parametrize(
    ("pred", "expected"),
    [
        (REF + 10, (9, 0, 0, 1.0)),
        (np.r_[REF, 1150], (9, 1, 0, 0.7)),  # one FP between refs 2 and 3
        (np.r_[REF, 403], (9, 1, 0, 0.7)),  # a second detection within tolerance
        (REF[1:], (8, 0, 1, 0.3)),
        (np.r_[REF[1:], 1150], (8, 1, 1, 0.0)),
        (np.r_[REF, 650], (9, 0, 0, 1.0)),  # gap ref0-ref1 not checked (official quirk)
        (np.r_[REF, 100, 4900], (9, 0, 0, 1.0)),  # outside [0.5 s + tol, 9.5 s - tol]
        (np.r_[REF, 4712], (9, 1, 0, 0.7)),  # before 9.5 s - 37.5 samples: counted
        (np.r_[REF, 4713], (9, 0, 0, 1.0)),
        (REF + 37, (9, 0, 0, 1.0)),
        # exactly at the tolerance: a TP and (official quirk) also an FP in the following gap
        (REF + 37.5, (9, 8, 0, 0.0)),
        (REF + 38, (0, 8, 9, 0.0)),  # r0 + 38 lies in the unchecked gap
    ],
)
def test_cpsc2019_hand_cases(pred: np.ndarray, expected: tuple[int, int, int, float]) -> None:
    assert cpsc2019_record_score(REF, pred, FS) == expected


def test_cpsc2019_reference_filter_and_mean() -> None:
    ref = np.r_[100, REF, 4800]  # refs outside [0.5 s, 9.5 s] are ignored
    assert cpsc2019_record_score(ref, REF, FS)[3] == 1.0
    assert cpsc2019_score([REF, REF, REF], [REF, REF[1:], np.r_[REF, 1150]], FS) == pytest.approx(
        (1.0 + 0.3 + 0.7) / 3
    )
    with pytest.raises(ValueError, match="the same number of records"):
        cpsc2019_score([REF], [], FS)
    with pytest.raises(ValueError, match=r"fs must be a finite sampling rate in \[1, 100000\] Hz"):
        cpsc2019_score([REF], [REF], 0)


def test_matching_equals_wfdb_on_random_cases() -> None:
    wfdb_eval = pytest.importorskip("wfdb.processing")
    rng = np.random.default_rng(0)
    for _ in range(40):
        ref = np.unique(rng.integers(0, 5000, 30))
        jitter = rng.integers(-40, 40, ref.size)
        test = np.unique(
            np.r_[(ref + jitter)[rng.random(ref.size) < 0.9], rng.integers(0, 5000, 5)]
        )
        cmp = wfdb_eval.compare_annotations(ref, test, 36)
        got = RPeaksDetectionMetrics(fs=FS, tolerance_s=36 / FS).match([ref], [test])
        assert (got.tp, got.fp, got.fn) == (cmp.tp, cmp.fp, cmp.fn)


def test_metrics_counts_and_errors() -> None:
    m = RPeaksDetectionMetrics(fs=FS, tolerance_s=0.05)
    res = m.compute([REF], [np.r_[REF[:-1] + 5, 4000]])
    assert (res["tp"], res["fp"], res["fn"]) == (8, 1, 1)
    assert res["sensitivity"] == pytest.approx(8 / 9) and res["ppv"] == pytest.approx(8 / 9)
    assert res["mean_error_ms"] == pytest.approx(10.0) and res["sd_error_ms"] == pytest.approx(0.0)
    assert res["cpsc2019_score"] == 0.0
    with pytest.raises(ValueError, match="tolerance_s"):
        RPeaksDetectionMetrics(fs=FS, tolerance_s=-1)


@pytest.mark.data
def test_matching_equals_wfdb_on_mitdb(sample_data: Path) -> None:
    wfdb = pytest.importorskip("wfdb")
    from wfdb import processing

    ann = wfdb.rdann(str(sample_data / "mitdb" / "100"), "atr")
    beats = np.array(
        [s for s, sym in zip(ann.sample, ann.symbol, strict=True) if sym in "NLRBAaJSVrFejnE/fQ?"]
    )
    rng = np.random.default_rng(1)
    test = np.unique(
        np.r_[
            (beats + rng.integers(-20, 20, beats.size))[rng.random(beats.size) < 0.98],
            beats[::50] + 100,
        ]
    )
    cmp = processing.compare_annotations(beats, test, int(0.05 * 360))
    got = RPeaksDetectionMetrics(fs=360, tolerance_s=0.05).match([beats], [test])
    assert (got.tp, got.fp, got.fn) == (cmp.tp, cmp.fp, cmp.fn)


@pytest.mark.parametrize(("fs", "tol_s"), [(100.0, 0.07), (360.0, 0.15), (500.0, 0.07)])
def test_pooled_metrics_follow_ecg_signal_on_the_settled_cases(fs: float, tol_s: float) -> None:
    m = RPeaksDetectionMetrics(fs=fs, tolerance_s=tol_s)
    empty = m.compute([[], []], [[], []])
    assert (empty["tp"], empty["fp"], empty["fn"]) == (0, 0, 0)
    assert empty["sensitivity"] == empty["ppv"] == empty["f1"] == 1.0
    assert empty["cpsc2019_score"] == 1.0
    window = round(tol_s * fs)  # 0.07 s at 100 Hz is 7 samples: 7 off is outside
    ref = (np.array([1.0, 2.0, 3.0]) * fs).astype(np.int64)
    assert m.match([ref], [ref + window]).tp == 0
    assert m.match([ref], [ref + window - 1]).tp == 3
    with pytest.raises(ValueError, match="non-decreasing"):
        m.match([ref[::-1]], [ref])
