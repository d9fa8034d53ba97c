"""RR_LSTM: a (bidirectional) LSTM over RR-interval sequences, for AF detection from beat
intervals (after Faust et al., "Automated detection of atrial fibrillation using long short-term
memory network with RR interval signals", Comput. Biol. Med. 2018; the CPSC2021 entry of
torch_ecg), with an optional linear-chain CRF on the per-beat outputs.

Input ``(batch, seq_len, n_leads)`` (``n_leads`` features per beat, usually 1: the RR interval
in seconds); output logits ``(batch, seq_len, n_classes)`` (``global_pool="none"``) or
``(batch, n_classes)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ecg_models.models._base import TaskModel
from ecg_models.models._common import (
    MLPHead,
    check_choice,
    check_float,
    check_int_list,
    make_global_pool,
    runs_of,
)
from ecg_models.models._config import ConfigMixin, from_config
from ecg_models.models._inference import classification_inference
from ecg_models.models.crf import CRF
from ecg_models.models.crnn import HeadConfig
from ecg_models.models.outputs import ClassificationInference, SequenceInference

__all__ = ["RRLSTMConfig", "RR_LSTM", "RR_LSTM_CONFIG"]


@dataclass(slots=True)
class RRLSTMConfig(ConfigMixin):
    """Config of :class:`RR_LSTM`.

    Attributes:
        hidden_sizes: hidden size of each stacked LSTM layer.
        bidirectional: bidirectional LSTMs.
        dropout: dropout between LSTM layers.
        global_pool: ``none`` (per-beat outputs), ``max``, ``avg`` or ``attention``.
        head: the head applied to each beat (or to the pooled features).
        crf: a CRF on the per-beat outputs (only with ``global_pool="none"``): ``inference``
            decodes with Viterbi and :meth:`RR_LSTM.crf_loss` gives the NLL.
        multilabel: sigmoid (multi-label) or softmax in ``inference``.
        threshold: probability threshold of ``inference``.
    """

    hidden_sizes: list[int] = field(default_factory=lambda: [64, 32])
    bidirectional: bool = True
    dropout: float = 0.1
    global_pool: str = "none"
    head: HeadConfig = field(default_factory=lambda: HeadConfig(dropout=0.1))
    crf: bool = False
    multilabel: bool = False
    threshold: float = 0.5

    def __post_init__(self) -> None:
        self.hidden_sizes = check_int_list("hidden_sizes", self.hidden_sizes)
        if not self.hidden_sizes:
            raise ValueError("hidden_sizes needs at least one LSTM layer")
        for flag in ("bidirectional", "crf", "multilabel"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be a bool, got {getattr(self, flag)!r}")
        check_float("dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_choice("global_pool", self.global_pool, ["none", "max", "avg", "attention"])
        if not isinstance(self.head, HeadConfig):
            self.head = from_config(HeadConfig, self.head)
        if self.crf and self.global_pool != "none":
            raise ValueError(
                f"crf=True needs per-beat outputs (global_pool='none'), got {self.global_pool!r}"
            )
        check_float("threshold", self.threshold, 0.0, 1.0)


#: default config of :class:`RR_LSTM`.
RR_LSTM_CONFIG = RRLSTMConfig()


class RR_LSTM(TaskModel):
    """Stacked LSTMs over RR sequences, a head per beat (or after pooling), optional CRF.

    Args:
        classes: class names (e.g. ``["NSR", "AF"]``).
        n_leads: features per beat (1 for the RR interval alone).
        config: a :class:`RRLSTMConfig` or mapping (default :data:`RR_LSTM_CONFIG`).
    """

    config_class: ClassVar[type[Any]] = RRLSTMConfig
    config: RRLSTMConfig

    def __init__(
        self, classes: Sequence[str], n_leads: int = 1, config: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(classes, n_leads, config, **kwargs)
        cfg = self.config
        dirs = 2 if cfg.bidirectional else 1
        layers = []
        size = n_leads
        for h in cfg.hidden_sizes:
            layers.append(nn.LSTM(size, h, batch_first=True, bidirectional=cfg.bidirectional))
            size = h * dirs
        self.lstms = nn.ModuleList(layers)
        self.dropout = nn.Dropout(cfg.dropout)
        self.pool: nn.Module | None = make_global_pool(cfg.global_pool, size)
        self.head = MLPHead(
            size, self.n_classes, cfg.head.hidden_sizes, cfg.head.dropout, cfg.head.activation
        )
        self.crf: CRF | None = CRF(self.n_classes) if cfg.crf else None

    def _as_batch(self, x: Any) -> torch.Tensor:
        """``x`` as float32 ``(batch, beats, n_leads)``; a 2-D input is ``(batch, beats)`` with one
        feature, else ``(beats, n_leads)``."""
        t = torch.as_tensor(x, dtype=torch.float32)
        if t.dim() == 2:
            return t.unsqueeze(-1) if self.n_leads == 1 else t.unsqueeze(0)
        return t

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 3:
            raise ValueError(
                f"RR_LSTM expects RR sequences of shape (batch, seq_len, n_leads), got "
                f"{x.dim()} dims with shape {tuple(x.shape)}"
            )
        if x.shape[-1] != self.n_leads:
            raise ValueError(
                f"RR_LSTM was built for n_leads={self.n_leads} features per beat but the input "
                f"has {x.shape[-1]} (shape {tuple(x.shape)} = (batch, seq_len, n_leads))"
            )
        if x.shape[1] < 1:
            raise ValueError("RR sequences need at least 1 beat")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (CRF emissions): ``(batch, seq_len, n_classes)`` or ``(batch, n_classes)``."""
        self._check_input(x)
        h = x
        for i, lstm in enumerate(self.lstms):
            if i > 0:
                h = self.dropout(h)
            h = lstm(h)[0]
        if self.pool is not None:
            pooled = self.pool(h.transpose(1, 2))
            if pooled.dim() == 3:
                pooled = pooled.squeeze(-1)
            logits: torch.Tensor = self.head(pooled)
            return logits
        out: torch.Tensor = self.head(h)
        return out

    def compute_output_shape(
        self, seq_len: int | None = None, batch_size: int | None = None
    ) -> tuple[int | None, ...]:
        """``(batch, seq_len, n_classes)`` or ``(batch, n_classes)`` with pooling."""
        if self.pool is not None:
            return (batch_size, self.n_classes)
        return (batch_size, seq_len, self.n_classes)

    def crf_loss(
        self, x: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Mean CRF negative log-likelihood of the per-beat ``tags`` ``(batch, seq_len)``."""
        if self.crf is None:
            raise ValueError("crf_loss needs a model built with config.crf=True")
        return self.crf.neg_log_likelihood(self(x), tags, mask)

    @torch.no_grad()
    def inference(
        self, x: torch.Tensor, threshold: float | None = None
    ) -> ClassificationInference | SequenceInference:
        """Run the model in eval mode on ``x`` ``(batch, beats, n_leads)`` beat features (RR
        intervals in s; 2-D input is ``(batch, beats)`` with one feature, else ``(beats,
        n_leads)``) and post-process.

        Pooled models give :class:`ClassificationInference`. Per-beat models give
        :class:`SequenceInference` over beats: ``mask`` the class index of each beat (Viterbi path
        with a CRF, else arg-max or, for one class, ``prob >= threshold``) and ``intervals`` the
        runs of beats of each class."""
        logits = self._eval_forward(self._as_batch(x))
        th = self.config.threshold if threshold is None else threshold
        if self.pool is not None:
            return classification_inference(logits, self.classes, th, self.config.multilabel)
        logits = logits.detach().to("cpu", torch.float32)
        if self.crf is not None:
            prob = torch.softmax(logits, dim=-1).numpy()
            mask = np.asarray(self.crf.decode(logits), dtype=np.int64)
        elif self.n_classes == 1 or self.config.multilabel:
            prob = torch.sigmoid(logits).numpy()
            mask = (prob[..., 0] >= th).astype(np.int64) if self.n_classes == 1 else prob.argmax(-1)
        else:
            prob = torch.softmax(logits, dim=-1).numpy()
            mask = prob.argmax(axis=-1).astype(np.int64)
        if self.n_classes == 1:
            intervals = tuple({self.classes[0]: runs_of(m == 1)} for m in mask)
        else:
            intervals = tuple(
                {c: runs_of(m == k) for k, c in enumerate(self.classes)} for m in mask
            )
        return SequenceInference(prob, mask.astype(np.int64), self.classes, intervals=intervals)
