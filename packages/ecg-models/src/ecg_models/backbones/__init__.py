"""The backbone zoo: importing this package registers every family with the registry."""

from ecg_models.backbones import (
    darknet,
    densenet,
    efficientnet,
    hardnet,
    ho_resnet,
    mobilenet,
    multi_scopic,
    regnet,
    resnet,
    strided_cnn,
    transformer,
    tresnet,
    vgg,
    xception,
)

__all__ = [
    "darknet",
    "densenet",
    "efficientnet",
    "hardnet",
    "ho_resnet",
    "mobilenet",
    "multi_scopic",
    "regnet",
    "resnet",
    "strided_cnn",
    "transformer",
    "tresnet",
    "vgg",
    "xception",
]
