"""The RR head of the cinc2017 case: its logistic regression against scikit-learn's, and the
fitted head on a problem where the RR features carry the class."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from ecg_benchmarks.cases._cinc2017_head import fit_logistic, fit_rr_head
from ecg_models.pretrained.cinc2017 import apply_rr_head
from ecg_signal.rr_intervals import RR_FEATURES


def _problem(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    logits = rng.normal(0, 1, (n, 4)) + 1.0 * np.eye(4)[y]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    feats = rng.normal(0, 1, (n, len(RR_FEATURES))) * np.linspace(0.1, 5, len(RR_FEATURES))
    feats[:, 3] += 4.0 * (y == 1) - 4.0 * (y == 2)  # "rr_cv" tells A and O apart
    return probs, feats, y


@pytest.mark.parametrize("l2", [0.01, 0.1])
def test_fit_logistic_matches_sklearn(l2: float) -> None:
    probs, feats, y = _problem()
    z = np.hstack([np.log(probs), (feats - feats.mean(0)) / feats.std(0)])
    weight, bias = fit_logistic(z, y, l2=l2, n_classes=4)
    logits = z @ weight.T + bias
    got = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    ref = LogisticRegression(C=1 / (2 * l2 * len(y)), tol=1e-10, max_iter=10000).fit(z, y)
    np.testing.assert_allclose(got, ref.predict_proba(z), atol=2e-4)


def test_fit_rr_head_uses_the_features() -> None:
    probs, feats, y = _problem(400, seed=1)
    tr_p, tr_f, tr_y = _problem(600, seed=2)
    head = fit_rr_head(
        probs,
        feats,
        y,
        tr_f,
        tr_y,
        l2=0.001,
        feature_l2=0.001,
        hidden=8,
        seed=0,
        feature_names=RR_FEATURES,
    )
    assert head["n_fit"] == 400 and head["n_fit_features"] == 600
    np.testing.assert_allclose(head["mean"], tr_f.mean(0))
    test_p, test_f, test_y = _problem(400, seed=3)
    net_acc = (test_p.argmax(1) == test_y).mean()
    got = apply_rr_head(head, test_p, test_f)
    acc = (got.argmax(1) == test_y).mean()
    assert acc > net_acc + 0.1  # A and O told apart by the feature
    np.testing.assert_allclose(got.sum(1), 1.0)
    with pytest.raises(ValueError, match="feature names"):
        fit_rr_head(
            probs,
            feats,
            y,
            tr_f,
            tr_y,
            l2=0.1,
            feature_l2=0.1,
            hidden=8,
            seed=0,
            feature_names=RR_FEATURES[:3],
        )


def test_fit_errors() -> None:
    probs, feats, y = _problem(20)
    with pytest.raises(ValueError, match="must be"):
        fit_logistic(feats, y[:5], l2=0.1, n_classes=4)
    with pytest.raises(ValueError, match="l2 must be"):
        fit_logistic(feats, y, l2=-1.0, n_classes=4)
