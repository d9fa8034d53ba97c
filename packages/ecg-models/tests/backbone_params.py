"""Which registered backbones the default test run builds, and which only run with ``-m slow``.

One list for every test module that goes over the backbone registry (registered as the module
``backbone_params`` by the root conftest).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from ecg_models.registry import list_backbones

#: One small variant per family: for tests that cost more per model (Grad-CAM).
ONE_PER_FAMILY = {
    "darknet_tiny",
    "densenet_cpsc2020",
    "densenet_vanilla",
    "efficientnet_b0",
    "hardnet39",
    "ho_resnet_rk4",
    "mobilenet_v1",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "multi_scopic_leadwise",
    "resnet_nature_comm",
    "resnet_nature_comm_bottle_neck_se",
    "resnet_stanford",
    "strided_cnn",
    "tresnetF",
    "vgg16_leadwise",
    "xception_leadwise",
}

#: The small variants (at least one per family); the big ones (> ~10 M parameters or > ~1.5 s
#: of CPU per model) run with ``-m slow``.
FAST = ONE_PER_FAMILY | {
    "regnet_16_8",
    "regnet_S",
    "resnet_nature_comm_bottle_neck",
    "resnet_nature_comm_bottle_neck_cbam",
    "resnet_nature_comm_bottle_neck_gc",
    "resnet_nature_comm_se",
    "transformer_encoder",
    "tresnetP",
}

#: One small model per block kind for TorchScript (deprecated by torch, still used for export).
SCRIPT_FAST = {
    "tresnetF",
    "densenet_cpsc2020",
    "mobilenet_v3_small",
    "hardnet39",
    "ho_resnet_rk4",
    "regnet_S",
    "transformer_encoder",
}


def params(fast: Iterable[str] = FAST) -> list[Any]:
    """Every registered backbone name; those outside ``fast`` marked ``slow``."""
    fast = set(fast)
    unknown = fast - set(list_backbones())
    if unknown:
        raise ValueError(f"not registered backbones: {sorted(unknown)}")
    return [n if n in fast else pytest.param(n, marks=pytest.mark.slow) for n in list_backbones()]
