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

import numpy as np
import torch

from ecg_models.models._common import check_float
from ecg_models.models._inference import rpeaks_from_prob
from ecg_models.models.crnn import (
    ECG_CRNN,
    AttentionConfig,
    CNNConfig,
    CRNNConfig,
    HeadConfig,
    RNNConfig,
)
from ecg_models.models.outputs import SequenceInference

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

    Extra attributes (used by :meth:`ECG_SEQ_LAB_NET.inference` for one class):
        refractory_ms: an R peak closer than this to the previous one is dropped.
        flip_average: average the probabilities of the signal and of its polarity inversion.
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
    refractory_ms: float = 200.0
    flip_average: bool = False

    def __post_init__(self) -> None:
        CRNNConfig.__post_init__(self)
        check_float("refractory_ms", self.refractory_ms, 0.0, float("inf"))
        if not isinstance(self.flip_average, bool):
            raise TypeError(f"flip_average must be a bool, got {self.flip_average!r}")
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
        probe = 1 << 14
        self._reduction = (
            1 if self._recover else max(1, round(probe / self._backbone_length(probe)))
        )

    @property
    def reduction(self) -> int:
        """Input samples per output step: the outputs are at ``fs / reduction`` (1 with
        ``recover_length``)."""
        return self._reduction

    @torch.no_grad()
    def step_probabilities(self, x: torch.Tensor, flip_average: bool | None = None) -> torch.Tensor:
        """Eval-mode per-step probabilities ``(batch, samples_out, n_classes)`` (sigmoid for one
        class, softmax for several), optionally averaged with those of ``-x``."""
        x = self._as_batch(x)
        flip = self.config.flip_average if flip_average is None else flip_average
        logits = self._eval_forward(torch.cat([x, -x]) if flip else x)
        prob = torch.sigmoid(logits) if self.n_classes == 1 else torch.softmax(logits, dim=-1)
        if flip:
            prob = 0.5 * (prob[: x.shape[0]] + prob[x.shape[0] :])
        return prob

    @torch.no_grad()
    def inference(  # type: ignore[override]
        self,
        x: torch.Tensor,
        threshold: float | Sequence[float] | None = None,
        *,
        fs: float | None = None,
        refractory_ms: float | None = None,
        flip_average: bool | None = None,
    ) -> SequenceInference:
        """Run the model in eval mode and post-process.

        One class (QRS): per-step probabilities at ``fs / reduction`` (averaged with the
        polarity-inverted input when ``flip_average``), R peaks by
        :func:`~ecg_models.models._inference.rpeaks_from_prob` (runs at least
        ``min_duration_ms`` long, centres, ``refractory_ms``) as sample indices at the input
        rate. ``prob`` and ``mask`` of the result are at the input length (each step repeated
        ``reduction`` times). Several classes: as :meth:`ECG_CRNN.inference`.

        Args:
            x: ``(batch, leads, samples)`` or ``(leads, samples)``.
            threshold: QRS probability threshold (default ``config.threshold``).
            fs: input sampling rate in Hz (default ``config.fs``).
            refractory_ms, flip_average: override the config's.
        """
        if self.n_classes != 1:
            out = super().inference(x, threshold)
            if not isinstance(out, SequenceInference):  # pragma: no cover - no pooling here
                raise TypeError("expected a SequenceInference")
            return out
        cfg = self.config
        th = cfg.threshold if threshold is None else threshold
        if not isinstance(th, int | float):
            raise ValueError(f"sequence inference takes one threshold, got {th!r}")
        rate = check_float("fs", cfg.fs if fs is None else fs, 1e-9, float("inf"))
        refr = check_float(
            "refractory_ms", cfg.refractory_ms if refractory_ms is None else refractory_ms,
            0.0, float("inf"),
        )  # fmt: skip
        x = torch.as_tensor(x, dtype=torch.float32)
        if x.dim() == 2:
            x = x.unsqueeze(0)
        n = int(x.shape[-1])
        prob = self.step_probabilities(x, flip_average)[..., 0].to("cpu", torch.float32).numpy()
        r = self.reduction
        rpeaks = tuple(
            rpeaks_from_prob(p, float(th), rate, r, cfg.min_duration_ms / 1000, refr / 1000)
            for p in prob
        )
        full = np.repeat(prob, r, axis=1)[:, :n]
        if full.shape[1] < n:
            full = np.pad(full, ((0, 0), (0, n - full.shape[1])), mode="edge")
        mask = (full >= th).astype(np.int64)
        return SequenceInference(full[..., None], mask, tuple(self.classes), rpeaks=rpeaks)
