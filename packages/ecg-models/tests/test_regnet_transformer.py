"""RegNet and Transformer-encoder backbones: the width rule and position encodings against
hand-derived values, config validation, and both as the CNN of ECG_CRNN and ECG_SEQ_LAB_NET.

The registry-wide checks (shapes, gradients, batch of 1, state_dict, TorchScript, ONNX) are in
test_backbones.py; the parameter counts against torch_ecg in test_models_parity.py.
"""

from __future__ import annotations

import math
from copy import deepcopy

import pytest
import torch

from ecg_models.backbones.regnet import RegNetConfig, regnet_widths
from ecg_models.backbones.transformer import TransformerConfig, sinusoidal_positions
from ecg_models.models.crnn import ECG_CRNN, ECG_CRNN_CONFIG
from ecg_models.models.seq_lab_net import ECG_SEQ_LAB_NET, ECG_SEQ_LAB_NET_CONFIG
from ecg_models.registry import create_backbone, get_backbone_config

pytestmark = pytest.mark.usefixtures("one_thread")


def test_regnet_width_rule_by_hand() -> None:
    # regnet_16_8: u_j = 48 + 27.89 j, s_j = round(log(u_j / 48) / log 2.09),
    # w_j = 8 round(48 * 2.09**s_j / 8). j = 0: s 0, w 48; j = 1..3 (u 75.9..131.7, log ratio
    # 0.62..1.37): s 1, 48 * 2.09 = 100.3 -> 104; j = 4..9 (1.63..2.48): s 2, 209.7 -> 208;
    # j = 10..15 (2.60..3.08): s 3, 438.2 -> 440.
    assert regnet_widths(16, 27.89, 48, 2.09) == [(1, 48), (3, 104), (6, 208), (6, 440)]
    # before the group-width fit of torch_ecg 0.0.33's regnet_27_24 and regnet_23_168 stages
    assert regnet_widths(27, 20.71, 48, 2.65) == [(2, 48), (6, 128), (17, 336), (2, 896)]
    assert regnet_widths(23, 69.86, 320, 2.0) == [(2, 320), (7, 640), (13, 1280), (1, 2560)]
    for j in range(16):  # each block width from the formula itself
        s = round(math.log((48 + 27.89 * j) / 48) / math.log(2.09))
        w = 8 * round(48 * 2.09**s / 8)
        assert w in (48, 104, 208, 440)


def test_regnet_group_width_fit() -> None:
    # group width 24: 128 -> 120 (5 groups, within 10%), 896 -> 888; group width 168:
    # 2560 -> 2520 (15 groups), 320 -> 168 is under 90% of 320, so 336 (2 groups)
    assert RegNetConfig(tot_blocks=27, group_widths=24, w_a=20.71, w_0=48, w_m=2.65).stages() == [
        (2, 48, 2),
        (6, 120, 5),
        (17, 336, 14),
        (2, 888, 37),
    ]
    stages = RegNetConfig(tot_blocks=23, group_widths=168, w_a=69.86, w_0=320, w_m=2.0).stages()
    assert stages == [(2, 336, 2), (7, 672, 4), (13, 1176, 7), (1, 2520, 15)]


def test_regnet_block_channels_and_groups() -> None:
    net = create_backbone("regnet_S", 12)
    block = net.stages[1][0]  # first block of the first stage
    convs = [m for m in block.main.modules() if isinstance(m, torch.nn.Conv1d)]
    # 1x1 reduce 64 -> 32, grouped 32 -> 32 (4 groups, kernel 13, stride 2), 1x1 expand -> 128
    assert [(c.in_channels, c.out_channels, c.groups, c.kernel_size[0]) for c in convs] == [
        (64, 32, 1, 1),
        (32, 32, 4, 13),
        (32, 128, 1, 1),
    ]
    assert convs[1].stride == (2,)
    assert net.out_channels == 256 * 4


def test_regnet_config_errors() -> None:
    with pytest.raises(ValueError, match="w_0 must be a positive multiple of 8"):
        RegNetConfig(w_0=50)
    with pytest.raises(ValueError, match="w_m must be a number > 1"):
        RegNetConfig(w_m=1.0)
    with pytest.raises(ValueError, match="num_blocks needs num_filters"):
        RegNetConfig(num_blocks=[1, 1])
    with pytest.raises(ValueError, match="one value per block"):
        RegNetConfig(filter_lengths=[11, 11])
    with pytest.raises(ValueError, match="odd"):
        RegNetConfig(filter_lengths=10)
    with pytest.raises(ValueError, match=r"'bogus'.*allowed"):
        RegNetConfig.from_config({"bogus": 1})


def test_sinusoidal_positions_by_hand() -> None:
    pe = sinusoidal_positions(3, 4)
    # channel pairs i = 0, 1 have frequencies 1 and 10000**(-2/4) = 0.01
    want = torch.tensor(
        [
            [0.0, 1.0, 0.0, 1.0],
            [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)],
            [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)],
        ]
    )
    torch.testing.assert_close(pe, want)


def test_transformer_lengths_and_positions_matter() -> None:
    torch.manual_seed(0)
    net = create_backbone("transformer_encoder", 2, d_model=16, num_heads=2, patch_size=4).eval()
    for n, tokens in ((1, 1), (4, 1), (5, 2), (17, 5), (5000, 1250)):
        assert net.compute_output_shape(n, 3) == (3, 16, tokens)
    x = torch.randn(1, 2, 40)
    # swapping two patches swaps the tokens' contents but not their positions: the outputs are
    # not simply swapped (a model without position encodings would be permutation-equivariant)
    swapped = x.clone()
    swapped[..., 0:4], swapped[..., 8:12] = x[..., 8:12], x[..., 0:4]
    with torch.no_grad():
        a, b = net(x), net(swapped)
    assert not torch.allclose(a[..., 0], b[..., 2], atol=1e-4)


def test_transformer_config_errors() -> None:
    with pytest.raises(ValueError, match="num_heads=3 must divide d_model=256"):
        TransformerConfig(num_heads=3)
    with pytest.raises(ValueError, match="activation"):
        TransformerConfig(activation="tanh")
    with pytest.raises(ValueError, match="dropout"):
        TransformerConfig(dropout=1.0)
    with pytest.raises(ValueError, match=r"3 leads.*in_channels=12"):
        create_backbone("transformer_encoder", 12)(torch.randn(1, 3, 100))


def _crnn_with(backbone: str, small: dict[str, object]) -> ECG_CRNN:
    cfg = deepcopy(ECG_CRNN_CONFIG)
    base = get_backbone_config(backbone)
    for k, v in small.items():
        setattr(base, k, v)
    base.validate()
    cfg.cnn.add("small", base, base=backbone)
    cfg.cnn.name = "small"
    cfg.head.hidden_sizes = [16]
    return ECG_CRNN(["NSR", "AF", "PVC"], 12, cfg)


SMALL = {
    "regnet_16_8": {"tot_blocks": 4, "w_a": 8.0, "w_0": 16, "w_m": 2.0, "init_filters": 8},
    "transformer_encoder": {"d_model": 32, "num_heads": 4, "dim_feedforward": 64},
}


@pytest.mark.parametrize("backbone", sorted(SMALL))
def test_backbone_as_crnn_cnn(backbone: str) -> None:
    torch.manual_seed(0)
    model = _crnn_with(backbone, SMALL[backbone])
    x = torch.randn(2, 12, 2000)
    out = model(x)
    assert out.shape == (2, 3)
    out.square().mean().backward()
    assert all(p.grad is not None for p in model.backbone.parameters())
    res = model.inference(x)
    assert res.prob.shape == (2, 3)


@pytest.mark.parametrize("backbone", sorted(SMALL))
def test_backbone_as_seq_lab_net_cnn(backbone: str) -> None:
    torch.manual_seed(0)
    cfg = deepcopy(ECG_SEQ_LAB_NET_CONFIG)
    base = get_backbone_config(backbone)
    for k, v in SMALL[backbone].items():
        setattr(base, k, v)
    base.validate()
    cfg.cnn.add("small", base, base=backbone)
    cfg.cnn.name = "small"
    cfg.rnn.hidden_size = 16
    cfg.head.hidden_sizes = [16]
    model = ECG_SEQ_LAB_NET(["N"], 12, cfg).eval()
    x = torch.randn(2, 12, 2000)
    with torch.no_grad():
        out = model(x)
    assert out.shape == (2, 2000, 1)  # recovered to the input length
    assert model.backbone.compute_output_shape(2000, 2)[2] in (32, 125)  # /64 or /16
