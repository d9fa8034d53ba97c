"""TResNet for ECG (Ridnik et al., "TResNet: High Performance GPU-Dedicated Architecture",
WACV 2021), in 1-D and following torch_ecg's variants.

TResNet = space-to-depth stem (by 4) + ResNet stages with anti-aliased downsampling (Zhang 2019,
``conv_type="aa"``), SE blocks in the first three stages (reduction 4 in the basic stages, 8 in the
bottleneck stage), basic blocks in stages 1-2, bottlenecks in stages 3-4 and leaky-ReLU.

Variants (stem channels / blocks per stage / kernel length at 500 Hz):
    tresnetF (femto, separable convs): 32 / 1-1-1-1 / 17;  tresnetP (pico): 56 / 1-1-1-1 / 17;
    tresnetN: 56 / 2-2-2-2 / 15;  tresnetS: 56 / 3-4-6-3 / 13;  tresnetM: 64 / 3-4-11-3 / 11;
    tresnetL: 76 / 4-5-18-3 / 11-11-9-7.

Shapes: ``(batch, in_channels, samples)`` to ``(batch, 32 * stem_channels, ceil(samples / 32))``.
"""

from __future__ import annotations

from typing import Any

from ecg_models.backbones.resnet import ResNet, ResNetConfig
from ecg_models.registry import register_backbone

__all__ = [
    "tresnet_f_config",
    "tresnet_l_config",
    "tresnet_m_config",
    "tresnet_n_config",
    "tresnet_p_config",
    "tresnet_s_config",
]


def _tresnet(
    init_filters: int, num_blocks: list[int], filter_lengths: int | list[int], conv_type: str = "aa"
) -> ResNetConfig:
    return ResNetConfig(
        num_blocks=num_blocks,
        filter_lengths=filter_lengths,
        subsample_lengths=[1, 2, 2, 2],
        building_block=["basic", "basic", "bottleneck", "bottleneck"],
        conv_type=[conv_type] * 4,
        attention=["se", "se", "se", None],
        attention_reduction=[4, 4, 8, 8],
        stem="s2d",
        init_filters=init_filters,
        init_filter_length=1,
        init_conv_stride=1,
        init_pool_stride=1,
        activation="leaky",
    )


def tresnet_f_config() -> ResNetConfig:
    """TResNet-F (femto): separable convolutions, one block per stage, 32 stem channels."""
    return _tresnet(32, [1, 1, 1, 1], 17, "separable")


def tresnet_p_config() -> ResNetConfig:
    """TResNet-P (pico): one block per stage, 56 stem channels."""
    return _tresnet(56, [1, 1, 1, 1], 17)


def tresnet_n_config() -> ResNetConfig:
    """TResNet-N (nano): 2-2-2-2 blocks, 56 stem channels."""
    return _tresnet(56, [2, 2, 2, 2], 15)


def tresnet_s_config() -> ResNetConfig:
    """TResNet-S: 3-4-6-3 blocks, 56 stem channels."""
    return _tresnet(56, [3, 4, 6, 3], 13)


def tresnet_m_config() -> ResNetConfig:
    """TResNet-M (Ridnik 2021): 3-4-11-3 blocks, 64 stem channels."""
    return _tresnet(64, [3, 4, 11, 3], 11)


def tresnet_l_config() -> ResNetConfig:
    """TResNet-L (Ridnik 2021): 4-5-18-3 blocks, 76 stem channels."""
    return _tresnet(76, [4, 5, 18, 3], [11, 11, 9, 7])


_VARIANTS: dict[str, Any] = {
    "tresnetF": tresnet_f_config,
    "tresnetP": tresnet_p_config,
    "tresnetN": tresnet_n_config,
    "tresnetS": tresnet_s_config,
    "tresnetM": tresnet_m_config,
    "tresnetL": tresnet_l_config,
}


def _register(name: str, factory: Any) -> None:
    def builder(in_channels: int, config: ResNetConfig) -> ResNet:
        return ResNet(in_channels, config)

    builder.__name__ = name
    builder.__qualname__ = name
    register_backbone(factory, family="tresnet")(builder)


for _name, _factory in _VARIANTS.items():
    _register(_name, _factory)
