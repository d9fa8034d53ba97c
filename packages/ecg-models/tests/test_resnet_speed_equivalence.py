"""The speed changes of the ResNet family compute the same function as the formulas they replace.

- Activations of ``Conv_Bn_Activation`` and of the residual blocks run in place
  (``get_activation(..., inplace=True)``) and the residual sum is accumulated in place.
- Strided ``"conv"`` shortcuts slice every ``stride``-th sample, then run the 1x1 conv at stride 1,
  instead of a strided 1x1 conv.

Each test compares the module (forward and backward) against a reference written with the old,
out-of-place functional formulas on the same parameters, within 1e-5.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as nnf
from torch import Tensor, nn

from ecg_models.backbones.resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    Shortcut,
    _ResidualBlock,
)
from ecg_models.backbones.tresnet import tresnet_f_config, tresnet_p_config
from ecg_models.layers.conv import (
    _INPLACE_ACTIVATIONS,
    ACTIVATIONS,
    BlurPool1d,
    Conv_Bn_Activation,
    get_activation,
)

ATOL = 1e-5
RTOL = 1e-5


# ----------------------------------------------------------------- reference (old formulas)


def _ref_act(mod: nn.Module, x: Tensor) -> Tensor:
    """Out-of-place activation equal to ``mod``."""
    if isinstance(mod, nn.LeakyReLU):
        return nnf.leaky_relu(x, mod.negative_slope)
    if isinstance(mod, nn.ReLU6):
        return nnf.hardtanh(x, 0.0, 6.0)
    if isinstance(mod, nn.ReLU):
        return nnf.relu(x)
    if isinstance(mod, nn.ELU):
        return nnf.elu(x, mod.alpha)
    if isinstance(mod, nn.Identity):
        return x
    out: Tensor = mod(x)  # activations without an in-place form are out of place anyway
    return out


def _ref_layer(mod: nn.Module, x: Tensor) -> Tensor:
    if isinstance(mod, Conv_Bn_Activation):
        return _ref_cba(mod, x)
    if isinstance(mod, nn.Conv1d):
        return nnf.conv1d(
            x,
            mod.weight,
            mod.bias,
            mod.stride,
            mod.padding,
            mod.dilation,
            mod.groups,  # type: ignore[arg-type]
        )
    if isinstance(mod, nn.ReLU | nn.LeakyReLU | nn.ReLU6 | nn.ELU | nn.Identity):
        return _ref_act(mod, x)
    if isinstance(mod, nn.Sequential):
        for child in mod:
            x = _ref_layer(child, x)
        return x
    if isinstance(mod, _ResidualBlock):
        return _ref_block(mod, x)
    out: Tensor = mod(x)  # norms, blur pools, attention, space-to-depth: unchanged
    return out


def _ref_cba(cba: Conv_Bn_Activation, x: Tensor) -> Tensor:
    for layer in cba.layers:
        x = _ref_layer(layer, x)
    return x


def _ref_shortcut(sc: Shortcut, x: Tensor) -> Tensor:
    """The old shortcut: a strided 1x1 conv (no slicing) then the norm."""
    if sc.subsample == 1:
        return _ref_layer(sc.layers, x)
    (cba,) = list(sc.layers)
    assert isinstance(cba, Conv_Bn_Activation)
    conv = cba.layers[0]
    assert isinstance(conv, nn.Conv1d) and conv.kernel_size == (1,) and conv.padding == (0,)
    y = nnf.conv1d(x, conv.weight, conv.bias, stride=sc.subsample)
    for layer in list(cba.layers)[1:]:
        y = _ref_layer(layer, y)
    return y


def _ref_block(block: _ResidualBlock, x: Tensor) -> Tensor:
    main = block.main
    attn = block.attn
    shortcut = block.shortcut
    act = block.act
    assert isinstance(main, nn.Module) and isinstance(attn, nn.Module)
    assert isinstance(shortcut, Shortcut) and isinstance(act, nn.Module)
    y = _ref_layer(main, x)
    y = attn(y)
    return _ref_act(act, y + _ref_shortcut(shortcut, x))


def _check_same(module: nn.Module, x: Tensor) -> None:
    """Forward and backward (input and parameter gradients) of ``module`` against the reference
    on a deep copy (so that batch-norm running statistics evolve identically)."""
    ref_module = copy.deepcopy(module)
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    x_before = x1.detach().clone()
    out = module(x1)
    ref = _ref_layer(ref_module, x2)
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(x1.detach(), x_before, atol=0.0, rtol=0.0)  # input untouched
    g = torch.randn_like(out)
    out.backward(g)
    ref.backward(g)  # type: ignore[no-untyped-call]
    assert x1.grad is not None and x2.grad is not None
    torch.testing.assert_close(x1.grad, x2.grad, atol=ATOL, rtol=RTOL)
    for (name, p), (_, q) in zip(
        module.named_parameters(), ref_module.named_parameters(), strict=True
    ):
        assert p.grad is not None and q.grad is not None, name
        torch.testing.assert_close(p.grad, q.grad, atol=ATOL, rtol=RTOL, msg=name)
    for (name, b1), (_, b2) in zip(module.named_buffers(), ref_module.named_buffers(), strict=True):
        torch.testing.assert_close(b1, b2, atol=ATOL, rtol=RTOL, msg=name)


# ----------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", sorted(_INPLACE_ACTIVATIONS))
def test_inplace_activation_equals_out_of_place(name: str) -> None:
    torch.manual_seed(0)
    x = torch.randn(3, 4, 50) * 4
    a = get_activation(name, inplace=True)
    b = get_activation(name)
    assert type(a) is type(b) and type(a) is type(ACTIVATIONS[name]())
    assert getattr(a, "inplace", False) and not getattr(b, "inplace", True)
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    out1 = a(x1 * 1.0)  # in place on a fresh non-leaf tensor, as inside the blocks
    out2 = b(x2)
    torch.testing.assert_close(out1, out2, atol=0.0, rtol=0.0)
    g = torch.randn_like(out1)
    out1.backward(g)
    out2.backward(g)
    assert x1.grad is not None and x2.grad is not None
    # elu: the in-place backward uses the result (alpha + y), not alpha * exp(x): rounding only
    torch.testing.assert_close(x1.grad, x2.grad, atol=1e-6, rtol=1e-5)


def test_get_activation_inplace_fallback_and_validation() -> None:
    act = get_activation("gelu", inplace=True)  # no in-place form: the usual module
    assert isinstance(act, nn.GELU)
    assert isinstance(get_activation(None, inplace=True), nn.Identity)
    assert isinstance(get_activation("LEAKY", inplace=True), nn.LeakyReLU)
    with pytest.raises(TypeError, match="inplace must be a bool"):
        get_activation("relu", inplace=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="close matches"):
        get_activation("leaky_rel", inplace=True)


@pytest.mark.parametrize("ordering", ["cba", "cab"])
@pytest.mark.parametrize("norm", ["batch_norm", "instance_norm", "group_norm", None])
@pytest.mark.parametrize("conv_type", [None, "aa", "separable"])
def test_conv_bn_activation_matches_out_of_place(
    ordering: str, norm: str | None, conv_type: str | None
) -> None:
    torch.manual_seed(1)
    cba = Conv_Bn_Activation(
        4, 8, 5, 2, norm=norm, activation="leaky", conv_type=conv_type, ordering=ordering
    )
    _check_same(cba, torch.randn(3, 4, 41))


@pytest.mark.parametrize("stride", [1, 2, 3, 4])
@pytest.mark.parametrize("length", [40, 41, 43])
@pytest.mark.parametrize("mode", ["conv", "avg", "max"])
def test_shortcut_slice_equals_strided_conv(stride: int, length: int, mode: str) -> None:
    torch.manual_seed(2)
    sc = Shortcut(4, 8, stride, mode, "batch_norm")
    assert sc.subsample == (stride if mode == "conv" and stride > 1 else 1)
    x = torch.randn(3, 4, length)
    _check_same(sc, x)
    assert sc(x).shape[-1] == sc.output_length(length) == -(-length // stride)


def test_shortcut_slice_matches_hand_formula() -> None:
    """The strided 1x1 conv by hand: out[:, o, j] = sum_i w[o, i] * x[:, i, 2 j]."""
    torch.manual_seed(3)
    sc = Shortcut(3, 5, 2, "conv", None)
    cba = sc.layers[0]
    assert isinstance(cba, Conv_Bn_Activation)
    conv = cba.layers[0]
    assert isinstance(conv, nn.Conv1d) and conv.bias is not None  # norm None: biased conv
    x = torch.randn(2, 3, 9)
    w = conv.weight[:, :, 0]
    expected = torch.einsum("oi,bij->boj", w, x[:, :, 0::2]) + conv.bias[None, :, None]
    torch.testing.assert_close(sc(x), expected, atol=ATOL, rtol=RTOL)
    assert "subsample=2" in repr(sc)


@pytest.mark.parametrize("attention", [None, "se", "gc", "cbam", "nl"])
@pytest.mark.parametrize("activation", ["leaky", "relu", "gelu"])
def test_basic_block_matches_out_of_place(attention: str | None, activation: str) -> None:
    torch.manual_seed(4)
    block = BasicBlock(
        6, 8, 5, stride=2, conv_type="aa", attention=attention, reduction=2, activation=activation
    )
    _check_same(block, torch.randn(3, 6, 37))


@pytest.mark.parametrize("stride_at", ["kxk", "first"])
@pytest.mark.parametrize("shortcut", ["conv", "avg", "max"])
def test_bottleneck_matches_out_of_place(stride_at: str, shortcut: str) -> None:
    torch.manual_seed(5)
    block = Bottleneck(
        8, 4, 5, stride=2, stride_at=stride_at, attention="se", shortcut=shortcut, dropout=0.0
    )
    _check_same(block, torch.randn(3, 8, 33))


def test_identity_shortcut_block_keeps_input() -> None:
    """Stride 1, same channels: the shortcut is the input itself; the in-place sum must not touch
    it (checked by ``_check_same``)."""
    torch.manual_seed(6)
    block = BasicBlock(8, 8, 3, stride=1, attention=None, activation="leaky")
    assert len(block.shortcut.layers) == 0
    _check_same(block, torch.randn(2, 8, 30))


@pytest.mark.parametrize("factory", [tresnet_p_config, tresnet_f_config])
def test_tresnet_matches_out_of_place(factory: object) -> None:
    """The whole TResNet backbone (train mode, batch statistics) equals the old formulas."""
    torch.manual_seed(7)
    cfg = factory()  # type: ignore[operator]
    cfg.init_filters = 8  # small: the test stays fast
    net = ResNet(12, cfg)
    x = torch.randn(2, 12, 403)

    def ref_forward(module: ResNet, inp: Tensor) -> Tensor:
        for stage in module.stages:
            assert isinstance(stage, nn.Sequential)
            for layer in stage:
                inp = _ref_layer(layer, inp)
        return inp

    ref_net = copy.deepcopy(net)
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    out = net(x1)
    ref = ref_forward(ref_net, x2)
    assert out.shape == (2, net.out_channels, net.output_length(403))
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=RTOL)
    out.square().mean().backward()
    ref.square().mean().backward()  # type: ignore[no-untyped-call]
    assert x1.grad is not None and x2.grad is not None
    torch.testing.assert_close(x1.grad, x2.grad, atol=ATOL, rtol=RTOL)
    for (name, p), (_, q) in zip(net.named_parameters(), ref_net.named_parameters(), strict=True):
        assert p.grad is not None and q.grad is not None, name
        torch.testing.assert_close(p.grad, q.grad, atol=ATOL, rtol=RTOL, msg=name)
    # eval mode (running statistics) too, and no-grad inference
    net.eval()
    ref_net.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(x), ref_forward(ref_net, x), atol=ATOL, rtol=RTOL)


def test_blurpool_unchanged_reference() -> None:
    """BlurPool1d (kept as is) still equals reflect padding + [1, 2, 1] / 4 at stride 2."""
    x = torch.randn(2, 3, 11)
    xp = nnf.pad(x, (1, 1), mode="reflect")
    expected = 0.25 * xp[..., 0:-2:2] + 0.5 * xp[..., 1:-1:2] + 0.25 * xp[..., 2::2]
    torch.testing.assert_close(BlurPool1d(3)(x), expected, atol=1e-6, rtol=1e-6)
