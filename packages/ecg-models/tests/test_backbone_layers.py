"""Building blocks of the backbones against references: torch's own conv arithmetic, hand-derived
binomial blur, space-to-depth index mapping, SE / GC / CBAM / NonLocal formulas re-derived in numpy,
harmonic links of HarDNet and the higher-order (RK) schemes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from ecg_models.backbones.hardnet import harmonic_links
from ecg_models.backbones.ho_resnet import HOBlock
from ecg_models.backbones.resnet import BasicBlock, Bottleneck, SpaceToDepth
from ecg_models.layers.attention import (
    CBAMBlock,
    GlobalContextBlock,
    NonLocalBlock,
    SEBlock,
    make_attention,
)
from ecg_models.layers.conv import (
    BlurPool1d,
    Conv_Bn_Activation,
    Pool1d,
    conv_output_length,
    get_activation,
)
from ecg_models.registry import get_backbone_entry, list_backbones


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(20, 300),
    k=st.integers(1, 9),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    conv_type=st.sampled_from([None, "separable", "aa"]),
)
def test_conv_output_length_matches_torch(
    n: int, k: int, s: int, d: int, conv_type: str | None
) -> None:
    m = Conv_Bn_Activation(4, 6, k, s, d, conv_type=conv_type).eval()
    with torch.no_grad():
        out = m(torch.randn(1, 4, n))
    assert out.shape == (1, 6, m.output_length(n))
    if conv_type is None:
        ref = nn.Conv1d(4, 6, k, s, d * (k - 1) // 2, d)(torch.randn(1, 4, n))
        assert out.shape[-1] == ref.shape[-1]


def test_conv_output_length_formula_and_too_short() -> None:
    assert conv_output_length(100, 5, 2, 2) == 50
    assert conv_output_length(101, 5, 2, 2) == 51
    assert conv_output_length(10, 3, 1, 0, 4) == 2
    with pytest.raises(ValueError, match="shorter than the receptive field"):
        conv_output_length(2, 5)


def test_blurpool_is_binomial_filter_then_subsample() -> None:
    x = torch.randn(2, 3, 37, dtype=torch.float64)
    out = BlurPool1d(3, 3, 2)(x)
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1)), mode="reflect")
    ref = np.stack([np.convolve(r, [0.25, 0.5, 0.25], "valid") for r in xp.reshape(6, -1)])
    ref = ref.reshape(2, 3, -1)[..., ::2]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    assert BlurPool1d(3, 3, 2).output_length(37) == 19 == out.shape[-1]


def test_blurpool_filters_are_pascal_rows() -> None:
    filt = BlurPool1d(1, 5, 2).filt
    assert isinstance(filt, torch.Tensor)
    np.testing.assert_allclose(filt.flatten().numpy(), np.array([1, 4, 6, 4, 1]) / 16)


def test_aa_conv_is_stride1_conv_then_blur() -> None:
    torch.manual_seed(0)
    m = Conv_Bn_Activation(2, 3, 5, 2, conv_type="aa", norm=None, activation=None).eval()
    x = torch.randn(1, 2, 40)
    conv = m.layers[0]
    assert isinstance(conv, nn.Conv1d) and conv.stride == (1,)
    ref = BlurPool1d(3, 3, 2)(conv(x))
    torch.testing.assert_close(m(x), ref)


def test_space_to_depth_index_mapping_and_padding() -> None:
    x = torch.arange(2 * 3 * 10, dtype=torch.float32).reshape(2, 3, 10)
    out = SpaceToDepth(4)(x)
    assert out.shape == (2, 12, 3)
    xp = torch.nn.functional.pad(x, (0, 2))
    for k in range(4):
        for c in range(3):
            assert torch.equal(out[:, k * 3 + c, :], xp[:, c, k::4])


def test_pool_output_length() -> None:
    p = Pool1d(3, 2, 1, "max")
    assert p(torch.randn(1, 1, 11)).shape[-1] == p.output_length(11) == 6
    with pytest.raises(ValueError, match="pool_type"):
        Pool1d(3, 2, 0, "mean")


def test_se_block_matches_numpy_formula() -> None:
    torch.manual_seed(0)
    se = SEBlock(8, reduction=4).double()
    x = torch.randn(2, 8, 30, dtype=torch.float64)
    w1 = se.fc[0].weight.detach().numpy()[..., 0]
    b1 = se.fc[0].bias.detach().numpy()
    w2 = se.fc[2].weight.detach().numpy()[..., 0]
    b2 = se.fc[2].bias.detach().numpy()
    z = x.numpy().mean(-1)  # (batch, channels)
    gate = 1 / (1 + np.exp(-(np.maximum(z @ w1.T + b1, 0) @ w2.T + b2)))
    np.testing.assert_allclose(se(x).detach().numpy(), x.numpy() * gate[..., None], rtol=1e-10)


def test_gc_block_matches_numpy_formula() -> None:
    torch.manual_seed(0)
    gc = GlobalContextBlock(6, reduction=2).double().eval()
    x = torch.randn(1, 6, 20, dtype=torch.float64)
    mask = gc.conv_mask
    assert mask is not None
    wm = mask.weight.detach().numpy()[0, :, 0]
    logits = wm @ x.numpy()[0] + mask.bias.detach().numpy()[0]
    att = np.exp(logits - logits.max())
    att /= att.sum()
    context = x.numpy()[0] @ att  # (channels,)
    assert gc.add_transform is not None
    t = gc.add_transform(torch.from_numpy(context)[None, :, None]).detach().numpy()[0, :, 0]
    np.testing.assert_allclose(gc(x).detach().numpy()[0], x.numpy()[0] + t[:, None], rtol=1e-10)


def test_nonlocal_block_matches_numpy_formula() -> None:
    torch.manual_seed(0)
    nl = NonLocalBlock(4, inter_channels=2).double().eval()
    x = torch.randn(1, 4, 9, dtype=torch.float64)

    def lin(conv: nn.Conv1d, v: np.ndarray) -> np.ndarray:
        assert conv.bias is not None
        return conv.weight.detach().numpy()[..., 0] @ v + conv.bias.detach().numpy()[:, None]

    xv = x.numpy()[0]
    th, ph, g = lin(nl.theta, xv), lin(nl.phi, xv), lin(nl.g, xv)
    f = th.T @ ph
    f = np.exp(f - f.max(-1, keepdims=True))
    f /= f.sum(-1, keepdims=True)
    y = (f @ g.T).T
    o = nl.out(torch.from_numpy(y)[None]).detach().numpy()[0]
    np.testing.assert_allclose(nl(x).detach().numpy()[0], xv + o, rtol=1e-10)


@pytest.mark.parametrize("cls", [SEBlock, GlobalContextBlock, CBAMBlock, NonLocalBlock])
def test_attention_blocks_preserve_shape_and_take_gradients(cls: type[nn.Module]) -> None:
    m = cls(16)
    x = torch.randn(2, 16, 33, requires_grad=True)
    out = m(x)
    assert out.shape == x.shape
    out.sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in m.parameters())


def test_cbam_gates_are_in_unit_interval() -> None:
    m = CBAMBlock(8, reduction=2).eval()
    x = torch.rand(1, 8, 25) + 0.1  # positive input: gated output must shrink it
    out = m(x)
    assert torch.all(out <= x) and torch.all(out >= 0)


def test_bad_layer_arguments() -> None:
    with pytest.raises(ValueError, match="conv_type"):
        Conv_Bn_Activation(2, 2, 3, conv_type="sep")
    with pytest.raises(ValueError, match="activation"):
        get_activation("rellu")
    with pytest.raises(ValueError, match="attention"):
        make_attention("sqeeze", 8)
    with pytest.raises(TypeError, match="kernel_size"):
        Conv_Bn_Activation(2, 2, 3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="groups"):
        Conv_Bn_Activation(3, 4, 3, groups=2)


def test_residual_blocks_lengths_match_shortcut() -> None:
    for n in (31, 101):
        for stride in (1, 3, 4):
            for blk in (
                BasicBlock(4, 8, 5, stride, conv_type="aa"),
                BasicBlock(4, 4, 5, stride, shortcut="max"),
                Bottleneck(4, 2, 5, stride, shortcut="avg", stride_at="first"),
            ):
                out = blk.eval()(torch.randn(1, 4, n))
                assert out.shape[-1] == blk.output_length(n) == -(-n // stride)


def test_harmonic_links_match_the_paper_pattern() -> None:
    # layer 4 links to 3, 2, 0 (2**0, 2**1, 2**2 divide 4); layer 6 to 5 and 4
    assert harmonic_links(4, 10, 8, 1.6)[2] == [3, 2, 0]
    assert harmonic_links(6, 10, 8, 1.6)[2] == [5, 4]
    out, inch, _ = harmonic_links(2, 10, 8, 1.6)
    assert out == int(int(8 * 1.6 + 1) / 2) * 2 == 12
    assert inch == 8 + 10  # layer 1 (growth 8) + base


def test_ho_block_rk4_formula() -> None:
    torch.manual_seed(0)
    blk = HOBlock(3, 3, "rk4", "linear").double().eval()
    x = torch.randn(1, 3, 10, dtype=torch.float64)
    f = list(blk.funcs)
    k1 = f[0](x)
    k2 = f[1](x + k1 / 2)
    k3 = f[2](x + k2 / 2)
    k4 = f[3](x + k3)
    torch.testing.assert_close(blk(x), x + (k1 + 2 * k2 + 2 * k3 + k4) / 6)


def test_every_family_is_registered() -> None:
    families = {get_backbone_entry(n).family for n in list_backbones()}
    assert families >= {
        "resnet",
        "tresnet",
        "vgg",
        "multi_scopic",
        "densenet",
        "xception",
        "mobilenet",
        "darknet",
        "efficientnet",
        "hardnet",
        "ho_resnet",
    }
