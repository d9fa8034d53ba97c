"""Pretrained models shipped inside the ecg-models wheel.

>>> from ecg_models.pretrained import list_pretrained, load_pretrained
>>> [m.name for m in list_pretrained()]
>>> det = load_pretrained("qrs")          # an R-peak detector
>>> peaks = det(signal, fs=360)           # int64 sample indices

Every entry was produced by one of the project's case studies (``ecg-bench run ...``); its card
(``weights/<name>.json``) records the command, the data, the seed, the commit and the held-out
scores. Weights are safetensors files, never unpickled.
"""

from __future__ import annotations

from ecg_models.pretrained._export import save_pretrained
from ecg_models.pretrained._registry import (
    MAX_WEIGHTS_BYTES,
    PretrainedError,
    PretrainedInfo,
    list_pretrained,
    load_pretrained,
    register_pretrained,
)
from ecg_models.pretrained._windowing import stitch_windows, window_starts

__all__ = [
    "MAX_WEIGHTS_BYTES",
    "PretrainedError",
    "PretrainedInfo",
    "list_pretrained",
    "load_pretrained",
    "register_pretrained",
    "save_pretrained",
    "stitch_windows",
    "window_starts",
]
