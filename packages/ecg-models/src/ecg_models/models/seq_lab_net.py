"""ECG_SEQ_LAB_NET: sequence labelling (per-time-step classes), i.e. a CRNN without global
pooling whose outputs are interpolated back to the input length.

After the CPSC2019 QRS-detection entry of Cai & Hu ("QRS complex detection using novel deep
learning neural networks", IEEE Access 2020) as packaged in torch_ecg; default backbone
MultiScopicNet, then a bidirectional LSTM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ecg_models.models.crnn import (
    ECG_CRNN,
    AttentionConfig,
    CNNConfig,
    CRNNConfig,
    HeadConfig,
    RNNConfig,
)

__all__ = ["SeqLabNetConfig", "ECG_SEQ_LAB_NET", "ECG_SEQ_LAB_NET_CONFIG"]


def _default_cnn() -> CNNConfig:
    """MultiScopicNet with 16/32/64 filters per branch (torch_ecg's ``ECG_SEQ_LAB_NET_CONFIG``;
    the classification default has 96/192/384), stored as variant ``"multi_scopic"``."""
    from ecg_models.backbones.multi_scopic import MultiScopicConfig

    cnn = CNNConfig(name="multi_scopic")
    cnn.add("multi_scopic", MultiScopicConfig(filters=[[16, 32, 64]] * 3), base="multi_scopic")
    return cnn


@dataclass(slots=True)
class SeqLabNetConfig(CRNNConfig):
    """Config of :class:`ECG_SEQ_LAB_NET`: a :class:`CRNNConfig` with ``global_pool="none"``
    and ``recover_length=True`` by default (see :class:`CRNNConfig` for the fields).

    The defaults follow torch_ecg's ``ECG_SEQ_LAB_NET_CONFIG``: MultiScopicNet with 16/32/64
    filters per branch, a 2-layer bidirectional LSTM (256 units), squeeze-excitation
    (reduction 8) and a head with hidden layers 256 and 64 (mish, dropout 0.2).
    """

    cnn: CNNConfig = field(default_factory=_default_cnn)
    rnn: RNNConfig = field(
        default_factory=lambda: RNNConfig(
            name="lstm", hidden_size=256, num_layers=2, bidirectional=True
        )
    )
    attn: AttentionConfig = field(default_factory=lambda: AttentionConfig(name="se", reduction=8))
    global_pool: str = "none"
    head: HeadConfig = field(
        default_factory=lambda: HeadConfig(hidden_sizes=[256, 64], dropout=0.2)
    )
    recover_length: bool = True
    multilabel: bool = False
    min_duration_ms: float = 40.0

    def __post_init__(self) -> None:
        CRNNConfig.__post_init__(self)
        if self.global_pool != "none":
            raise ValueError(
                f"ECG_SEQ_LAB_NET has no global pooling: global_pool must be 'none', "
                f"got {self.global_pool!r} (use ECG_CRNN for classification)"
            )


#: the default config of :class:`ECG_SEQ_LAB_NET` (deep-copy it before editing).
ECG_SEQ_LAB_NET_CONFIG = SeqLabNetConfig()


class ECG_SEQ_LAB_NET(ECG_CRNN):
    """Sequence labelling network: ``(batch, n_leads, samples)`` to logits
    ``(batch, samples, n_classes)`` (or ``(batch, samples_out, n_classes)`` without
    ``recover_length``).

    Args:
        classes: class names, e.g. ``["N"]`` for QRS detection or ``["p", "N", "t", "i"]``
            for wave delineation.
        n_leads: number of input leads.
        config: a :class:`SeqLabNetConfig` or mapping (default :data:`ECG_SEQ_LAB_NET_CONFIG`).
    """

    config_class: ClassVar[type[Any]] = SeqLabNetConfig
    config: SeqLabNetConfig

    def __init__(
        self, classes: Sequence[str], n_leads: int, config: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(classes, n_leads, config, **kwargs)
