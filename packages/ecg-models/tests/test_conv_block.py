"""The one conv-norm-activation block and activation factory of ecg-models, as the task models
(U-Nets, U2-Net, heads) use them: outputs against functional references, parameter counts,
and state dicts written with the earlier plain-``nn.Sequential`` block layout."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as nnf

from ecg_models.layers.conv import ACTIVATIONS, Conv_Bn_Activation, check_choice, get_activation
from ecg_models.models._common import DoubleConv, MLPHead
from ecg_models.models.crnn import HeadConfig
from ecg_models.models.u2net import ECG_U2NET
from ecg_models.models.unet import ECG_SUBTRACT_UNET, ECG_UNET
from ecg_models.models.unet_plus import ECG_UNET_PLUS

WAVES = ["p", "N", "t", "i"]


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_double_conv_matches_functional_reference() -> None:
    torch.manual_seed(0)
    block = DoubleConv(3, 5, 7, activation="mish").eval()
    for m in block.modules():  # non-trivial running statistics
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    x = torch.randn(2, 3, 50)
    ref = x
    for cba in block:
        conv, bn = cba.layers[0], cba.layers[1]
        assert conv.bias is None and conv.padding == (3,)  # same padding, no bias before BN
        y = nnf.conv1d(ref, conv.weight, padding=3)
        y = nnf.batch_norm(y, bn.running_mean, bn.running_var, bn.weight, bn.bias, eps=bn.eps)
        ref = nnf.mish(y)
    with torch.no_grad():
        torch.testing.assert_close(block(x), ref)


def test_dilated_block_keeps_length() -> None:
    cba = Conv_Bn_Activation(2, 4, 9, dilation=4)
    assert cba.layers[0].padding == (16,) and cba.layers[0].dilation == (4,)
    assert cba(torch.randn(1, 2, 100)).shape == (1, 4, 100)
    assert cba.output_length(100) == 100


# counts of the task models before the block was shared (ConvBnAct of models/_common), 12 leads
COUNTS = {"ECG_UNET": 206_484, "ECG_SUBTRACT_UNET": 2_601_012, "ECG_U2NET": 1_845_096}
COUNTS["ECG_UNET_PLUS"] = 561_028
MODELS = {
    "ECG_UNET": ECG_UNET,
    "ECG_SUBTRACT_UNET": ECG_SUBTRACT_UNET,
    "ECG_U2NET": ECG_U2NET,
    "ECG_UNET_PLUS": ECG_UNET_PLUS,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_task_model_counts_unchanged(name: str) -> None:
    assert _count(MODELS[name](WAVES, 12)) == COUNTS[name]


@pytest.mark.parametrize("name", ["ECG_UNET", "ECG_U2NET"])
def test_state_dict_of_the_sequential_layout_loads(name: str) -> None:
    torch.manual_seed(0)
    model = MODELS[name](WAVES, 12).eval()
    # the earlier block was nn.Sequential(conv, bn, act): keys "...<i>.weight" without "layers."
    legacy = {re.sub(r"\.layers\.(\d+)\.", r".\1.", k): v for k, v in model.state_dict().items()}
    assert legacy.keys() != model.state_dict().keys()
    torch.manual_seed(1)
    other = MODELS[name](WAVES, 12).eval()
    other.load_state_dict(legacy, strict=True)
    x = torch.randn(1, 12, 500)
    with torch.no_grad():
        assert torch.equal(other(x), model(x))
    # unrelated keys are still reported
    legacy["bogus.weight"] = torch.zeros(1)
    with pytest.raises(RuntimeError, match="bogus"):
        other.load_state_dict(legacy, strict=True)


def test_head_activations_come_from_the_one_factory() -> None:
    for name in ("relu", "leaky_relu", "gelu", "mish", "silu", "tanh"):
        HeadConfig(activation=name)
        head = MLPHead(4, 2, [3], activation=name)
        assert type(head[1]) is type(ACTIVATIONS[name]())
    assert isinstance(get_activation(None), torch.nn.Identity)


def test_check_choice_returns_value_and_names_close_matches() -> None:
    assert check_choice("mode", "max", ("max", "avg")) == "max"
    assert check_choice("conv_type", None, (None, "aa")) is None
    with pytest.raises(ValueError, match=r"mode must be one of \['max', 'avg'\].*close matches"):
        check_choice("mode", "mx", ("max", "avg"))
