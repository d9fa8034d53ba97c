"""Shared building blocks of the backbones and task models (1-D, time on the last axis)."""

from ecg_models.layers.attention import (
    ATTENTIONS,
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
    SeqLenModule,
    SeqLenSequential,
    conv_output_length,
    get_activation,
    get_normalization,
    module_output_length,
    same_padding,
)

__all__ = [
    "ATTENTIONS",
    "BlurPool1d",
    "CBAMBlock",
    "Conv_Bn_Activation",
    "GlobalContextBlock",
    "NonLocalBlock",
    "Pool1d",
    "SEBlock",
    "SeqLenModule",
    "SeqLenSequential",
    "conv_output_length",
    "get_activation",
    "get_normalization",
    "make_attention",
    "module_output_length",
    "same_padding",
]
