"""Scores outside their domain: CPSC2021 episodes the official score_2021 code cannot index are
refused, and ClassificationMetrics offers both averaging conventions for undefined values
(scikit-learn's zeros, the official CinC code's omission)."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_train.metrics.classification import ClassificationMetrics
from ecg_train.metrics.cpsc2021 import check_endpoints, cpsc2021_record_score

BEATS = np.arange(20) * 100
LEN = 2000


def _score(pred: object) -> float:
    return cpsc2021_record_score(
        pred, beat_loc=BEATS, af_starts=[5], af_ends=[10], class_true=2, len_sig=LEN
    ).u


@pytest.mark.parametrize(
    ("pred", "match"),
    [
        ([[500, LEN]], r"end=2000 lies outside the record's samples \[0, 1999\]"),
        ([[500, LEN + 7]], r"end=2007 lies outside"),
        ([[-1, 1000]], r"start=-1 lies outside"),
        ([[500, 1000.5]], r"end must be a whole sample index"),
        ([[500.25, 1000]], r"start must be a whole sample index"),
        ([[500, float("nan")]], r"end must be a whole sample index"),
        ([[500, float("inf")]], r"end must be a whole sample index"),
        ([[1000, 500]], r"start=1000 must not exceed end=500"),
        ([[1, 2, 3]], r"shape \(n, 2\)"),
        ([["a", "b"]], r"numbers"),
    ],
)
def test_cpsc2021_refuses_episodes_the_official_code_cannot_index(pred: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _score(pred)


def test_cpsc2021_accepts_every_index_of_the_record() -> None:
    assert _score([[500, 1000]]) == pytest.approx(3.0)
    assert _score([[500.0, 1000.0]]) == pytest.approx(3.0)  # whole floats are indices
    assert _score(np.array([500, 1000])) == pytest.approx(3.0)  # one episode, flat
    assert _score([[0, LEN - 1]]) == pytest.approx(0.0)  # the last sample is valid
    assert check_endpoints([], LEN).shape == (0, 2)


# class 2 is neither present nor predicted; class 1 is present but never predicted
LABELS = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [1, 0, 0]])
SCORES = np.array([[0.9, 0.2, 0.1], [0.8, 0.4, 0.2], [0.3, 0.3, 0.1], [0.7, 0.1, 0.3]])


def test_zero_convention_matches_scikit_learn() -> None:
    from sklearn.metrics import average_precision_score, f1_score

    res = ClassificationMetrics(multi_label=True).compute(LABELS, SCORES)
    pred = SCORES >= 0.5
    assert res.macro["f1"] == pytest.approx(
        f1_score(LABELS, pred, average="macro", zero_division=0)
    )
    ap = [average_precision_score(LABELS[:, c], SCORES[:, c]) for c in (0, 1)]
    assert res.per_class["auprc"][2] == 0.0
    assert res.macro["auprc"] == pytest.approx((ap[0] + ap[1] + 0.0) / 3)


def test_omit_convention_leaves_undefined_classes_out_as_the_cinc_code() -> None:
    res = ClassificationMetrics(multi_label=True, undefined="omit").compute(LABELS, SCORES)
    # by hand: F1 = 2tp / (2tp + fp + fn); class 0: tp 3 -> 1; class 1: tp 0, fn 2 -> 0;
    # class 2: 2tp + fp + fn = 0 -> undefined, left out: macro F1 = (1 + 0) / 2
    assert np.isnan(res.per_class["f1"][2])
    assert res.per_class["f1"][:2].tolist() == [1.0, 0.0]
    assert res.macro["f1"] == pytest.approx(0.5)
    # AUPRC: class 2 has no positive -> NaN, left out (official: tpr is NaN at every threshold)
    assert np.isnan(res.per_class["auprc"][2])
    # class 0: positives rank 1, 2, 3 (0.9, 0.8, 0.7) above the negative 0.3 -> 1.0
    # class 1: 0.4 (pos), 0.3 (pos), 0.2, 0.1 -> 1.0
    assert res.macro["auprc"] == pytest.approx(1.0)
    zero = ClassificationMetrics(multi_label=True).compute(LABELS, SCORES)
    assert zero.macro["f1"] == pytest.approx(1 / 3)
    assert zero.macro["auprc"] == pytest.approx(2 / 3)


def test_undefined_is_checked() -> None:
    with pytest.raises(ValueError, match="undefined must be one of zero, omit; got 'nan'"):
        ClassificationMetrics(undefined="nan")
