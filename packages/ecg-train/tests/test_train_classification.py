"""ClassificationMetrics against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from ecg_train.metrics._ranking import average_precision, roc_auc
from ecg_train.metrics.classification import ClassificationMetrics


def _multilabel(seed: int, n: int = 200, c: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.random((n, c)) < 0.3
    labels[0], labels[1] = True, False
    scores = np.clip(labels * 0.3 + rng.random((n, c)) * 0.7, 0, 1)
    scores = np.round(scores, 2)  # ties exercise the threshold handling
    return labels.astype(int), scores


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ranking_matches_sklearn_exactly(seed: int) -> None:
    y, s = _multilabel(seed)
    for c in range(y.shape[1]):
        assert roc_auc(y[:, c].astype(bool), s[:, c]) == skm.roc_auc_score(y[:, c], s[:, c])
        assert average_precision(y[:, c].astype(bool), s[:, c]) == skm.average_precision_score(
            y[:, c], s[:, c]
        )


def test_ranking_undefined_cases() -> None:
    assert np.isnan(roc_auc(np.ones(4, bool), np.arange(4.0)))
    with pytest.warns(UserWarning, match="No positive class"):
        ref = skm.average_precision_score(np.zeros(4), np.arange(4.0))
    assert average_precision(np.zeros(4, bool), np.arange(4.0)) == ref


def test_multilabel_matches_sklearn() -> None:
    y, s = _multilabel(3)
    res = ClassificationMetrics(multi_label=True, beta=2.0, threshold=0.5).compute(y, s)
    pred = (s >= 0.5).astype(int)
    kw = {"zero_division": 0}
    for avg in ("macro", "micro"):
        got = res.macro if avg == "macro" else res.micro
        assert got["sensitivity"] == pytest.approx(skm.recall_score(y, pred, average=avg, **kw))
        assert got["precision"] == pytest.approx(skm.precision_score(y, pred, average=avg, **kw))
        assert got["f1"] == pytest.approx(skm.f1_score(y, pred, average=avg, **kw))
        assert got["f_beta"] == pytest.approx(skm.fbeta_score(y, pred, beta=2.0, average=avg, **kw))
        assert got["auroc"] == pytest.approx(skm.roc_auc_score(y, s, average=avg), abs=1e-12)
        assert got["auprc"] == pytest.approx(
            skm.average_precision_score(y, s, average=avg), abs=1e-12
        )
    np.testing.assert_allclose(res.per_class["f1"], skm.f1_score(y, pred, average=None))
    assert res.accuracy == skm.accuracy_score(y, pred)
    # specificity = recall of the negative class
    for c in range(y.shape[1]):
        spec = skm.recall_score(1 - y[:, c], 1 - pred[:, c])
        assert res.per_class["specificity"][c] == pytest.approx(spec)
    # G-beta by hand (CinC 2020): tp / (tp + fp + 2 fn)
    tp = ((y == 1) & (pred == 1)).sum(0)
    fp = ((y == 0) & (pred == 1)).sum(0)
    fn = ((y == 1) & (pred == 0)).sum(0)
    np.testing.assert_allclose(res.per_class["g_beta"], tp / (tp + fp + 2 * fn))
    flat = res.to_dict()
    assert flat["macro_f1"] == res.macro["f1"] and "f1/0" in flat


def test_multiclass_matches_sklearn() -> None:
    rng = np.random.default_rng(7)
    n, c = 150, 3
    y = rng.integers(0, c, n)
    logits = rng.normal(size=(n, c)) + np.eye(c)[y] * 1.0
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    res = ClassificationMetrics(multi_label=False, classes=["N", "AF", "O"]).compute(y, p)
    pred = p.argmax(1)
    assert res.accuracy == pytest.approx(skm.accuracy_score(y, pred))
    assert res.micro["f1"] == pytest.approx(skm.f1_score(y, pred, average="micro"))
    assert res.macro["f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert res.macro["sensitivity"] == pytest.approx(skm.recall_score(y, pred, average="macro"))
    assert res.macro["auroc"] == pytest.approx(
        skm.roc_auc_score(y, p, multi_class="ovr", average="macro"), abs=1e-12
    )
    assert res.to_dict()["f1/AF"] == pytest.approx(skm.f1_score(y, pred, average=None)[1])


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="beta"):
        ClassificationMetrics(beta=0)
    with pytest.raises(ValueError, match="threshold"):
        ClassificationMetrics(threshold=2.0)
    m = ClassificationMetrics(multi_label=True)
    with pytest.raises(ValueError, match="does not match"):
        m.compute(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="multi-label"):
        m.compute(np.zeros(3), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="class names"):
        ClassificationMetrics(classes=["a"]).compute(np.zeros((3, 2)), np.zeros((3, 2)))
