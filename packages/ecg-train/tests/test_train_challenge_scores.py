"""CinC 2020/2021 challenge metric, CPSC2021 and CPSC2020 scores against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_train.metrics.challenge2020 import (
    cinc2021_classes,
    cinc2021_weights,
    codes_to_labels,
    compute_challenge_metric,
    modified_confusion_matrix,
)
from ecg_train.metrics.cpsc2020 import cpsc2020_record_counts, cpsc2020_score
from ecg_train.metrics.cpsc2021 import (
    cpsc2021_record_score,
    cpsc2021_score,
    endpoint_score_ranges,
)

W3 = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.4], [0.2, 0.4, 1.0]])
C3 = ["A", "426783006", "B"]


def test_challenge_metric_hand_example() -> None:
    labels = np.array([[1, 0, 0], [1, 0, 1], [0, 1, 0]])
    outputs = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 1]])
    a = modified_confusion_matrix(labels, outputs)
    np.testing.assert_allclose(a, [[1.5, 0, 0], [0, 0, 0.5], [0.5, 0, 0]])
    # observed 1.8, correct 3.2, inactive (normal only) 0.25 + 0.3 + 1 = 1.55 (derivation in docs)
    score = compute_challenge_metric(labels, outputs, W3, C3)
    assert score == pytest.approx((1.8 - 1.55) / (3.2 - 1.55))
    assert compute_challenge_metric(labels, labels, W3, C3) == pytest.approx(1.0)
    normal = np.zeros_like(labels)
    normal[:, 1] = 1
    assert compute_challenge_metric(labels, normal, W3, C3) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="normal class"):
        compute_challenge_metric(labels, outputs, W3, ["A", "N", "B"])
    with pytest.raises(ValueError, match="weights must be"):
        compute_challenge_metric(labels, outputs, np.eye(2), C3)


def test_embedded_2021_table() -> None:
    classes, w = cinc2021_classes(), cinc2021_weights()
    assert len(classes) == 26 and w.shape == (26, 26)
    np.testing.assert_array_equal(w, w.T)
    np.testing.assert_array_equal(np.diag(w), 1.0)
    assert "713427006|59118001" in classes and "426783006" in classes
    af, afl, nsr = (
        classes.index("164889003"),
        classes.index("164890007"),
        classes.index("426783006"),
    )
    assert w[af, afl] == 0.5 and w[af, nsr] == 0.25
    # equivalent codes share a column; unscored codes are ignored
    lab = codes_to_labels([["59118001", "999"], ["713427006", "426783006"]])
    rbbb = classes.index("713427006|59118001")
    assert lab[0, rbbb] and lab[1, rbbb] and lab[1, nsr] and lab.sum() == 3
    rng = np.random.default_rng(0)
    labels = rng.random((30, 26)) < 0.1
    assert compute_challenge_metric(labels, labels) == pytest.approx(1.0)
    noisy = labels ^ (rng.random((30, 26)) < 0.05)
    assert compute_challenge_metric(labels, noisy) < 1.0


BEATS = np.arange(20) * 100  # 20 beats, 100 samples apart
LEN = 2000


def _paf(pred: list[list[int]]) -> float:
    return cpsc2021_record_score(
        np.array(pred).reshape(-1, 2),
        beat_loc=BEATS,
        af_starts=[5],
        af_ends=[10],
        class_true=2,
        len_sig=LEN,
    ).u


def test_cpsc2021_score_ranges_by_hand() -> None:
    onset, offset = endpoint_score_ranges(BEATS, [5], [10], 2, LEN)
    assert onset[400] == onset[699] == 1 and onset[300] == onset[700] == 0.5 and onset[800] == 0
    assert (
        offset[800] == offset[1099] == 1
        and offset[1100] == offset[700] == 0.5
        and offset[1200] == 0
    )


@pytest.mark.parametrize(
    ("pred", "expected"),
    [
        ([[500, 1000]], 1 + 2),  # exact endpoints
        ([[350, 1150]], 1 + 1),  # both within +-2 beats: 0.5 + 0.5
        ([[500, 1000], [1500, 1600]], 1 + 2 * 1 / 2),  # a spurious episode halves Ue
        ([], -1),  # R[2, 0]
        ([[0, LEN - 1]], 0),  # predicted persistent: R[2, 1] = 0, endpoints far off
    ],
)
def test_cpsc2021_paroxysmal_cases(pred: list[list[int]], expected: float) -> None:
    assert _paf(pred) == pytest.approx(expected)


def test_cpsc2021_other_classes() -> None:
    normal = cpsc2021_record_score(
        np.zeros((0, 2)), beat_loc=BEATS, af_starts=[], af_ends=[], class_true=0, len_sig=LEN
    )
    assert normal.u == 1 and normal.ue == 0
    wrong = cpsc2021_record_score(
        [[0, LEN - 1]], beat_loc=BEATS, af_starts=[], af_ends=[], class_true=0, len_sig=LEN
    )
    assert wrong.u == -1
    persistent = cpsc2021_record_score(
        [[0, LEN - 1]], beat_loc=BEATS, af_starts=[0], af_ends=[19], class_true=1, len_sig=LEN
    )
    assert (persistent.class_pred, persistent.ur, persistent.ue) == (1, 1.0, 2.0)
    assert cpsc2021_score([normal, wrong, persistent]) == pytest.approx((1 - 1 + 3) / 3)


def test_cpsc2020_by_hand() -> None:
    c = cpsc2020_record_counts([1000, 2000], [1050, 2100, 5000], fs=400)
    assert (c.tp, c.fp, c.fn, c.score) == (1, 2, 1, -7)
    assert cpsc2020_record_counts([], [10]).score == -1
    assert cpsc2020_record_counts([1000, 1040], [1020]).score == 1  # official rule: fp = preds - tp
    assert cpsc2020_record_counts([1000], [1060]).tp == 1  # 0.15 s inclusive at 400 Hz
    s, v = cpsc2020_score([[1000, 2000], []], [[], [300]], [[1050, 2100, 5000], []], [[10], [300]])
    assert (s, v) == (-7, -1)
    with pytest.raises(ValueError, match="one entry per record"):
        cpsc2020_score([[1]], [], [], [])
