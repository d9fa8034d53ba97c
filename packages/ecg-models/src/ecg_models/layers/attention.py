"""Channel / spatial attention blocks, all shape preserving: ``(batch, channels, samples)`` in
and out.

- :class:`SEBlock`: squeeze-and-excitation (Hu et al., "Squeeze-and-Excitation Networks",
  CVPR 2018).
- :class:`GlobalContextBlock`: global context block (Cao et al., "GCNet: Non-local Networks Meet
  Squeeze-Excitation Networks and Beyond", ICCVW 2019).
- :class:`CBAMBlock`: convolutional block attention module (Woo et al., "CBAM", ECCV 2018).
- :class:`NonLocalBlock`: embedded-Gaussian non-local block (Wang et al., "Non-local Neural
  Networks", CVPR 2018).
"""

from __future__ import annotations

import torch
import torch.nn.functional as nnf
from torch import Tensor, nn

from ecg_models.layers.conv import SeqLenModule, check_choice, check_int, get_activation

__all__ = [
    "ATTENTIONS",
    "CBAMBlock",
    "GlobalContextBlock",
    "NonLocalBlock",
    "SEBlock",
    "make_attention",
]


def _hidden(channels: int, reduction: float) -> int:
    if isinstance(reduction, bool) or not isinstance(reduction, int | float) or reduction <= 0:
        raise ValueError(f"reduction must be a positive number, got {reduction!r}")
    return max(1, int(round(channels / reduction)))


class SEBlock(SeqLenModule):
    """Squeeze-and-excitation (Hu 2018): global average pool, bottleneck MLP, sigmoid gate.

    Args:
        channels: number of channels.
        reduction: channel reduction ratio of the bottleneck (hidden = channels / reduction).
        activation: activation of the bottleneck.
        gate: gate activation (``"sigmoid"`` or ``"hardsigmoid"``, the latter for MobileNetV3).
    """

    def __init__(
        self,
        channels: int,
        reduction: float = 16,
        activation: str = "relu",
        gate: str = "sigmoid",
    ) -> None:
        super().__init__()
        check_int("channels", channels)
        hidden = _hidden(channels, reduction)
        self.channels = channels
        self.fc = nn.Sequential(
            nn.Conv1d(channels, hidden, 1),
            get_activation(activation),
            nn.Conv1d(hidden, channels, 1),
            get_activation(gate),
        )

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, channels, samples)`` to the same shape, each channel scaled by its gate."""
        w: Tensor = self.fc(x.mean(dim=-1, keepdim=True))
        return x * w


class GlobalContextBlock(SeqLenModule):
    """Global context block (Cao 2019): attention pooling of the context, a bottleneck transform
    with layer norm, fused into every position.

    Args:
        channels: number of channels.
        reduction: bottleneck ratio (hidden = channels / reduction).
        pooling_type: ``"attn"`` (softmax attention pooling) or ``"avg"``.
        fusion_types: any of ``"add"`` and ``"mul"``.
    """

    def __init__(
        self,
        channels: int,
        reduction: float = 16,
        pooling_type: str = "attn",
        fusion_types: tuple[str, ...] | list[str] = ("add",),
    ) -> None:
        super().__init__()
        check_int("channels", channels)
        check_choice("pooling_type", pooling_type, ("attn", "avg"))
        fusion = tuple(fusion_types)
        if not fusion:
            raise ValueError("fusion_types must contain at least one of 'add', 'mul'")
        for f in fusion:
            check_choice("fusion_types item", f, ("add", "mul"))
        hidden = _hidden(channels, reduction)
        self.channels = channels
        self.pooling_type = pooling_type
        self.fusion_types = fusion
        self.conv_mask = nn.Conv1d(channels, 1, 1) if pooling_type == "attn" else None
        self.add_transform = self._transform(channels, hidden) if "add" in fusion else None
        self.mul_transform = self._transform(channels, hidden) if "mul" in fusion else None

    @staticmethod
    def _transform(channels: int, hidden: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv1d(channels, hidden, 1),
            nn.GroupNorm(1, hidden),  # layer norm over (channels, 1)
            nn.ReLU(),
            nn.Conv1d(hidden, channels, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, channels, samples)`` to the same shape."""
        if self.conv_mask is not None:
            mask: Tensor = self.conv_mask(x)  # (batch, 1, samples)
            weights = nnf.softmax(mask, dim=-1)
            context = torch.matmul(x, weights.transpose(1, 2))  # (batch, channels, 1)
        else:
            context = x.mean(dim=-1, keepdim=True)
        out = x
        if self.mul_transform is not None:
            m: Tensor = self.mul_transform(context)
            out = out * torch.sigmoid(m)
        if self.add_transform is not None:
            a: Tensor = self.add_transform(context)
            out = out + a
        return out


class CBAMBlock(SeqLenModule):
    """Convolutional block attention module (Woo 2018): channel attention (shared MLP over avg-
    and max-pooled features) followed by spatial attention (conv over channel-pooled maps).

    Args:
        channels: number of channels.
        reduction: channel reduction ratio of the shared MLP.
        spatial_kernel: kernel length of the spatial-attention convolution (odd).
        pool_types: channel pooling types, any of ``"avg"``, ``"max"``.
        no_spatial: disable the spatial attention.
    """

    def __init__(
        self,
        channels: int,
        reduction: float = 16,
        spatial_kernel: int = 7,
        pool_types: tuple[str, ...] | list[str] = ("avg", "max"),
        no_spatial: bool = False,
    ) -> None:
        super().__init__()
        check_int("channels", channels)
        check_int("spatial_kernel", spatial_kernel)
        if spatial_kernel % 2 == 0:
            raise ValueError(f"spatial_kernel must be odd, got {spatial_kernel}")
        pools = tuple(pool_types)
        if not pools:
            raise ValueError("pool_types must contain at least one of 'avg', 'max'")
        for p in pools:
            check_choice("pool_types item", p, ("avg", "max"))
        hidden = _hidden(channels, reduction)
        self.channels = channels
        self.pool_types = pools
        self.mlp = nn.Sequential(
            nn.Conv1d(channels, hidden, 1), nn.ReLU(), nn.Conv1d(hidden, channels, 1)
        )
        self.spatial = (
            None
            if no_spatial
            else nn.Sequential(
                nn.Conv1d(2, 1, spatial_kernel, padding=spatial_kernel // 2, bias=False),
                nn.BatchNorm1d(1),
            )
        )

    def forward(self, x: Tensor) -> Tensor:
        att: Tensor | None = None
        for p in self.pool_types:
            pooled = x.mean(dim=-1, keepdim=True) if p == "avg" else x.amax(dim=-1, keepdim=True)
            a: Tensor = self.mlp(pooled)
            att = a if att is None else att + a
        if att is None:  # unreachable: pool_types is validated non-empty
            raise RuntimeError("CBAM needs at least one pool type")
        x = x * torch.sigmoid(att)
        if self.spatial is not None:
            maps = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)
            s: Tensor = self.spatial(maps)
            x = x * torch.sigmoid(s)
        return x


class NonLocalBlock(SeqLenModule):
    """Embedded-Gaussian non-local block (Wang 2018) with a residual connection.

    Args:
        channels: number of channels.
        inter_channels: embedding channels (defaults to ``channels // 2``, at least 1).
        subsample: max-pool factor applied to the keys and values (1 for none).
    """

    def __init__(
        self, channels: int, inter_channels: int | None = None, subsample: int = 1
    ) -> None:
        super().__init__()
        check_int("channels", channels)
        check_int("subsample", subsample)
        inter = max(1, channels // 2) if inter_channels is None else inter_channels
        check_int("inter_channels", inter)
        self.channels = channels
        self.inter_channels = inter
        self.subsample = subsample
        self.theta = nn.Conv1d(channels, inter, 1)
        self.phi = nn.Conv1d(channels, inter, 1)
        self.g = nn.Conv1d(channels, inter, 1)
        self.out = nn.Sequential(nn.Conv1d(inter, channels, 1), nn.BatchNorm1d(channels))

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, channels, samples)`` to the same shape."""
        theta: Tensor = self.theta(x)  # (batch, inter, n)
        phi: Tensor = self.phi(x)
        g: Tensor = self.g(x)
        if self.subsample > 1 and x.shape[-1] >= self.subsample:
            phi = nnf.max_pool1d(phi, self.subsample)
            g = nnf.max_pool1d(g, self.subsample)
        attn = nnf.softmax(torch.matmul(theta.transpose(1, 2), phi), dim=-1)  # (batch, n, m)
        y = torch.matmul(attn, g.transpose(1, 2)).transpose(1, 2)  # (batch, inter, n)
        o: Tensor = self.out(y)
        return x + o


ATTENTIONS: dict[str, type[SeqLenModule]] = {
    "se": SEBlock,
    "gc": GlobalContextBlock,
    "cbam": CBAMBlock,
    "nl": NonLocalBlock,
    "non_local": NonLocalBlock,
}


def make_attention(name: str | None, channels: int, reduction: float = 16) -> nn.Module:
    """Attention block by name (``"se"``, ``"gc"``, ``"cbam"``, ``"nl"``) or identity for ``None``."""
    if name is None:
        return nn.Identity()
    check_choice("attention", name, list(ATTENTIONS))
    if name in ("nl", "non_local"):
        return NonLocalBlock(channels)
    cls = ATTENTIONS[name]
    return cls(channels, reduction=reduction)  # type: ignore[call-arg]
