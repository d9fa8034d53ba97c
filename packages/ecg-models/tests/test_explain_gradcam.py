"""Grad-CAM: a hand-derived linear case, the interpolation to the input rate, and an ECG_CRNN
over every registered backbone (shape, finiteness, class selection, no parameter grads)."""

from __future__ import annotations

from copy import deepcopy

import backbone_params
import pytest
import torch
from torch import nn

from ecg_models import ECG_CRNN, ECG_CRNN_CONFIG
from ecg_models.explain import GradCAM, default_target_layer, grad_cam

PARAMS = backbone_params.params(backbone_params.ONE_PER_FAMILY)

pytestmark = pytest.mark.usefixtures("one_thread")


class _Linear(nn.Module):
    """x -> 1x1 conv (K channels, weights w) -> mean over time -> linear V (C x K)."""

    def __init__(self, w: torch.Tensor, v: torch.Tensor, stride: int = 1) -> None:
        super().__init__()
        self.backbone = nn.Conv1d(1, w.numel(), 1, stride=stride, bias=False)
        self.backbone.weight.data = w.reshape(-1, 1, 1).clone()
        self.head = nn.Linear(w.numel(), v.shape[0], bias=False)
        self.head.weight.data = v.clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.backbone(x).mean(-1))
        return out


def test_linear_model_hand_derived() -> None:
    # A_k(t) = w_k x(t); y_c = sum_k V_ck mean_t A_k(t) => dy_c/dA_k(t) = V_ck / T
    # => cam_c(t) = relu(sum_k V_ck w_k x(t) / T)
    w = torch.tensor([1.0, -2.0, 0.5])
    v = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    x = torch.randn(2, 1, 50, generator=torch.Generator().manual_seed(0))
    model = _Linear(w, v)
    got = grad_cam(model, x, normalize=False)
    expect = ((v @ w)[None, :, None] * x / 50).clamp_min(0)
    torch.testing.assert_close(got, expect)
    signed = grad_cam(model, x, normalize=False, relu=False)
    torch.testing.assert_close(signed, (v @ w)[None, :, None] * x / 50)
    norm = grad_cam(model, x)
    torch.testing.assert_close(norm, expect / expect.amax(-1, keepdim=True))
    assert model.backbone.weight.grad is None


def test_downsampled_map_is_interpolated_to_input_rate() -> None:
    w = torch.tensor([1.0, 2.0])
    v = torch.tensor([[1.0, 1.0]])
    x = torch.randn(1, 1, 40, generator=torch.Generator().manual_seed(1))
    model = _Linear(w, v, stride=2)  # feature map at half the rate: x[::2]
    got = grad_cam(model, x, normalize=False)
    low = (3.0 * x[..., ::2] / 20).clamp_min(0)
    expect = nn.functional.interpolate(low, size=40, mode="linear", align_corners=False)
    assert got.shape == (1, 1, 40)
    torch.testing.assert_close(got, expect)


def _crnn(backbone: str, classes: list[str]) -> ECG_CRNN:
    cfg = deepcopy(ECG_CRNN_CONFIG)
    cfg.cnn.name = backbone
    torch.manual_seed(0)
    return ECG_CRNN(classes, 1, cfg)


@pytest.mark.parametrize("name", PARAMS)
def test_every_backbone(name: str) -> None:
    classes = ["N", "A", "O", "~"]
    model = _crnn(name, classes).train()
    n = max(1500, model.min_input_length)
    x = torch.randn(2, 1, n, generator=torch.Generator().manual_seed(2))
    cam = GradCAM(model)(x)
    assert cam.shape == (2, 4, n)
    assert torch.isfinite(cam).all()
    assert float(cam.min()) >= 0.0 and float(cam.max()) <= 1.0 + 1e-6
    assert model.training  # mode restored
    assert all(p.grad is None for p in model.parameters())
    two = grad_cam(model, x, classes=["O", 1])
    torch.testing.assert_close(two, cam[:, [2, 1]])


def test_errors() -> None:
    model = _crnn("resnet_nature_comm", ["N", "A"])
    with pytest.raises(ValueError, match="batch, leads, samples"):
        grad_cam(model, torch.zeros(1, 100))
    with pytest.raises(ValueError, match="not one of the model's classes"):
        grad_cam(model, torch.zeros(1, 1, 1000), classes=["X"])
    with pytest.raises(ValueError, match="out of range"):
        grad_cam(model, torch.zeros(1, 1, 1000), classes=[5])
    with pytest.raises(ValueError, match="no 'backbone'"):
        default_target_layer(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="not called"):
        grad_cam(model, torch.zeros(1, 1, 1000), target_layer=nn.Conv1d(1, 1, 1))
