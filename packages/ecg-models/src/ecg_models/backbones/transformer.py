"""A Transformer-encoder backbone for ECG (Vaswani et al., "Attention Is All You Need", 2017).

The signal is cut into non-overlapping patches of ``patch_size`` samples (the end zero-padded
to a whole patch), each patch is embedded by a linear map of its ``leads * patch_size`` values
(a convolution whose kernel and stride are the patch), sinusoidal position encodings are added,
and ``num_layers`` encoder layers (multi-head self-attention and a feed-forward block, each with
a residual connection and layer norm) process the token sequence, as in ViT (Dosovitskiy et al.
2021) for 1-D signals.

The encoder layers match torch_ecg's ``Transformer`` with its default ``attn.transformer``
config (8 heads, feed-forward width 1024, one layer, dropout 0.1, ReLU); torch_ecg applies them
to CNN features, and the patch embedding makes them a backbone of raw leads.

Shapes: ``(batch, in_channels, samples)`` to ``(batch, d_model, ceil(samples / patch_size))``.

No ``from __future__ import annotations`` here: TorchScript reads the class annotations of
:class:`TransformerBackbone` and needs real types, not strings.

Example:
    >>> from ecg_models.registry import create_backbone
    >>> net = create_backbone("transformer_encoder", in_channels=12)
    >>> net.compute_output_shape(5000, 2)  # 5000 samples at 500 Hz -> 313 tokens of 32 ms
    (2, 256, 313)
"""

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as nnf
from torch import Tensor, nn

from ecg_models.backbones._base import BackboneConfig, LengthAwareBackbone, check_seq_len
from ecg_models.layers.conv import check_choice, check_int
from ecg_models.registry import register_backbone

__all__ = ["TransformerBackbone", "TransformerConfig", "sinusoidal_positions"]

_ACTIVATIONS = ("relu", "gelu")


def sinusoidal_positions(n_tokens: int, d_model: int, device: torch.device | None = None) -> Tensor:
    """Sinusoidal position encodings ``(n_tokens, d_model)`` (Vaswani 2017): even channels
    ``sin(p / 10000**(2i / d_model))``, odd channels the cosine, for token positions ``p``."""
    pos = torch.arange(n_tokens, dtype=torch.float32, device=device)[:, None]
    half = torch.arange(0, d_model, 2, dtype=torch.float32, device=device)
    angle = pos * torch.exp(half * (-math.log(10000.0) / d_model))
    pe = torch.zeros(n_tokens, d_model, device=device)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return pe


@dataclass(slots=True)
class TransformerConfig(BackboneConfig):
    """Config of :class:`TransformerBackbone`.

    Attributes:
        d_model: token (and output) channels.
        num_heads: attention heads (must divide ``d_model``).
        num_layers: encoder layers.
        dim_feedforward: hidden units of each layer's feed-forward block.
        dropout: dropout rate of the attention weights and feed-forward block.
        activation: ``"relu"`` or ``"gelu"`` in the feed-forward block.
        patch_size: samples per token (stride of the embedding); 16 samples are 32 ms at 500 Hz.
        norm_first: layer norm before (pre-LN) instead of after each residual sub-block.
    """

    d_model: int = 256
    num_heads: int = 8
    num_layers: int = 1
    dim_feedforward: int = 1024
    dropout: float = 0.1
    activation: str = "relu"
    patch_size: int = 16
    norm_first: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field."""
        for name in ("d_model", "num_heads", "num_layers", "dim_feedforward", "patch_size"):
            check_int(name, getattr(self, name))
        if self.d_model % self.num_heads:
            raise ValueError(
                f"num_heads={self.num_heads} must divide d_model={self.d_model} (channels)"
            )
        if self.d_model % 2:
            raise ValueError(f"d_model must be even (sine/cosine pairs), got {self.d_model}")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, int | float):
            raise TypeError(f"dropout must be a number, got {self.dropout!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        check_choice("activation", self.activation, _ACTIVATIONS)
        if not isinstance(self.norm_first, bool):
            raise TypeError(f"norm_first must be a bool, got {self.norm_first!r}")


class TransformerBackbone(LengthAwareBackbone):
    """Patch embedding, sinusoidal positions and a Transformer encoder.

    Args:
        in_channels: number of input leads.
        config: a :class:`TransformerConfig` or a mapping of its fields.

    Shapes: ``(batch, in_channels, samples)`` to ``(batch, d_model, ceil(samples / patch_size))``.
    """

    in_channels: int
    out_channels: int
    patch_size: int

    def __init__(self, in_channels: int, config: TransformerConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(TransformerConfig, config, in_channels)
        self.out_channels = cfg.d_model
        self.patch_size = cfg.patch_size
        self.embed = nn.Conv1d(in_channels, cfg.d_model, cfg.patch_size, cfg.patch_size)
        layer = nn.TransformerEncoderLayer(
            cfg.d_model,
            cfg.num_heads,
            cfg.dim_feedforward,
            cfg.dropout,
            activation=cfg.activation,
            batch_first=True,
            norm_first=cfg.norm_first,
        )
        self.encoder = nn.TransformerEncoder(layer, cfg.num_layers, enable_nested_tensor=False)

    def output_length(self, seq_len: int) -> int:
        """Tokens for ``seq_len`` input samples: ``ceil(seq_len / patch_size)``."""
        return -(-check_seq_len(seq_len) // self.patch_size)

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, in_channels, samples)`` to ``(batch, d_model, tokens)``."""
        if not torch.jit.is_scripting():  # type: ignore[attr-defined]
            self.check_input(x)
        pad = (-x.shape[-1]) % self.patch_size
        if pad:
            x = nnf.pad(x, (0, pad))
        tokens = self.embed(x).transpose(1, 2)  # (batch, tokens, d_model)
        tokens = tokens + sinusoidal_positions(tokens.shape[1], tokens.shape[2], tokens.device).to(
            tokens.dtype
        )
        out: Tensor = self.encoder(tokens)
        return out.transpose(1, 2)


def transformer_encoder_config() -> TransformerConfig:
    """d_model 256, 8 heads, one encoder layer of feed-forward width 1024, dropout 0.1, ReLU
    (torch_ecg's default ``attn.transformer``), patches of 16 samples."""
    return TransformerConfig()


@register_backbone(transformer_encoder_config, family="transformer")
def transformer_encoder(in_channels: int, config: TransformerConfig) -> TransformerBackbone:
    """The Transformer-encoder backbone (see :class:`TransformerBackbone`)."""
    return TransformerBackbone(in_channels, config)
