"""The RR head of the AF classifier against hand-derived values."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_models.pretrained._rr_head import apply_rr_head, check_rr_head
from ecg_signal.rr_intervals import RR_FEATURES


def _head(weight: np.ndarray, bias: np.ndarray, w2: np.ndarray | None = None) -> dict:
    n_f = len(RR_FEATURES)
    w1 = np.zeros((2, n_f))
    w1[0, 0] = 1.0  # hidden unit 0 = relu(feature 0), unit 1 = 0
    return {
        "features": list(RR_FEATURES),
        "mean": [0.0] * n_f,
        "scale": [1.0] * n_f,
        "w1": w1.tolist(),
        "b1": [0.0, 0.0],
        "w2": (np.zeros((4, 2)) if w2 is None else w2).tolist(),
        "b2": [0.0] * 4,
        "weight": weight.tolist(),
        "bias": bias.tolist(),
    }


def test_apply_rr_head() -> None:
    n_f = len(RR_FEATURES)
    probs = np.array([[0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.4, 0.1]])
    feats = np.ones((2, n_f))
    # weight I on the network's log-probabilities, 0 on the feature network's
    ident = np.hstack([np.eye(4), np.zeros((4, 4))])
    got = apply_rr_head(_head(ident, np.zeros(4)), probs, feats, eps=0.0)
    np.testing.assert_allclose(got, probs, atol=1e-12)
    # feature network: logits (0, 2 relu(f0), 0, 0), f0 = 1; weight I on its log-probabilities
    w2 = np.zeros((4, 2))
    w2[1, 0] = 2.0
    other = np.hstack([np.zeros((4, 4)), np.eye(4)])
    got = apply_rr_head(_head(other, np.array([0.0, 0.0, 1.0, 0.0]), w2), probs[0], feats[0])
    q = np.exp([0.0, 2.0, 0.0, 0.0])
    e = (q / q.sum()) * np.exp([0.0, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(got, e / e.sum(), atol=1e-12)
    with pytest.raises(ValueError, match="lacks"):
        check_rr_head({"features": list(RR_FEATURES)}, 4)
    with pytest.raises(ValueError, match="'bias' must be finite of shape"):
        apply_rr_head(_head(ident, np.zeros(3)), probs, feats)
    with pytest.raises(ValueError, match="do not match"):
        apply_rr_head(_head(ident, np.zeros(4)), probs, feats[:, :3])
