"""The RR head of the cinc2017 case: RR-interval features of the records (ecg-signal's
``rr_features`` on the raw 300 Hz signal, cached on disk) and the multinomial logistic
regression over the network's log-probabilities and those features, fitted on the
validation records (the network's outputs on its training records are overconfident)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

__all__ = ["fit_rr_head", "record_features"]

_VERSION = "rr_features v1"


def record_features(ds: Any, records: Sequence[str]) -> npt.NDArray[np.float64]:
    """The RR feature vectors ``(len(records), F)`` of ``records`` of a ``CINC2017Dataset``.

    Each vector is computed from the record at the reader's native rate and kept in the
    Dataset's disk cache (``<cache>/datasets/cinc2017_rr``) when the Dataset caches.
    """
    from ecg_data.datasets._common import cached_array, dataset_cache, record_description
    from ecg_data.readers.cinc2017 import CINC2017_INFO
    from ecg_signal.rr_intervals import rr_features

    reader = ds.reader
    cfg = ds.config
    cache = dataset_cache(cfg.use_cache, cfg.cache_dir, "cinc2017_rr", cfg.db_dir)
    fs = float(CINC2017_INFO.fs)  # the reader's records are at the database's rate
    out = []
    for rec in records:

        def compute(rec: str = rec) -> npt.NDArray[np.float32]:
            sig = np.asarray(reader.load_data(rec), dtype=np.float64).reshape(-1)
            return rr_features(sig, fs).astype(np.float32)

        desc = record_description(reader, rec, fs, ["I"], _VERSION)
        out.append(np.asarray(cached_array(cache, desc, compute), dtype=np.float64))
    return np.asarray(out, dtype=np.float64).reshape(len(records), -1)


def _check_xy(x: npt.NDArray[np.float64], y: npt.NDArray[np.int64], what: str) -> None:
    if x.ndim != 2 or y.shape != (len(x),) or not len(x):
        raise ValueError(
            f"{what}: inputs {x.shape} and labels {y.shape} must be (n, d) and (n,), n > 0"
        )


def _lbfgs(params: list[torch.Tensor], loss_fn: Any, rounds: int = 5) -> None:
    opt = torch.optim.LBFGS(
        params,
        lr=1.0,
        max_iter=500,
        tolerance_grad=1e-9,
        tolerance_change=1e-12,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss: torch.Tensor = loss_fn()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    for _ in range(rounds):
        opt.step(closure)  # type: ignore[no-untyped-call]


def fit_logistic(
    z: npt.NDArray[np.float64], labels: Any, *, l2: float, n_classes: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Multinomial logistic regression by full-batch L-BFGS: ``(weight (k, d), bias (k,))``
    minimising ``mean cross-entropy + l2 * sum(weight**2)`` (the bias is not penalised): the
    objective of scikit-learn's ``LogisticRegression(C=1 / (2 * l2 * n))`` divided by ``n``."""
    x = np.asarray(z, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    _check_xy(x, y, "logistic regression")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    weight = torch.zeros((n_classes, x.shape[1]), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)

    def loss() -> torch.Tensor:
        ce = torch.nn.functional.cross_entropy(xt @ weight.T + bias, yt)
        return ce + l2 * (weight**2).sum()

    _lbfgs([weight, bias], loss)
    return weight.detach().numpy(), bias.detach().numpy()


def fit_rr_head(
    probs: npt.NDArray[np.float64],
    features: npt.NDArray[np.float64],
    labels: Sequence[int] | npt.NDArray[np.int64],
    train_features: npt.NDArray[np.float64],
    train_labels: Sequence[int] | npt.NDArray[np.int64],
    *,
    l2: float,
    feature_l2: float,
    hidden: int,
    seed: int,
    feature_names: Sequence[str],
) -> dict[str, Any]:
    """Fit the RR head: its feature network on the training records, its logistic regression
    on the validation records.

    The feature network ``F -> hidden (ReLU) -> classes`` is fitted by full-batch L-BFGS on
    the standardised RR features of the training records (mean cross-entropy +
    ``feature_l2`` * sum of squared weights; init seeded by ``seed``); the network's outputs
    on its own training records are overconfident, so the logistic regression over
    ``[log(probs + RR_HEAD_EPS), rr_log_probs]`` is fitted on the validation records
    (:func:`fit_logistic` with ``l2``).

    Args:
        probs: the network's probabilities on the validation records ``(n, classes)``.
        features: their feature vectors ``(n, F)``; labels: their class indices ``(n,)``.
        train_features, train_labels: the training records' ``(m, F)`` and ``(m,)``.
        l2, feature_l2: weight penalties (>= 0); hidden: hidden units (>= 1).
        seed: seed of the feature network's initial weights.
        feature_names: names of the ``F`` features.

    Returns:
        the head mapping of ``ecg_models.pretrained.cinc2017.apply_rr_head`` (lists).
    """
    from ecg_models.pretrained._rr_head import RR_HEAD_EPS, rr_log_probs

    p = np.asarray(probs, dtype=np.float64)
    f = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    ft = np.asarray(train_features, dtype=np.float64)
    yt = np.asarray(train_labels, dtype=np.int64)
    _check_xy(f, y, "validation features")
    _check_xy(ft, yt, "training features")
    if p.shape != (len(f), p.shape[-1]) or p.ndim != 2:
        raise ValueError(f"probs {p.shape} must be (n, classes) with n = {len(f)}")
    if len(feature_names) != f.shape[1] or ft.shape[1] != f.shape[1]:
        raise ValueError(f"{len(feature_names)} feature names for {f.shape[1]} features")
    if feature_l2 < 0 or hidden < 1:
        raise ValueError(f"feature_l2 must be >= 0 and hidden >= 1, got {feature_l2}, {hidden}")
    k = p.shape[1]
    mean = ft.mean(0)
    scale = ft.std(0)
    scale[scale <= 0] = 1.0
    zt = torch.from_numpy((ft - mean) / scale)
    gen = torch.Generator().manual_seed(int(seed))
    lim1, lim2 = 1 / np.sqrt(ft.shape[1]), 1 / np.sqrt(hidden)
    w1 = (torch.rand((hidden, ft.shape[1]), generator=gen, dtype=torch.float64) * 2 - 1) * lim1
    w2 = (torch.rand((k, hidden), generator=gen, dtype=torch.float64) * 2 - 1) * lim2
    b1 = torch.zeros(hidden, dtype=torch.float64)
    b2 = torch.zeros(k, dtype=torch.float64)
    params = [t.requires_grad_() for t in (w1, b1, w2, b2)]
    target = torch.from_numpy(yt)

    def loss() -> torch.Tensor:
        logits = torch.relu(zt @ w1.T + b1) @ w2.T + b2
        ce = torch.nn.functional.cross_entropy(logits, target)
        out: torch.Tensor = ce + feature_l2 * ((w1**2).sum() + (w2**2).sum())
        return out

    _lbfgs(params, loss, rounds=4)
    head: dict[str, Any] = {
        "features": list(feature_names),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "w1": w1.detach().numpy().tolist(),
        "b1": b1.detach().numpy().tolist(),
        "w2": w2.detach().numpy().tolist(),
        "b2": b2.detach().numpy().tolist(),
        "weight": np.zeros((k, 2 * k)).tolist(),
        "bias": np.zeros(k).tolist(),
    }
    z = np.concatenate([np.log(p + RR_HEAD_EPS), rr_log_probs(head, f)], axis=1)
    weight, bias = fit_logistic(z, y, l2=l2, n_classes=k)
    head.update(
        weight=weight.tolist(),
        bias=bias.tolist(),
        l2=float(l2),
        feature_l2=float(feature_l2),
        n_fit=int(len(y)),
        n_fit_features=int(len(yt)),
    )
    return head
