"""CinC 2017 challenge score against a hand-worked example of score2017Challenge.m."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import f1_score

from ecg_train import cinc2017_confusion, cinc2017_score


def test_hand_example() -> None:
    ref = ["N", "N", "N", "A", "A", "O", "O", "~"]
    ans = ["N", "N", "O", "A", "N", "O", "~", "~"]
    m = cinc2017_confusion(ref, ans)
    expect = np.array([[2, 0, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    np.testing.assert_array_equal(m, expect)
    s = cinc2017_score(ref, ans)
    # F1n = 2*2/(3+3) = 2/3; F1a = 2*1/(2+1) = 2/3; F1o = 2*1/(2+2) = 1/2; F1p = 2*1/(1+2) = 2/3
    assert s["f1_normal"] == pytest.approx(2 / 3)
    assert s["f1_af"] == pytest.approx(2 / 3)
    assert s["f1_other"] == pytest.approx(1 / 2)
    assert s["f1_noisy"] == pytest.approx(2 / 3)
    assert s["f1"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 2) / 3)  # noisy not averaged
    assert s["confusion"] == expect.tolist()


def test_matches_sklearn_per_class_f1() -> None:
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 4, 300)
    ans = np.where(rng.random(300) < 0.6, ref, rng.integers(0, 4, 300))
    s = cinc2017_score(ref, ans)
    per = f1_score(ref, ans, labels=[0, 1, 2, 3], average=None)
    got = [s["f1_normal"], s["f1_af"], s["f1_other"], s["f1_noisy"]]
    np.testing.assert_allclose(got, per)
    assert s["f1"] == pytest.approx(per[:3].mean())


def test_mappings_missing_answer_is_noise() -> None:
    ref = {"A0001": "N", "A0002": "A", "A0003": "~"}
    with pytest.warns(UserWarning, match="counted as noise"):
        m = cinc2017_confusion(ref, {"A0001": "N", "A0002": "A"})
    assert m[3, 3] == 1 and m.sum() == 3


def test_errors_and_nan() -> None:
    with pytest.raises(ValueError, match="not one of"):
        cinc2017_score(["N", "A"], ["N", "X"])
    with pytest.raises(ValueError, match="align"):
        cinc2017_score(["N", "A"], ["N"])
    s = cinc2017_score(["N", "A"], ["N", "A"])
    assert math.isnan(s["f1_other"]) and math.isnan(s["f1"])
