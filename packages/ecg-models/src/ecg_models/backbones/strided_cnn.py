"""A small strided CNN for fast sequence labelling (QRS detection on long recordings).

The first layers stride, so most of the network runs at a fraction of the input rate (the
output is at ``fs / prod(strides)``), and later layers widen the receptive field with dilation
instead of more depth. With ``rectify_stem`` the first convolution (no bias) is followed by its
absolute value: a learned filter bank with rectification, as the derivative-and-squaring front
end of Pan & Tompkins (1985). The network is then exactly invariant to the polarity of the
input (``f(-x) == f(x)``), so no flip averaging is needed at inference.

Layers after the stem are convolution, batch norm and activation
(:class:`~ecg_models.layers.conv.Conv_Bn_Activation`), with a residual connection where the
stride is 1 and the channels match.

Shapes: ``(batch, in_channels, samples)`` to ``(batch, filters[-1], samples // prod(strides))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ecg_models.backbones._base import (
    BackboneConfig,
    SeqBackbone,
    check_seq_len,
    positive_ints,
)
from ecg_models.layers.conv import (
    Conv_Bn_Activation,
    SeqLenModule,
    SeqLenSequential,
    conv_output_length,
    get_activation,
    same_padding,
)
from ecg_models.registry import register_backbone

__all__ = ["RectifiedConv", "StridedCNN", "StridedCNNConfig", "strided_cnn_config"]


@dataclass(slots=True)
class StridedCNNConfig(BackboneConfig):
    """Config of :class:`StridedCNN` (one entry per layer in each list).

    Attributes:
        filters: output channels of each layer.
        filter_lengths: kernel length of each layer (odd, samples at that layer's rate).
        strides: stride of each layer.
        dilations: dilation of each layer.
        rectify_stem: the first layer is a bias-free convolution followed by ``abs`` (polarity
            invariance) instead of convolution, batch norm and activation.
        activation: activation of the other layers.
    """

    filters: list[int] = field(default_factory=lambda: [16, 24, 32, 32, 32, 32])
    filter_lengths: list[int] = field(default_factory=lambda: [9, 7, 5, 5, 5, 5])
    strides: list[int] = field(default_factory=lambda: [4, 2, 1, 1, 1, 1])
    dilations: list[int] = field(default_factory=lambda: [1, 1, 1, 2, 4, 8])
    rectify_stem: bool = True
    activation: str = "relu"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field (lists of equal length, odd kernels, a known activation)."""
        n = len(self.filters) if isinstance(self.filters, list | tuple) else None
        for name in ("filters", "filter_lengths", "strides", "dilations"):
            setattr(self, name, list(positive_ints(name, getattr(self, name), n)))
        if any(k % 2 == 0 for k in self.filter_lengths):
            raise ValueError(f"filter_lengths must be odd (samples), got {self.filter_lengths}")
        if not isinstance(self.rectify_stem, bool):
            raise TypeError(f"rectify_stem must be a bool, got {self.rectify_stem!r}")
        get_activation(self.activation)


class RectifiedConv(SeqLenModule):
    """``|conv1d(x)|`` with a bias-free convolution: ``f(-x) == f(x)``.

    Args:
        in_channels, out_channels, kernel_size, stride, dilation: of the convolution (padding
            keeps ``ceil(samples / stride)`` outputs for odd kernels).
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int, dilation: int
    ) -> None:
        super().__init__()
        self.padding = same_padding(kernel_size, dilation)
        self.kernel_size, self.stride, self.dilation = kernel_size, stride, dilation
        self.conv = nn.Conv1d(
            in_channels, out_channels, kernel_size, stride, self.padding, dilation, bias=False
        )

    def output_length(self, seq_len: int) -> int:
        return conv_output_length(
            seq_len, self.kernel_size, self.stride, self.padding, self.dilation
        )

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, in_channels, samples)`` to ``(batch, out_channels, samples_out)``."""
        out: Tensor = self.conv(x).abs()
        return out


class _Residual(SeqLenModule):
    """``x + body(x)`` for a length- and channel-preserving ``body``."""

    def __init__(self, body: Conv_Bn_Activation) -> None:
        super().__init__()
        self.body = body

    def output_length(self, seq_len: int) -> int:
        return self.body.output_length(seq_len)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = x + self.body(x)
        return out


class StridedCNN(SeqBackbone):
    """Strided (then dilated) CNN; output at ``1 / prod(strides)`` of the input rate.

    Args:
        in_channels: number of input leads.
        config: a :class:`StridedCNNConfig` or a mapping of its fields.
    """

    def __init__(self, in_channels: int, config: StridedCNNConfig | dict[str, object]) -> None:
        super().__init__()
        cfg = self._configure(StridedCNNConfig, config, in_channels)  # type: ignore[arg-type]
        layers: list[nn.Module] = []
        ch = in_channels
        specs = zip(cfg.filters, cfg.filter_lengths, cfg.strides, cfg.dilations, strict=True)
        for i, (out, k, s, d) in enumerate(specs):
            if i == 0 and cfg.rectify_stem:
                layers.append(RectifiedConv(ch, out, k, s, d))
            else:
                block = Conv_Bn_Activation(ch, out, k, s, dilation=d, activation=cfg.activation)
                layers.append(_Residual(block) if s == 1 and ch == out else block)
            ch = out
        self.stages = SeqLenSequential(*layers)
        self.out_channels = ch
        self._reduction = math.prod(cfg.strides)

    @property
    def reduction(self) -> int:
        """Input samples per output step (the product of the strides)."""
        return self._reduction

    def output_length(self, seq_len: int) -> int:
        """``seq_len // reduction``: output step ``j`` covers input samples ``[j * reduction,
        (j + 1) * reduction)``; a partial step at the end is dropped, as pooling backbones do.

        Raises:
            ValueError: an input shorter than ``reduction`` samples.
        """
        check_seq_len(seq_len)
        n = seq_len // self._reduction
        if n < 1:
            raise ValueError(
                f"input of {seq_len} samples is shorter than one output step "
                f"({self._reduction} samples)"
            )
        return n

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, in_channels, samples)`` to ``(batch, out_channels, samples // reduction)``."""
        if not torch.jit.is_scripting():  # type: ignore[attr-defined]
            self.check_input(x)
        out: Tensor = self.stages(x)
        return out[..., : x.shape[-1] // self._reduction]

    def inference_module(self) -> nn.Module:
        """A frozen copy for fast eval-mode inference: each batch norm folded into its
        convolution, every convolution run as a 2-D convolution on a ``(batch, channels, 1,
        samples)`` channels-last tensor (much faster than 1-D convolutions on CPU).

        The copy maps ``(batch, in_channels, samples)`` to ``(batch, out_channels,
        samples_out)`` like ``self.eval()``, equal to it within float32 rounding; it has no
        gradients and does not follow later changes of ``self``.
        """
        layers: list[nn.Module] = []
        for mod in self.stages:
            if isinstance(mod, RectifiedConv):
                layers.append(_Conv2dStep(mod.conv, rectify=True))
            elif isinstance(mod, _Residual):
                layers.append(_Conv2dStep(*_conv_bn(mod.body), residual=True))
            elif isinstance(mod, Conv_Bn_Activation):
                layers.append(_Conv2dStep(*_conv_bn(mod)))
            else:  # pragma: no cover - the constructor builds only the three kinds
                raise TypeError(f"no inference form for {type(mod).__name__}")
        return _Conv2dPlan(layers, self._reduction).eval().requires_grad_(False)


def _conv_bn(block: Conv_Bn_Activation) -> tuple[nn.Conv1d, nn.Module, nn.Module]:
    conv, norm, act = block.layers[0], block.layers[1], block.layers[2]
    if not isinstance(conv, nn.Conv1d):  # pragma: no cover - built by the constructor
        raise TypeError(f"expected a Conv1d, got {type(conv).__name__}")
    return conv, norm, act


class _Conv2dStep(nn.Module):
    """One layer of :meth:`StridedCNN.inference_module` on ``(batch, channels, 1, samples)``:
    convolution (batch norm folded in), then ``abs`` or the activation, then the residual."""

    def __init__(
        self,
        conv: nn.Conv1d,
        norm: nn.Module | None = None,
        act: nn.Module | None = None,
        rectify: bool = False,
        residual: bool = False,
    ) -> None:
        super().__init__()
        if isinstance(norm, nn.BatchNorm1d):
            from torch.nn.utils.fusion import fuse_conv_bn_eval

            conv = fuse_conv_bn_eval(conv.eval(), norm.eval())
        elif norm is not None and not isinstance(norm, nn.Identity):  # pragma: no cover
            raise TypeError(f"no inference form for {type(norm).__name__}")
        pad = conv.padding
        if isinstance(pad, str):  # pragma: no cover - the constructor pads explicitly
            raise TypeError("string paddings have no inference form")
        c2 = nn.Conv2d(
            conv.in_channels,
            conv.out_channels,
            (1, conv.kernel_size[0]),
            (1, conv.stride[0]),
            (0, int(pad[0])),
            (1, conv.dilation[0]),
            conv.groups,
            bias=conv.bias is not None,
        )
        with torch.no_grad():
            c2.weight.copy_(conv.weight.detach().unsqueeze(2))
            if conv.bias is not None and c2.bias is not None:
                c2.bias.copy_(conv.bias.detach())
        self.conv = c2.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.relu = isinstance(act, nn.ReLU)
        self.act = nn.Identity() if act is None or self.relu else act
        self.rectify = rectify
        self.residual = residual

    def forward(self, x: Tensor) -> Tensor:
        return self._finish(self.conv(x), x)

    def unpadded(self, x: Tensor, shift: int) -> Tensor:
        """The layer without zero padding (stride 1): output step ``j`` is the padded layer's
        step ``j + shift`` of the full input when ``x`` starts ``shift`` steps later."""
        conv = self.conv
        out = nn.functional.conv2d(x, conv.weight, conv.bias, 1, 0, conv.dilation, conv.groups)
        return self._finish(out, x[..., shift : shift + out.shape[-1]])

    def _finish(self, out: Tensor, x: Tensor) -> Tensor:
        if self.rectify:
            out = out.abs_()
        elif self.relu:
            out = out.relu_()
        else:
            out = self.act(out)
        if self.residual:
            out = out.add_(x)
        return out


class _Conv2dPlan(nn.Module):
    """The layers of :meth:`StridedCNN.inference_module` run in sequence; ``keep=(lo, hi)``
    returns only the output steps ``lo..hi-1``."""

    def __init__(self, layers: list[nn.Module], reduction: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.reduction = reduction
        # the trailing stride-1 "same" layers: the ones whose work a narrower output range
        # saves; each has the radius r (output step j reads input steps j - r .. j + r)
        tail: list[tuple[_Conv2dStep, int]] = []
        for layer in reversed(layers):
            if not isinstance(layer, _Conv2dStep) or layer.conv.stride != (1, 1):
                break
            conv = layer.conv
            r = conv.dilation[1] * (conv.kernel_size[1] - 1) // 2
            if conv.padding != (0, r):
                break
            tail.insert(0, (layer, r))
        self._tail = tail
        self._n_head = len(layers) - len(tail)

    def forward(self, x: Tensor, keep: tuple[int, int] | None = None) -> Tensor:
        """``(batch, in_channels, samples)`` to ``(batch, out_channels, samples_out)``, or to
        ``(batch, out_channels, hi - lo)`` with ``keep=(lo, hi)`` (``0 <= lo < hi <=
        samples_out``): equal to ``forward(x)[..., lo:hi]`` within float32 rounding.

        With ``keep``, each trailing stride-1 layer computes only the steps the kept ones
        depend on (zero-padded only where they reach beyond the signal, as the full layer).
        """
        n_out = x.shape[-1] // self.reduction
        out = x.unsqueeze(2).contiguous(memory_format=torch.channels_last)
        if keep is None:
            for layer in self.layers:
                out = layer(out)
            return out.squeeze(2)[..., :n_out]
        lo, hi = int(keep[0]), int(keep[1])
        if not 0 <= lo < hi <= n_out:
            raise ValueError(f"keep must satisfy 0 <= lo < hi <= {n_out}, got {keep}")
        for layer in self.layers[: self._n_head]:
            out = layer(out)
        if not self._tail:
            return out.squeeze(2)[..., lo:hi]
        n = out.shape[-1]
        # the output steps each tail layer must give (last layer first): the ones the next
        # layer reads, inside the signal (outside it the padded layers read zeros)
        spans = [(lo, hi)]
        for _, r in reversed(self._tail[1:]):
            a, b = spans[0]
            spans.insert(0, (max(0, a - r), min(n, b + r)))
        start = 0  # out holds the steps start, start + 1, ... of the current layer's input
        for (layer, r), (a, b) in zip(self._tail, spans, strict=True):
            pad_lo, pad_hi = max(0, r - a), max(0, b + r - n)
            x_in = out[..., a - r + pad_lo - start : b + r - pad_hi - start]
            if pad_lo or pad_hi:
                x_in = nn.functional.pad(x_in, (pad_lo, pad_hi))
            out, start = layer.unpadded(x_in, r), a
        return out.squeeze(2)


def strided_cnn_config() -> StridedCNNConfig:
    """Six layers: a rectified 16-filter stem at stride 4 and 24 channels at stride 2 (the
    output is at 1/8 of the input rate), then four 32-channel layers dilated 1-2-4-8: a
    receptive field of 513 input samples (about 2 s at 250 Hz)."""
    return StridedCNNConfig()


@register_backbone(strided_cnn_config, family="strided_cnn")
def strided_cnn(in_channels: int, config: StridedCNNConfig) -> StridedCNN:
    """The strided CNN for fast sequence labelling."""
    return StridedCNN(in_channels, config)
