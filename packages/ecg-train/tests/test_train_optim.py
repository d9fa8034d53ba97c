"""The optimizers use torch's fused kernels where they exist, with the same update rule."""

from __future__ import annotations

import pytest
import torch

from ecg_train.trainer.config import TrainConfig
from ecg_train.trainer.optim import build_optimizer


@pytest.mark.parametrize("name", ["adamw", "sgd"])
def test_fused_optimizer_follows_the_reference_update(name: str) -> None:
    torch.manual_seed(0)
    a = torch.nn.Linear(16, 4)
    b = torch.nn.Linear(16, 4)
    b.load_state_dict(a.state_dict())
    cfg = TrainConfig(optimizer=name, learning_rate=1e-2)
    fused = build_optimizer(a.parameters(), cfg)
    assert fused.defaults.get("fused") is True
    kw = {"weight_decay": cfg.weight_decay}
    if name == "adamw":
        ref: torch.optim.Optimizer = torch.optim.AdamW(b.parameters(), lr=1e-2, **kw)
    else:
        ref = torch.optim.SGD(b.parameters(), lr=1e-2, momentum=cfg.momentum, **kw)
    x = torch.randn(32, 16)
    for _ in range(5):
        for model, opt in ((a, fused), (b, ref)):
            opt.zero_grad()
            model(x).square().mean().backward()
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=1e-5, atol=1e-6)


def test_mixed_dtypes_fall_back_to_the_default_implementation() -> None:
    params = [torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(3).double())]
    opt = build_optimizer(params, TrainConfig())
    assert not opt.defaults.get("fused")
