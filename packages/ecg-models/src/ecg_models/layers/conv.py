"""Convolution building blocks: Conv-BN-Activation with normal, separable or anti-aliased convs.

Every block here is a :class:`SeqLenModule`: besides ``forward`` it exposes
``output_length(seq_len)``, the exact number of output samples derived from the convolution
arithmetic, so that backbones compute their output shape without running a forward pass.

Anti-aliased downsampling follows Zhang, "Making Convolutional Networks Shift-Invariant Again"
(ICML 2019) as used by TResNet (Ridnik et al., WACV 2021): the convolution runs with stride 1 and a
fixed binomial blur filter does the subsampling. Separable convolutions follow Chollet, "Xception"
(CVPR 2017): a depthwise convolution followed by a pointwise (kernel 1) convolution.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import torch
import torch.nn.functional as nnf
from torch import Tensor, nn

__all__ = [
    "ACTIVATIONS",
    "CONV_TYPES",
    "NORMALIZATIONS",
    "BlurPool1d",
    "Conv_Bn_Activation",
    "Pool1d",
    "SeqLenModule",
    "SeqLenSequential",
    "check_choice",
    "check_int",
    "conv_output_length",
    "get_activation",
    "get_normalization",
    "module_output_length",
    "same_padding",
]

T = TypeVar("T")

CONV_TYPES: tuple[str | None, ...] = (None, "separable", "aa")

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": lambda: nn.ReLU(inplace=False),
    "relu6": lambda: nn.ReLU6(),
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "leaky": lambda: nn.LeakyReLU(0.1),
    "elu": lambda: nn.ELU(),
    "gelu": lambda: nn.GELU(),
    "mish": lambda: nn.Mish(),
    "swish": lambda: nn.SiLU(),
    "silu": lambda: nn.SiLU(),
    "hardswish": lambda: nn.Hardswish(),
    "hard_swish": lambda: nn.Hardswish(),
    "hardsigmoid": lambda: nn.Hardsigmoid(),
    "sigmoid": lambda: nn.Sigmoid(),
    "tanh": lambda: nn.Tanh(),
    "linear": lambda: nn.Identity(),
}

# In-place forms of the activations that support them (the backward pass is computed from the
# result, so the input buffer can be reused: one allocation less per activation).
_INPLACE_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": lambda: nn.ReLU(inplace=True),
    "relu6": lambda: nn.ReLU6(inplace=True),
    "leaky_relu": lambda: nn.LeakyReLU(0.01, inplace=True),
    "leaky": lambda: nn.LeakyReLU(0.1, inplace=True),
    "elu": lambda: nn.ELU(inplace=True),
}

NORMALIZATIONS: tuple[str, ...] = ("batch_norm", "instance_norm", "group_norm")


def check_int(name: str, value: object, minimum: int = 1) -> int:
    """Return ``value`` if it is an int ``>= minimum`` (bools rejected), else raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_choice(name: str, value: T, choices: Sequence[str | None]) -> T:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError`` listing them and
    naming close matches."""
    if value in choices:
        return value
    close = difflib.get_close_matches(str(value), [str(c) for c in choices if c is not None])
    hint = f"; close matches: {close}" if close else ""
    raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}{hint}")


def get_activation(name: str | None, inplace: bool = False) -> nn.Module:
    """A fresh activation module by name (``None`` or ``"linear"`` give the identity).

    Args:
        name: activation name (see ``ACTIVATIONS``) or ``None``.
        inplace: overwrite the input tensor where the activation has an in-place form (relu,
            relu6, leaky_relu, leaky, elu; the others ignore it). Only for callers that own the
            input: a fresh tensor that no other operation reads afterwards or saved for its
            backward pass (e.g. the output of a convolution or a normalisation layer). The
            function computed is the same; it saves one allocation and memory pass per call.
    """
    if name is None:
        return nn.Identity()
    if not isinstance(name, str):
        raise TypeError(f"activation must be a str or None, got {name!r}")
    if not isinstance(inplace, bool):
        raise TypeError(f"inplace must be a bool, got {inplace!r}")
    key = name.lower()
    if key not in ACTIVATIONS:
        check_choice("activation", name, list(ACTIVATIONS))
    if inplace and key in _INPLACE_ACTIVATIONS:
        return _INPLACE_ACTIVATIONS[key]()
    return ACTIVATIONS[key]()


def get_normalization(name: str | None, channels: int, groups: int = 8) -> nn.Module:
    """A normalisation module over ``channels`` (``None`` gives the identity)."""
    if name is None:
        return nn.Identity()
    check_choice("norm", name, NORMALIZATIONS)
    if name == "batch_norm":
        return nn.BatchNorm1d(channels)
    if name == "instance_norm":
        return nn.InstanceNorm1d(channels, affine=True)
    g = groups if channels % groups == 0 else 1
    return nn.GroupNorm(g, channels)


def same_padding(kernel_size: int, dilation: int = 1) -> int:
    """Padding keeping the length at stride 1 (odd effective kernels; even ones lose one sample)."""
    return dilation * (kernel_size - 1) // 2


def conv_output_length(
    seq_len: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a 1-D convolution / pooling (floor mode), as in ``torch.nn.Conv1d``.

    ``floor((seq_len + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``.
    Raises ``ValueError`` when the input is shorter than the (dilated) kernel.
    """
    eff = seq_len + 2 * padding - dilation * (kernel_size - 1) - 1
    if eff < 0:
        raise ValueError(
            f"input of {seq_len} samples is shorter than the receptive field of a layer "
            f"(kernel_size={kernel_size}, dilation={dilation}, padding={padding} samples)"
        )
    return eff // stride + 1


class SeqLenModule(nn.Module):
    """A module that knows its exact output length for an input length (in samples)."""

    def output_length(self, seq_len: int) -> int:
        """Number of output samples for an input of ``seq_len`` samples."""
        return seq_len


def module_output_length(module: nn.Module, seq_len: int) -> int:
    """Output length of ``module``; identity-like modules (activations, norms, dropout) keep it."""
    if isinstance(module, SeqLenModule):
        return module.output_length(seq_len)
    if isinstance(module, nn.Conv1d | nn.MaxPool1d | nn.AvgPool1d):
        k = module.kernel_size[0] if isinstance(module.kernel_size, tuple) else module.kernel_size
        s = module.stride[0] if isinstance(module.stride, tuple) else module.stride
        p = module.padding[0] if isinstance(module.padding, tuple) else module.padding
        d = 1
        if isinstance(module, nn.Conv1d | nn.MaxPool1d):
            dd = module.dilation
            d = dd[0] if isinstance(dd, tuple) else dd
        if isinstance(p, str):
            raise TypeError("string paddings are not supported by module_output_length")
        return conv_output_length(seq_len, int(k), int(s), int(p), int(d))
    if isinstance(module, nn.Sequential):
        for child in module:
            seq_len = module_output_length(child, seq_len)
        return seq_len
    return seq_len


class SeqLenSequential(nn.Sequential):
    """``nn.Sequential`` whose ``output_length`` folds over its children."""

    def output_length(self, seq_len: int) -> int:
        """Number of output samples for an input of ``seq_len`` samples."""
        for child in self:
            seq_len = module_output_length(child, seq_len)
        return seq_len


class BlurPool1d(SeqLenModule):
    """Anti-aliased subsampling (Zhang 2019): a fixed binomial low-pass filter, then stride.

    Shapes: ``(batch, channels, samples)`` to ``(batch, channels, ceil(samples / stride))`` for
    odd ``filt_size``.

    Args:
        channels: number of channels (the filter is depthwise).
        filt_size: binomial filter length (1 to 7).
        stride: subsampling factor.
    """

    def __init__(self, channels: int, filt_size: int = 3, stride: int = 2) -> None:
        super().__init__()
        check_int("channels", channels)
        check_int("stride", stride)
        if filt_size not in (1, 2, 3, 4, 5, 6, 7):
            raise ValueError(f"filt_size must be in 1..7, got {filt_size!r}")
        self.channels = channels
        self.filt_size = filt_size
        self.stride = stride
        self.pad = (filt_size - 1) // 2
        coeffs = torch.tensor([float(_binom(filt_size - 1, i)) for i in range(filt_size)])
        coeffs = coeffs / coeffs.sum()
        self.register_buffer("filt", coeffs[None, None, :].repeat(channels, 1, 1), persistent=False)

    def output_length(self, seq_len: int) -> int:
        return conv_output_length(seq_len, self.filt_size, self.stride, self.pad)

    def forward(self, x: Tensor) -> Tensor:
        if self.pad > 0:
            mode = "reflect" if x.shape[-1] > self.pad else "replicate"
            x = nnf.pad(x, (self.pad, self.pad), mode=mode)
        filt: Tensor = self.filt  # type: ignore[assignment]
        return nnf.conv1d(x, filt.to(x.dtype), stride=self.stride, groups=self.channels)


def _binom(n: int, k: int) -> int:
    out = 1
    for i in range(k):
        out = out * (n - i) // (i + 1)
    return out


class Pool1d(SeqLenModule):
    """Max or average pooling with explicit arithmetic; ``pool_type`` is ``"max"`` or ``"avg"``."""

    def __init__(
        self, kernel_size: int, stride: int | None = None, padding: int = 0, pool_type: str = "max"
    ) -> None:
        super().__init__()
        check_int("kernel_size", kernel_size)
        check_choice("pool_type", pool_type, ("max", "avg"))
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        check_int("stride", self.stride)
        if padding < 0 or padding > kernel_size // 2:
            raise ValueError(f"padding must be in [0, kernel_size // 2], got {padding}")
        self.padding = padding
        self.pool: nn.Module
        if pool_type == "max":
            self.pool = nn.MaxPool1d(kernel_size, self.stride, padding)
        else:
            self.pool = nn.AvgPool1d(kernel_size, self.stride, padding, count_include_pad=False)

    def output_length(self, seq_len: int) -> int:
        return conv_output_length(seq_len, self.kernel_size, self.stride, self.padding)

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, channels, samples)`` to ``(batch, channels, output_length(samples))``."""
        out: Tensor = self.pool(x)
        return out


class Conv_Bn_Activation(SeqLenModule):
    """Convolution, normalisation and activation (``(batch, in_ch, samples)`` to
    ``(batch, out_ch, samples_out)``).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: convolution kernel length (samples).
        stride: stride (samples).
        dilation: dilation.
        groups: convolution groups (ignored by ``"separable"``, whose depthwise part uses
            ``in_channels`` groups).
        norm: ``"batch_norm"``, ``"instance_norm"``, ``"group_norm"`` or ``None``.
        activation: activation name (see ``ACTIVATIONS``) or ``None``.
        conv_type: ``None`` (normal), ``"separable"`` (depthwise + pointwise, Chollet 2017) or
            ``"aa"`` (anti-aliased: stride-1 conv then :class:`BlurPool1d`, Zhang 2019).
        padding: explicit padding; defaults to ``dilation * (kernel_size - 1) // 2``.
        bias: convolution bias (defaults to ``norm is None``).
        ordering: ``"cba"`` (conv, norm, act) or ``"cab"`` (conv, act, norm).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        norm: str | None = "batch_norm",
        activation: str | None = "relu",
        conv_type: str | None = None,
        padding: int | None = None,
        bias: bool | None = None,
        ordering: str = "cba",
    ) -> None:
        super().__init__()
        for n, v in (
            ("in_channels", in_channels),
            ("out_channels", out_channels),
            ("kernel_size", kernel_size),
            ("stride", stride),
            ("dilation", dilation),
            ("groups", groups),
        ):
            check_int(n, v)
        check_choice("conv_type", conv_type, CONV_TYPES)
        check_choice("ordering", ordering, ("cba", "cab"))
        if conv_type is None and (in_channels % groups or out_channels % groups):
            raise ValueError(
                f"groups={groups} must divide in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.dilation = dilation
        self.conv_type = conv_type
        self.padding = same_padding(kernel_size, dilation) if padding is None else padding
        use_bias = norm is None if bias is None else bias
        layers: list[nn.Module] = []
        if conv_type == "separable":
            layers.append(
                nn.Conv1d(
                    in_channels,
                    in_channels,
                    kernel_size,
                    stride,
                    self.padding,
                    dilation,
                    groups=in_channels,
                    bias=False,
                )
            )
            layers.append(nn.Conv1d(in_channels, out_channels, 1, bias=use_bias))
        elif conv_type == "aa":
            layers.append(
                nn.Conv1d(
                    in_channels,
                    out_channels,
                    kernel_size,
                    1,
                    self.padding,
                    dilation,
                    groups=groups,
                    bias=use_bias,
                )
            )
        else:
            layers.append(
                nn.Conv1d(
                    in_channels,
                    out_channels,
                    kernel_size,
                    stride,
                    self.padding,
                    dilation,
                    groups=groups,
                    bias=use_bias,
                )
            )
        norm_layer = get_normalization(norm, out_channels)
        # the activation input is the fresh output of the conv or the norm, whose backward passes
        # need their inputs only: the activation may overwrite it
        act = get_activation(activation, inplace=True)
        if ordering == "cba":
            layers += [norm_layer, act]
        else:
            layers += [act, norm_layer]
        if conv_type == "aa" and stride > 1:
            layers.append(BlurPool1d(out_channels, 3, stride))
        self.layers = nn.Sequential(*layers)
        self.register_load_state_dict_pre_hook(_legacy_sequential_keys)  # type: ignore[no-untyped-call]

    def output_length(self, seq_len: int) -> int:
        if self.conv_type == "aa":
            n = conv_output_length(seq_len, self.kernel_size, 1, self.padding, self.dilation)
            if self.stride > 1:
                n = conv_output_length(n, 3, self.stride, 1)
            return n
        return conv_output_length(
            seq_len, self.kernel_size, self.stride, self.padding, self.dilation
        )

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.layers(x)
        return out


def _legacy_sequential_keys(
    module: nn.Module, state_dict: dict[str, Any], prefix: str, *args: Any
) -> None:
    """Load state dicts written when the task models' conv blocks were a plain
    ``nn.Sequential(conv, norm, activation)``: their ``"<prefix><i>.<name>"`` keys become
    ``"<prefix>layers.<i>.<name>"`` (the same parameters and buffers)."""
    for key in [k for k in state_dict if k.startswith(prefix)]:
        rest = key[len(prefix) :]
        head = rest.split(".", 1)[0]
        new = f"{prefix}layers.{rest}"
        if head.isdigit() and new not in state_dict:
            state_dict[new] = state_dict.pop(key)
