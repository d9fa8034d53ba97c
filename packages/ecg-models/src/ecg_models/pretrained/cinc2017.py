"""The pretrained AF classifier: an ``ECG_CRNN`` trained by the cinc2017 case of ecg-benchmarks
on the PhysioNet/CinC Challenge 2017 records (N normal, A AF, O other rhythm, ~ noisy).

``load_pretrained("cinc2017")`` gives an :class:`AFClassifier`;
``clf(sig, fs) -> {"N": p, "A": p, "O": p, "~": p}`` for a single-lead record of any length
at any ``fs`` in [100, 2000] Hz.

Pipeline (the preprocessing of ecg-data's ``CINC2017Dataset`` that the network was trained
and scored with): resample to the network's rate (:func:`ecg_signal.preprocess.resample`),
zero-phase Butterworth band-pass (:func:`ecg_signal.preprocess.bandpass`), z-score
(:func:`ecg_signal.preprocess.normalize`), softmax of the network's logits over the whole
record; a record longer than ``window_s`` is split into windows (the last one ending at the
record's end) whose probabilities are averaged. With an RR head (the card's ``rr_head``), the
network's probabilities and the record's RR-interval features (:func:`rr_features`, from the
R-peaks of ecg-signal's detector on the input at its own rate) go through the head's logistic
regression (:func:`apply_rr_head`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from ecg_models.pretrained._checks import FS_RANGE, check_input_fs
from ecg_models.pretrained._registry import PretrainedInfo, register_pretrained
from ecg_models.pretrained._rr_head import apply_rr_head, check_rr_head
from ecg_models.pretrained._windowing import window_starts
from ecg_signal.rr_intervals import rr_features

__all__ = [
    "AFClassifier",
    "FS_RANGE",
    "af_input",
    "apply_rr_head",
]


def af_input(
    sig: npt.NDArray[np.floating[Any]],
    fs: float,
    model_fs: float,
    bandpass: Sequence[float] = (0.5, 45.0),
    order: int = 4,
) -> npt.NDArray[np.float32]:
    """The network's input: ``sig`` (``(samples,)``, finite, at ``fs`` Hz) resampled to
    ``model_fs``, band-passed ``bandpass`` Hz (order ``order``, zero phase) and z-scored."""
    from ecg_signal.preprocess import bandpass as bandpass_filter
    from ecg_signal.preprocess import normalize, resample

    x = np.asarray(sig, dtype=np.float64)
    if not math.isclose(fs, model_fs):
        x = np.asarray(resample(x, fs, model_fs), dtype=np.float64)
    lo, hi = float(bandpass[0]), float(bandpass[1])
    if x.size > 3 * (2 * order + 1):  # as ecg-data: a high edge at or above Nyquist is dropped
        x = np.asarray(bandpass_filter(x, model_fs, lo, hi if hi < model_fs / 2 else None, order))
    return np.asarray(normalize(x, method="z-score"), dtype=np.float32)


class AFClassifier:
    """Record-level rhythm classifier: ``clf(sig, fs) -> {class: probability}``.

    Args:
        model: the trained ``ECG_CRNN`` (1 lead, classes ``N``, ``A``, ``O``, ``~``).
        fs: the network's input rate in Hz.
        bandpass: band edges in Hz of the preprocessing; order: its filter order.
        min_duration_s: the shortest record classified, in s.
        window_s: longer records are split into windows of this length, in s.
        rr_head: the RR head mapping (see :func:`apply_rr_head`; None: the network alone).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        fs: float,
        bandpass: Sequence[float] = (0.5, 45.0),
        order: int = 4,
        min_duration_s: float = 2.0,
        window_s: float = 60.0,
        classes: Sequence[str] | None = None,
        rr_head: Any = None,
    ) -> None:
        self.model = model.eval()
        self.fs = float(fs)
        self.bandpass = (float(bandpass[0]), float(bandpass[1]))
        self.order = int(order)
        names: Sequence[str] = classes or getattr(model, "classes", None) or ("N", "A", "O", "~")
        self.classes = tuple(str(c) for c in names)
        min_net = int(getattr(model, "min_input_length", 1))
        self.min_samples = max(min_net, int(math.ceil(min_duration_s * self.fs)))
        self.window = max(self.min_samples, int(round(window_s * self.fs)))
        if rr_head is not None:
            check_rr_head(rr_head, len(self.classes))
        self.rr_head = rr_head

    def min_input_samples(self, fs: float) -> int:
        """The shortest record accepted at ``fs`` Hz, in samples."""
        return int(math.ceil(self.min_samples * float(fs) / self.fs))

    def __call__(self, sig: Any, fs: float) -> dict[str, float]:
        """Class probabilities of one single-lead record.

        Args:
            sig: ``(samples,)`` or ``(1, samples)`` array (any unit; it is z-scored).
            fs: its sampling rate in Hz, in [100, 2000].

        Returns:
            ``{"N": p, "A": p, "O": p, "~": p}``, summing to 1.

        Raises:
            ValueError: not one lead, non-finite samples, too short (the message names the
                minimum), ``fs`` out of range.
            TypeError: ``fs`` or ``sig`` not numeric.
        """
        fs_v = check_input_fs(fs)
        x = _as_single_lead(sig)
        need = self.min_input_samples(fs_v)
        if x.size < need:
            raise ValueError(
                f"the record has {x.size} samples ({x.size / fs_v:.2f} s at {fs_v:g} Hz), shorter "
                f"than the classifier's minimum of {need} samples ({need / fs_v:.2f} s)"
            )
        inp = af_input(x, fs_v, self.fs, self.bandpass, self.order)
        starts = window_starts(inp.size, self.window, 0) if inp.size > self.window else [0]
        probs = []
        device = next(self.model.parameters()).device
        with torch.no_grad():
            for a in starts:
                seg = torch.from_numpy(np.ascontiguousarray(inp[a : a + self.window]))
                logits = self.model(seg.reshape(1, 1, -1).to(device)).float()
                probs.append(torch.softmax(logits, -1)[0].cpu().numpy())
        p = np.mean(probs, axis=0)
        if self.rr_head is not None:
            p = apply_rr_head(self.rr_head, p, rr_features(x, fs_v))
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}

    def __repr__(self) -> str:
        return (
            f"AFClassifier(fs={self.fs:g}, classes={list(self.classes)}, "
            f"min_samples={self.min_samples}, window={self.window}, "
            f"rr_head={self.rr_head is not None})"
        )


def _as_single_lead(sig: Any) -> npt.NDArray[np.float64]:
    if hasattr(sig, "detach") and hasattr(sig, "cpu"):
        sig = sig.detach().cpu().numpy()
    arr = np.asarray(sig)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"sig must be a numeric array, got dtype {arr.dtype}")
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1:
        raise ValueError(
            f"sig must be one lead, (samples,) or (1, samples), got shape {tuple(arr.shape)}"
        )
    x = arr.astype(np.float64)
    bad = int((~np.isfinite(x)).sum())
    if bad:
        raise ValueError(f"sig must be finite: {bad} of {x.size} samples are NaN or inf")
    return x


@register_pretrained("cinc2017", task="af_classification")
def _load(info: PretrainedInfo) -> AFClassifier:
    from ecg_models.models._base import TaskModel

    model = TaskModel.from_checkpoint(info.weights)
    return AFClassifier(model, **dict(info.config))
