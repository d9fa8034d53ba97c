"""ECG_CRNN: a CNN backbone from the registry, then an optional RNN, an optional attention
module, global pooling and a classification head (or per-time-step outputs for tagging).

The architecture follows torch_ecg's ``ECG_CRNN`` (Wen & Zhou, "torch_ecg", 2022), used e.g. by
the CinC2020/2021 entries; the default backbone is the Nature Communications ResNet (Ribeiro et
al., "Automatic diagnosis of the 12-lead ECG using a deep neural network", Nat. Commun. 2020)
with squeeze-excitation bottleneck blocks.

Example:
    >>> from copy import deepcopy
    >>> cfg = deepcopy(ECG_CRNN_CONFIG)
    >>> my = get_backbone_config("tresnetP")  # doctest: +SKIP
    >>> cfg.cnn.add("my_resnet", my); cfg.cnn.name = "my_resnet"  # doctest: +SKIP
    >>> model = ECG_CRNN(["NSR", "AF", "PVC", "SPB"], 12, cfg)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from ecg_models.models._base import TaskModel
from ecg_models.models._common import (
    MLPHead,
    check_choice,
    check_float,
    check_int,
    check_int_list,
    make_global_pool,
    min_valid_length,
    upsample_to,
)
from ecg_models.models._config import ConfigMixin, config_to_dict, config_type_name, from_config
from ecg_models.models._inference import classification_inference, sequence_inference
from ecg_models.models.adjust import _walk
from ecg_models.models.outputs import ClassificationInference, SequenceInference
from ecg_models.registry import Backbone
from ecg_signal.config import check_keys

__all__ = [
    "CNNConfig",
    "RNNConfig",
    "AttentionConfig",
    "HeadConfig",
    "CRNNConfig",
    "ECG_CRNN",
    "ECG_CRNN_CONFIG",
    "BACKBONE_DESIGN_FS",
]

#: sampling rate (Hz) the registry's default backbone configs are designed for.
BACKBONE_DESIGN_FS = 500.0

RNN_TYPES = ("none", "lstm", "gru")
ATTENTION_TYPES = ("none", "se", "gc", "nl", "transformer")
POOL_TYPES = ("max", "avg", "attention", "none")


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"cnn.name must be a non-empty backbone name, got {name!r}")
    return name


@dataclass(slots=True)
class CNNConfig(ConfigMixin):
    """The CNN part: ``name`` selects the backbone, from ``variants`` if defined there, else
    from the backbone registry (with its default config).

    Attributes:
        name: a registered backbone name or a key of ``variants``.
        variants: custom backbone configs by name (``add`` registers one).
        bases: for each variant, the registered backbone whose builder builds it (found from the
            config's class when not given).
    """

    name: str = "resnet_nature_comm_bottle_neck_se"
    variants: dict[str, Any] = field(default_factory=dict)
    bases: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.variants, dict):
            raise TypeError(f"cnn.variants must be a dict name -> config, got {self.variants!r}")
        for k, v in self.variants.items():
            if not isinstance(k, str) or not k:
                raise ValueError(f"cnn.variants keys must be non-empty str, got {k!r}")
            if not dataclasses.is_dataclass(v) or isinstance(v, type):
                raise TypeError(
                    f"cnn.variants[{k!r}] must be a backbone config dataclass, got {v!r}"
                )
        unknown = sorted(set(self.bases) - set(self.variants))
        if unknown:
            raise ValueError(f"cnn.bases names {unknown} that are not in cnn.variants")

    def add(self, name: str, config: Any, base: str | None = None) -> None:
        """Register backbone config ``config`` (a deep copy) as variant ``name``.

        Args:
            name: the variant name (select it with ``cnn.name = name``).
            config: a backbone config, e.g. from ``get_backbone_config("tresnetP")``.
            base: the registered backbone whose builder to use; by default the first registered
                backbone whose default config has the class of ``config``.
        """
        _check_name(name)
        if not dataclasses.is_dataclass(config) or isinstance(config, type):
            raise TypeError(f"a backbone config dataclass is needed, got {config!r}")
        self.variants[name] = deepcopy(config)
        if base is not None:
            from ecg_models.registry import get_backbone_entry

            get_backbone_entry(base)
            self.bases[name] = base
        else:
            self.bases.pop(name, None)

    def resolve(self, fs: float) -> tuple[str, Any]:
        """``(registered builder name, backbone config)`` of ``self.name`` at sampling rate ``fs``.

        Raises:
            ValueError: an unknown backbone (with close matches from the registry).
        """
        from ecg_models.registry import _REGISTRY, get_backbone_entry, list_backbones

        if self.name in self.variants:
            cfg = deepcopy(self.variants[self.name])
            base = self.bases.get(self.name)
            if base is None:
                list_backbones()
                matches = sorted(
                    n for n, e in _REGISTRY.items() if type(e.default_config()) is type(cfg)
                )
                if not matches:
                    raise ValueError(
                        f"no registered backbone uses config class {type(cfg).__name__} of "
                        f"variant {self.name!r}; pass base=... to cnn.add"
                    )
                base = matches[0]
            get_backbone_entry(base)
            return base, cfg
        entry = get_backbone_entry(self.name)
        cfg = entry.default_config()
        design = getattr(cfg, "fs", BACKBONE_DESIGN_FS)
        if isinstance(design, int | float) and design > 0 and float(fs) != float(design):
            _walk(cfg, float(fs) / float(design))
            if hasattr(cfg, "fs"):
                object.__setattr__(cfg, "fs", fs)
        return self.name, cfg

    def _to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "variants": {
                k: {"type": config_type_name(type(v)), "config": config_to_dict(v)}
                for k, v in self.variants.items()
            },
            "bases": dict(self.bases),
        }

    @classmethod
    def _from_json(cls, mapping: Mapping[str, Any]) -> CNNConfig:
        check_keys(mapping, ["name", "variants", "bases"], "CNNConfig key")
        variants: dict[str, Any] = {}
        raw = mapping.get("variants", {})
        if not isinstance(raw, Mapping):
            raise TypeError(f"cnn.variants must be a mapping, got {raw!r}")
        for k, v in raw.items():
            if dataclasses.is_dataclass(v) and not isinstance(v, type):
                variants[k] = deepcopy(v)
                continue
            if not isinstance(v, Mapping) or set(v) != {"type", "config"}:
                raise ValueError(
                    f"cnn.variants[{k!r}] must be a backbone config or "
                    f"{{'type': ..., 'config': {{...}}}}, got {v!r}"
                )
            variants[k] = from_config(_config_class_named(str(v["type"])), v["config"])
        return cls(
            name=mapping.get("name", cls().name),
            variants=variants,
            bases=dict(mapping.get("bases", {})),
        )


def _config_class_named(type_name: str) -> type[Any]:
    """The backbone config class called ``type_name`` among the registry's default configs (no
    arbitrary import: only classes the registry already uses)."""
    from ecg_models.registry import _REGISTRY, list_backbones

    list_backbones()
    for entry in _REGISTRY.values():
        t = type(entry.default_config())
        if config_type_name(t) == type_name:
            return t
    raise ValueError(f"backbone config class {type_name!r} is not used by any registered backbone")


@dataclass(slots=True)
class RNNConfig(ConfigMixin):
    """Optional recurrent layer after the CNN (``name``: ``none``, ``lstm``, ``gru``)."""

    name: str = "none"
    hidden_size: int = 128
    num_layers: int = 1
    bidirectional: bool = True
    dropout: float = 0.0

    def __post_init__(self) -> None:
        check_choice("rnn.name", self.name, RNN_TYPES)
        check_int("rnn.hidden_size", self.hidden_size)
        check_int("rnn.num_layers", self.num_layers)
        if not isinstance(self.bidirectional, bool):
            raise TypeError(f"rnn.bidirectional must be a bool, got {self.bidirectional!r}")
        check_float("rnn.dropout", self.dropout, 0.0, 1.0, high_open=True)


@dataclass(slots=True)
class AttentionConfig(ConfigMixin):
    """Optional attention after the CNN/RNN: ``none``, ``se`` (Hu 2018), ``gc`` (Cao 2019),
    ``nl`` (Wang 2018) or ``transformer`` (Vaswani 2017, encoder layers)."""

    name: str = "se"
    reduction: int = 8
    num_heads: int = 4
    num_layers: int = 1
    dim_feedforward: int = 256
    dropout: float = 0.1

    def __post_init__(self) -> None:
        check_choice("attn.name", self.name, ATTENTION_TYPES)
        check_int("attn.reduction", self.reduction)
        check_int("attn.num_heads", self.num_heads)
        check_int("attn.num_layers", self.num_layers)
        check_int("attn.dim_feedforward", self.dim_feedforward)
        check_float("attn.dropout", self.dropout, 0.0, 1.0, high_open=True)


@dataclass(slots=True)
class HeadConfig(ConfigMixin):
    """Classification head: dropout + linear layers (``hidden_sizes`` hidden layers)."""

    hidden_sizes: list[int] = field(default_factory=list)
    dropout: float = 0.2
    activation: str = "mish"

    def __post_init__(self) -> None:
        self.hidden_sizes = check_int_list("head.hidden_sizes", self.hidden_sizes)
        check_float("head.dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_choice(
            "head.activation",
            self.activation,
            ["relu", "leaky_relu", "gelu", "mish", "silu", "tanh"],
        )


@dataclass(slots=True)
class CRNNConfig(ConfigMixin):
    """Config of :class:`ECG_CRNN`.

    Attributes:
        fs: the sampling rate (Hz) the config is designed for.
        cnn, rnn, attn, head: the parts (see their classes); the default head has one hidden
            layer of 1024 units (mish), as torch_ecg's ``ECG_CRNN_CONFIG.clf``.
        global_pool: ``max``, ``avg``, ``attention`` (classification) or ``none`` (sequence
            tagging: one output per backbone time step).
        recover_length: for ``global_pool="none"``, interpolate outputs back to the input length.
        multilabel: sigmoid (multi-label) or softmax (single-label) in ``inference``.
        threshold: probability threshold of ``inference``.
        min_duration_ms: sequence tagging: shortest run kept by ``inference``.
    """

    fs: float = 500.0
    cnn: CNNConfig = field(default_factory=CNNConfig)
    rnn: RNNConfig = field(default_factory=RNNConfig)
    attn: AttentionConfig = field(default_factory=AttentionConfig)
    global_pool: str = "max"
    head: HeadConfig = field(default_factory=lambda: HeadConfig(hidden_sizes=[1024]))
    recover_length: bool = False
    multilabel: bool = True
    threshold: float = 0.5
    min_duration_ms: float = 0.0

    def __post_init__(self) -> None:
        check_float("fs", self.fs, 1e-9, float("inf"))
        for name, cls in (
            ("cnn", CNNConfig),
            ("rnn", RNNConfig),
            ("attn", AttentionConfig),
            ("head", HeadConfig),
        ):
            value = getattr(self, name)
            if not isinstance(value, cls):
                setattr(self, name, from_config(cls, value))
        check_choice("global_pool", self.global_pool, POOL_TYPES)
        for flag in ("recover_length", "multilabel"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be a bool, got {getattr(self, flag)!r}")
        check_float("threshold", self.threshold, 0.0, 1.0)
        check_float("min_duration_ms", self.min_duration_ms, 0.0, float("inf"))


#: the default config of :class:`ECG_CRNN` (deep-copy it before editing).
ECG_CRNN_CONFIG = CRNNConfig()


class ECG_CRNN(TaskModel):
    """CNN backbone + optional RNN + optional attention + global pooling + head.

    Input ``(batch, n_leads, samples)``; output logits ``(batch, n_classes)``, or with
    ``global_pool="none"`` ``(batch, samples_out, n_classes)`` (``samples_out = samples`` when
    ``recover_length``).

    Args:
        classes: class names (unique, non-empty).
        n_leads: number of input leads.
        config: a :class:`CRNNConfig` or a mapping; defaults to :data:`ECG_CRNN_CONFIG`.
        **kwargs: top-level config fields overriding ``config``.

    Raises:
        ValueError: bad classes / n_leads / config, or an unknown backbone (close matches listed).
    """

    config_class: ClassVar[type[Any]] = CRNNConfig
    config: CRNNConfig

    def __init__(
        self, classes: Sequence[str], n_leads: int, config: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(classes, n_leads, config, **kwargs)
        cfg = self.config
        from ecg_models.registry import create_backbone

        base, bb_cfg = cfg.cnn.resolve(cfg.fs)
        self.backbone: Backbone = create_backbone(base, n_leads, bb_cfg)
        channels = int(self.backbone.out_channels)
        self.rnn: nn.Module | None = None
        if cfg.rnn.name != "none":
            rnn_cls = nn.LSTM if cfg.rnn.name == "lstm" else nn.GRU
            self.rnn = rnn_cls(
                channels,
                cfg.rnn.hidden_size,
                num_layers=cfg.rnn.num_layers,
                batch_first=True,
                bidirectional=cfg.rnn.bidirectional,
                dropout=cfg.rnn.dropout if cfg.rnn.num_layers > 1 else 0.0,
            )
            channels = cfg.rnn.hidden_size * (2 if cfg.rnn.bidirectional else 1)
        self._transformer = cfg.attn.name == "transformer"
        self.attn: nn.Module = nn.Identity()
        if cfg.attn.name == "transformer":
            if channels % cfg.attn.num_heads:
                raise ValueError(
                    f"attn.num_heads={cfg.attn.num_heads} must divide the feature size {channels} "
                    "(backbone out_channels or RNN output size)"
                )
            layer = nn.TransformerEncoderLayer(
                channels,
                cfg.attn.num_heads,
                cfg.attn.dim_feedforward,
                cfg.attn.dropout,
                batch_first=True,
            )
            self.attn = nn.TransformerEncoder(
                layer, cfg.attn.num_layers, enable_nested_tensor=False
            )
        elif cfg.attn.name != "none":
            from ecg_models.layers.attention import make_attention

            self.attn = make_attention(cfg.attn.name, channels, reduction=cfg.attn.reduction)
        self._pool = cfg.global_pool
        self.pool: nn.Module | None = make_global_pool(cfg.global_pool, channels)
        self.head = MLPHead(
            channels, self.n_classes, cfg.head.hidden_sizes, cfg.head.dropout, cfg.head.activation
        )
        self._recover = cfg.global_pool == "none" and cfg.recover_length
        self._min_len = min_valid_length(self._backbone_length)

    def _backbone_length(self, seq_len: int) -> int:
        shape = self.backbone.compute_output_shape(seq_len, 1)
        return int(shape[-1]) if shape[-1] is not None else seq_len

    @property
    def min_input_length(self) -> int:
        """Shortest input (samples) for which the backbone output is non-empty."""
        return self._min_len

    def extract_features(self, x: torch.Tensor) -> torch.Tensor:
        """Features before pooling: ``(batch, channels, samples_out)``."""
        feats: torch.Tensor = self.backbone(x)
        if self.rnn is not None:
            out = self.rnn(feats.transpose(1, 2))[0]
            feats = out.transpose(1, 2)
        if self._transformer:
            feats = self.attn(feats.transpose(1, 2)).transpose(1, 2)
        else:
            feats = self.attn(feats)
        return feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, n_classes)`` or ``(batch, samples_out, n_classes)``."""
        self._check_input(x)
        feats = self.extract_features(x)
        if self.pool is not None:
            pooled = self.pool(feats)
            if pooled.dim() == 3:
                pooled = pooled.squeeze(-1)
            logits: torch.Tensor = self.head(pooled)
            return logits
        out: torch.Tensor = self.head(feats.transpose(1, 2))
        if self._recover:
            out = upsample_to(out.transpose(1, 2), x.shape[-1]).transpose(1, 2)
        return out

    def compute_output_shape(
        self, seq_len: int | None = None, batch_size: int | None = None
    ) -> tuple[int | None, ...]:
        """Output shape for an input of ``seq_len`` samples."""
        if self.pool is not None:
            return (batch_size, self.n_classes)
        if self._recover or seq_len is None:
            return (batch_size, seq_len, self.n_classes)
        return (batch_size, self._backbone_length(seq_len), self.n_classes)

    @torch.no_grad()
    def inference(
        self,
        x: torch.Tensor,
        threshold: float | Sequence[float] | None = None,
    ) -> ClassificationInference | SequenceInference:
        """Run the model in eval mode and post-process.

        Classification gives :class:`ClassificationInference`; sequence tagging (outputs
        interpolated to the input length) gives :class:`SequenceInference` with R-peaks (one
        class) or wave intervals (several classes).
        """
        logits = self._eval_forward(self._as_batch(x))
        th = self.config.threshold if threshold is None else threshold
        if self.pool is not None:
            return classification_inference(logits, self.classes, th, self.config.multilabel)
        if not isinstance(th, int | float):
            raise ValueError(f"sequence inference takes one threshold, got {th!r}")
        if logits.shape[1] != x.shape[-1]:
            logits = upsample_to(logits.transpose(1, 2), x.shape[-1]).transpose(1, 2)
        return sequence_inference(
            logits, self.classes, float(th), self.config.fs, self.config.min_duration_ms
        )
