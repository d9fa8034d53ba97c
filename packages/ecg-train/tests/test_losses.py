"""Losses against hand-computed values and against torch's BCE / CE where they coincide."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from ecg_train import (
    AsymmetricLoss,
    FocalLoss,
    MaskedBCEWithLogitsLoss,
    WeightedCrossEntropyLoss,
    asymmetric_loss,
    class_weights,
    focal_loss,
    masked_bce_with_logits,
    weighted_cross_entropy,
)


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.fixture
def ml() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 7, 3, generator=g, dtype=torch.float64) * 2
    target = (torch.rand(4, 7, 3, generator=g) > 0.6).double()
    return logits, target


@pytest.fixture
def mc() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(9, 4, generator=g, dtype=torch.float64) * 2
    target = torch.randint(0, 4, (9,), generator=g)
    return logits, target


# ---------------------------------------------------------------- masked BCE


def test_masked_bce_hand_value() -> None:
    logits = torch.tensor([[0.0, 2.0], [-1.0, 3.0]])
    target = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    mask = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    # elements kept: log 2, -log(1 - sigmoid(-1)) = log(1 + e^-1), -log sigmoid(3)
    expect = (math.log(2) + math.log(1 + math.exp(-1)) + math.log(1 + math.exp(-3))) / 3
    assert float(masked_bce_with_logits(logits, target, mask)) == pytest.approx(expect, rel=1e-6)


def test_masked_bce_ones_mask_is_torch_bce(ml: tuple[torch.Tensor, torch.Tensor]) -> None:
    logits, target = ml
    ones = torch.ones_like(logits)
    for red in ("mean", "sum", "none"):
        torch.testing.assert_close(
            masked_bce_with_logits(logits, target, ones, reduction=red),
            F.binary_cross_entropy_with_logits(logits, target, reduction=red),
        )
    pw = torch.tensor([1.0, 3.0, 0.5], dtype=torch.float64)
    torch.testing.assert_close(
        MaskedBCEWithLogitsLoss(pos_weight=pw.tolist())(logits, target, ones),
        F.binary_cross_entropy_with_logits(logits, target, pos_weight=pw),
    )


def test_masked_bce_mean_over_kept_elements(ml: tuple[torch.Tensor, torch.Tensor]) -> None:
    logits, target = ml
    mask = torch.zeros_like(logits)
    mask[:, :3] = 1
    got = masked_bce_with_logits(logits, target, mask)
    ref = F.binary_cross_entropy_with_logits(logits[:, :3], target[:, :3])
    torch.testing.assert_close(got, ref)
    assert float(masked_bce_with_logits(logits, target, torch.zeros_like(logits))) == 0.0


def test_masked_bce_errors() -> None:
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="mask must have the shape"):
        masked_bce_with_logits(x, x, torch.ones(2, 4))
    with pytest.raises(ValueError, match=">= 0"):
        masked_bce_with_logits(x, x, -torch.ones(2, 3))
    with pytest.raises(ValueError, match="reduction"):
        masked_bce_with_logits(x, x, x, reduction="avg")
    with pytest.raises(ValueError, match="pos_weight"):
        masked_bce_with_logits(x, x, x, pos_weight=[1.0, 2.0])


# ---------------------------------------------------------------- focal


def test_focal_hand_value_multilabel() -> None:
    # logit 1, target 1: p = sigmoid(1); -(1 - p)^2 log p ; logit 1, target 0: -p^2 log(1 - p)
    p = _sig(1.0)
    pos = -((1 - p) ** 2) * math.log(p)
    neg = -(p**2) * math.log(1 - p)
    got = focal_loss(torch.tensor([1.0, 1.0]), torch.tensor([1.0, 0.0]), reduction="none")
    torch.testing.assert_close(got, torch.tensor([pos, neg], dtype=torch.float32))
    got_a = focal_loss(torch.tensor([1.0, 1.0]), torch.tensor([1.0, 0.0]), alpha=0.25)
    assert float(got_a) == pytest.approx((0.25 * pos + 0.75 * neg) / 2, rel=1e-6)


def test_focal_hand_value_multiclass() -> None:
    logits = torch.tensor([[0.0, math.log(3.0)]])  # softmax = (1/4, 3/4)
    got = focal_loss(logits, torch.tensor([1]), gamma=2.0)
    assert float(got) == pytest.approx(-(0.25**2) * math.log(0.75), rel=1e-6)
    got_w = focal_loss(logits.repeat(2, 1), torch.tensor([1, 0]), gamma=1.0, alpha=[2.0, 1.0])
    expect = (2.0 * 0.75 * -math.log(0.25) + 1.0 * 0.25 * -math.log(0.75)) / 3.0
    assert float(got_w) == pytest.approx(expect, rel=1e-6)


def test_focal_gamma0_is_bce_and_ce(
    ml: tuple[torch.Tensor, torch.Tensor], mc: tuple[torch.Tensor, torch.Tensor]
) -> None:
    logits, target = ml
    torch.testing.assert_close(
        focal_loss(logits, target, gamma=0.0),
        F.binary_cross_entropy_with_logits(logits, target),
    )
    logits, idx = mc
    w = torch.tensor([0.5, 1.0, 2.0, 4.0], dtype=torch.float64)
    torch.testing.assert_close(FocalLoss(gamma=0.0)(logits, idx), F.cross_entropy(logits, idx))
    torch.testing.assert_close(
        focal_loss(logits, idx, gamma=0.0, alpha=w), F.cross_entropy(logits, idx, weight=w)
    )


def test_focal_down_weights_easy_examples(ml: tuple[torch.Tensor, torch.Tensor]) -> None:
    logits, target = ml
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    fl = focal_loss(logits, target, gamma=2.0, reduction="none")
    assert bool((fl <= bce + 1e-12).all()) and float(fl.sum()) < 0.8 * float(bce.sum())


def test_focal_errors() -> None:
    with pytest.raises(ValueError, match="gamma"):
        focal_loss(torch.zeros(2, 3), torch.zeros(2, 3), gamma=-1)
    with pytest.raises(ValueError, match="alpha"):
        focal_loss(torch.zeros(2, 3), torch.zeros(2, 3), alpha=1.5)
    with pytest.raises(ValueError, match="alpha"):
        focal_loss(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), alpha=0.5)
    with pytest.raises(ValueError, match="class indices"):
        focal_loss(torch.zeros(2, 3), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="shape"):
        focal_loss(torch.zeros(2, 3), torch.zeros(3, dtype=torch.long))


# ---------------------------------------------------------------- asymmetric


def test_asymmetric_hand_value() -> None:
    # positive logit 0 (p = 1/2), gamma_pos 1: -(1/2) log(1/2)
    # negative logit 0: p_m = 0.5 - 0.05 = 0.45, gamma_neg 4: -(0.45^4) log(0.55)
    # negative logit -4: p = 0.018 < clip -> p_m = 0 -> loss 0
    got = asymmetric_loss(
        torch.tensor([0.0, 0.0, -4.0]),
        torch.tensor([1.0, 0.0, 0.0]),
        gamma_pos=1.0,
        gamma_neg=4.0,
        clip=0.05,
        reduction="none",
    )
    expect = torch.tensor([-0.5 * math.log(0.5), -(0.45**4) * math.log(0.55), 0.0])
    torch.testing.assert_close(got, expect)


def test_asymmetric_no_focus_is_bce(ml: tuple[torch.Tensor, torch.Tensor]) -> None:
    logits, target = ml
    for red in ("mean", "sum"):
        torch.testing.assert_close(
            AsymmetricLoss(gamma_pos=0, gamma_neg=0, clip=0, eps=1e-300, reduction=red)(
                logits, target
            ),
            F.binary_cross_entropy_with_logits(logits, target, reduction=red),
        )


def test_asymmetric_gamma_pos_equals_gamma_neg_is_focal(
    ml: tuple[torch.Tensor, torch.Tensor],
) -> None:
    logits, target = ml
    torch.testing.assert_close(
        asymmetric_loss(logits, target, gamma_pos=2, gamma_neg=2, clip=0, eps=1e-300),
        focal_loss(logits, target, gamma=2.0),
    )


def test_asymmetric_errors() -> None:
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="clip"):
        asymmetric_loss(x, x, clip=1.0)
    with pytest.raises(ValueError, match="gamma_neg"):
        asymmetric_loss(x, x, gamma_neg=-2)
    with pytest.raises(ValueError, match="target must have the shape"):
        asymmetric_loss(x, torch.zeros(3, 2))


# ---------------------------------------------------------------- weighted CE


def test_weighted_ce_hand_value() -> None:
    logits = torch.tensor([[0.0, math.log(3.0)], [0.0, math.log(3.0)]])
    got = weighted_cross_entropy(logits, torch.tensor([0, 1]), [3.0, 1.0])
    expect = (3.0 * -math.log(0.25) + 1.0 * -math.log(0.75)) / 4.0
    assert float(got) == pytest.approx(expect, rel=1e-6)


def test_weighted_ce_is_torch_ce(mc: tuple[torch.Tensor, torch.Tensor]) -> None:
    logits, idx = mc
    w = torch.tensor([0.5, 1.0, 2.0, 4.0], dtype=torch.float64)
    for red in ("mean", "sum", "none"):
        torch.testing.assert_close(
            weighted_cross_entropy(logits, idx, w, reduction=red),
            F.cross_entropy(logits, idx, weight=w, reduction=red),
        )
    torch.testing.assert_close(weighted_cross_entropy(logits, idx), F.cross_entropy(logits, idx))
    torch.testing.assert_close(
        WeightedCrossEntropyLoss(w.tolist(), label_smoothing=0.1)(logits, idx),
        F.cross_entropy(logits, idx, weight=w, label_smoothing=0.1),
    )
    # class axis last for sequence outputs (torch wants it at dim 1)
    seq = torch.randn(2, 5, 4, dtype=torch.float64)
    tgt = torch.randint(0, 4, (2, 5))
    torch.testing.assert_close(
        weighted_cross_entropy(seq, tgt, w), F.cross_entropy(seq.transpose(1, 2), tgt, weight=w)
    )


def test_weighted_ce_errors() -> None:
    with pytest.raises(ValueError, match="class_weight"):
        weighted_cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]), [1.0, 1.0])
    with pytest.raises(ValueError, match="integer class indices"):
        weighted_cross_entropy(torch.zeros(2, 3), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        weighted_cross_entropy(torch.zeros(2, 3), torch.tensor([0, 5]))


def test_class_weights() -> None:
    w = class_weights([10, 30, 60])
    inv = torch.tensor([1 / 10, 1 / 30, 1 / 60])
    torch.testing.assert_close(w, inv / inv.mean())
    e = class_weights([10, 30], beta=0.9)
    raw = torch.tensor([0.1 / (1 - 0.9**10), 0.1 / (1 - 0.9**30)])
    torch.testing.assert_close(e, raw / raw.mean())
    with pytest.raises(ValueError, match=">= 1"):
        class_weights([0, 3])
    with pytest.raises(ValueError, match="beta"):
        class_weights([1, 3], beta=1.0)
