"""Every registered backbone: shapes vs compute_output_shape, gradients, eval determinism,
batch of 1, state_dict and config round trips, TorchScript and ONNX export; registry behaviour
and bad input."""

from __future__ import annotations

import dataclasses
import json
import math
from copy import deepcopy
from functools import cache
from pathlib import Path

import backbone_params
import numpy as np
import pytest
import torch

from ecg_models.backbones.resnet import ResNet, ResNetConfig
from ecg_models.backbones.tresnet import tresnet_p_config
from ecg_models.registry import (
    Backbone,
    create_backbone,
    get_backbone_config,
    list_backbones,
    register_backbone,
)

NAMES = list_backbones()
PARAMS = backbone_params.params()
IN_CH = 12


pytestmark = pytest.mark.usefixtures("one_thread")


@cache
def _built(name: str) -> Backbone:
    torch.manual_seed(0)
    return create_backbone(name, IN_CH).eval()


def _x(batch: int, n: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, IN_CH, n, generator=g)


def test_registry_is_populated() -> None:
    assert len(NAMES) >= 45
    for fam in ("resnet_nature_comm", "tresnetP", "resnet_stanford", "resnet_vanilla_18"):
        assert fam in NAMES


@pytest.mark.parametrize("name", PARAMS)
def test_output_shape_matches_compute_output_shape(name: str) -> None:
    net = _built(name)
    with torch.no_grad():
        for batch, n in ((2, 2000), (1, 2503)):  # 8 s at 250 Hz, ~5 s at 500 Hz
            out = net(_x(batch, n))
            assert tuple(out.shape) == net.compute_output_shape(n, batch)
            assert out.shape[1] == net.out_channels
            assert torch.isfinite(out).all()
    assert net.compute_output_shape(None, None)[1] == net.out_channels


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_output_shape_long_inputs(name: str) -> None:
    net = _built(name)
    with torch.no_grad():
        for n in (4000, 5000):
            assert tuple(net(_x(1, n)).shape) == net.compute_output_shape(n, 1)


@pytest.mark.parametrize("name", PARAMS)
def test_gradients_reach_every_parameter(name: str) -> None:
    torch.manual_seed(0)
    net = create_backbone(name, IN_CH).train()
    net(_x(2, 500)).square().mean().backward()
    missing = [p for p, t in net.named_parameters() if t.requires_grad and t.grad is None]
    assert not missing, f"no gradient reached {missing}"
    nonfinite = [
        p
        for p, t in net.named_parameters()
        if t.grad is not None and not torch.isfinite(t.grad).all()
    ]
    assert not nonfinite
    total = sum(float(t.grad.abs().sum()) for t in net.parameters() if t.grad is not None)
    assert total > 0


@pytest.mark.parametrize("name", PARAMS)
def test_eval_determinism_batch_one_and_state_dict_round_trip(name: str) -> None:
    net = _built(name)
    x = _x(2, 500)
    with torch.no_grad():
        a, b = net(x), net(x)
        assert torch.equal(a, b)
        one = net(x[:1])
        assert one.shape[0] == 1
        torch.testing.assert_close(one, a[:1], rtol=1e-4, atol=1e-5)
        torch.manual_seed(123)  # a different initialisation
        other = create_backbone(name, IN_CH, config=net.config).eval()  # type: ignore[arg-type]
        other.load_state_dict(net.state_dict())
        for (k1, v1), (k2, v2) in zip(
            net.state_dict().items(), other.state_dict().items(), strict=True
        ):
            assert k1 == k2 and torch.equal(v1, v2)
        assert torch.equal(other(x), a)


@pytest.mark.parametrize("name", NAMES)
def test_config_json_round_trip(name: str) -> None:
    cfg = get_backbone_config(name)
    assert dataclasses.is_dataclass(cfg)
    data = json.loads(json.dumps(cfg.to_dict()))
    again = type(cfg).from_config(data)
    assert again.to_dict() == cfg.to_dict()
    assert type(cfg).from_config(cfg) == cfg  # copies an instance


# ------------------------------------------------------------- hand-derived output lengths


@pytest.mark.parametrize("n", [1, 31, 32, 33, 2000, 2503, 5000])
def test_tresnet_length_is_ceil_of_total_stride(n: int) -> None:
    # space-to-depth by 4 (ceil), then three anti-aliased stride-2 stages (ceil each)
    net = _built("tresnetF")
    assert net.compute_output_shape(n, 3) == (3, 32 * 32, math.ceil(n / 32))


def test_nature_comm_lengths_by_hand() -> None:
    net = _built("resnet_nature_comm")
    # no stem subsampling, then four stride-4 stages: ceil(ceil(ceil(ceil(n/4)/4)/4)/4)
    assert net.compute_output_shape(5000, 2) == (2, 320, 20)
    assert net.compute_output_shape(4096, 2) == (2, 320, 16)


# ------------------------------------------------------------- registry behaviour


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(ValueError, match="resnet_nature_comm") as exc:
        create_backbone("resnet_nature_com", 12)
    assert "close matches" in str(exc.value)
    with pytest.raises(ValueError, match="unknown backbone"):
        create_backbone("resnet", 12)  # no substring guessing


def test_duplicate_registration_raises() -> None:
    def resnet_nature_comm(in_channels: int, config: ResNetConfig) -> ResNet:
        return ResNet(in_channels, config)

    with pytest.raises(ValueError, match="already registered"):
        register_backbone(ResNetConfig)(resnet_nature_comm)


def test_overrides_apply_and_unknown_key_is_named() -> None:
    net = create_backbone("tresnetP", 3, init_filters=8)
    assert net.out_channels == 8 * 32
    with pytest.raises(ValueError, match=r"no_such_key.*allowed"):
        create_backbone("tresnetP", 3, no_such_key=1)


def test_from_config_unknown_key_and_bad_values() -> None:
    with pytest.raises(ValueError, match=r"'bogus'.*allowed"):
        ResNetConfig.from_config({"bogus": 1})
    with pytest.raises(ValueError, match="one value per block"):
        ResNetConfig(num_blocks=[1, 1], building_block=["basic"] * 3)
    with pytest.raises(ValueError, match="building_block"):
        ResNetConfig(building_block="bottelneck")
    with pytest.raises(ValueError, match="odd"):
        ResNetConfig(filter_lengths=16)
    with pytest.raises(ValueError, match="conv_type"):
        ResNetConfig(conv_type="depthwise")
    with pytest.raises(ValueError, match="in_channels"):
        create_backbone("tresnetP", 0)


def test_wrong_leads_and_too_short_input() -> None:
    net = _built("resnet_nature_comm_bottle_neck")
    with pytest.raises(ValueError, match=r"3 leads.*in_channels=12"):
        net(torch.randn(1, 3, 1000))
    with pytest.raises(ValueError, match=r"shape \(batch, leads, samples\)"):
        net(torch.randn(12, 1000))
    with pytest.raises(ValueError, match="receptive field"):
        create_backbone("vgg16", 12).compute_output_shape(8, 1)


# ------------------------------------------------------------- the seed's custom example


def test_seed_custom_backbone_example() -> None:
    cfg = deepcopy(tresnet_p_config())
    assert isinstance(cfg.building_block, list) and isinstance(cfg.attention, list)
    cfg.building_block[1] = "bottleneck"
    cfg.attention[1] = "se"
    cfg.conv_type = "separable"
    net = create_backbone("tresnetP", 12, config=cfg)
    stage2 = net.stages[2][0]
    assert type(stage2).__name__ == "Bottleneck"
    assert type(stage2.attn).__name__ == "SEBlock"
    depthwise = [m for m in net.modules() if isinstance(m, torch.nn.Conv1d) and m.groups > 1]
    assert depthwise, "separable convs use depthwise convolutions"
    out = net.eval()(_x(1, 2000))
    assert tuple(out.shape) == net.compute_output_shape(2000, 1)
    # the default config is untouched
    assert tresnet_p_config().building_block[1] == "basic"
    # changing a list in place to an invalid value is caught at build time
    cfg.building_block[0] = "nope"
    with pytest.raises(ValueError, match="building_block"):
        create_backbone("tresnetP", 12, config=cfg)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("name", backbone_params.params(backbone_params.SCRIPT_FAST))
def test_torchscript_matches_eager(name: str) -> None:
    net = _built(name)
    scripted = torch.jit.script(net)
    x = _x(1, 600)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), net(x), rtol=1e-4, atol=1e-5)


# ONNX (the exporter of ecg_models.models.export, run by onnxruntime): the same small models by
# default, every model with `-m slow`.
@pytest.mark.parametrize("name", backbone_params.params(backbone_params.SCRIPT_FAST))
def test_onnx_export_matches_eager(name: str, tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from ecg_models.models.export import to_onnx

    net = _built(name)
    x = _x(2, 600)
    path = to_onnx(net, x, tmp_path / f"{name}.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        for xb in (x, x[:1]):  # the batch axis is dynamic
            got = session.run(None, {"input": xb.numpy()})[0]
            assert got.shape == net.compute_output_shape(600, xb.shape[0])
            np.testing.assert_allclose(got, net(xb).numpy(), rtol=1e-4, atol=1e-4)
