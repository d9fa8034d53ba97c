"""The pretrained wave delineator (``load_pretrained("delineation")``) and the delineation rules
it shares with the ludb case study: the network input, the fusion of the leads and the
post-processing of the per-sample labels.

The network labels every sample of one lead as background (0), P (1), QRS (2) or T (3). Its input
has two channels per lead: the lead itself (band-passed, z-scored) and the root mean square over
all the record's leads (:func:`network_input`), so that each lead sees where the other leads have
waves. The class probabilities of each lead are then mixed with their mean over the leads
(:func:`fuse_leads`), and the arg-max labels cleaned (:func:`postprocess_labels`): short gaps
inside a wave filled, waves shorter than a physiological minimum dropped, and at most one T wave
between two QRS complexes, after the first and with no P wave before it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ecg_models.pretrained._registry import PretrainedInfo, register_pretrained

__all__ = [
    "WAVE_CODES",
    "PostprocConfig",
    "Delineator",
    "network_input",
    "fuse_leads",
    "postprocess_labels",
    "labels_to_waves",
    "zscore",
]

#: Wave name -> label code of the network's output (0 is background).
WAVE_CODES: dict[str, int] = {"p": 1, "qrs": 2, "t": 3}

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def zscore(x: npt.NDArray[np.floating[Any]]) -> FloatArray:
    """Each lead (last axis) minus its mean, over its standard deviation (1 when flat): any
    shape ``(..., samples)`` in, the same shape out (float32)."""
    x = np.asarray(x, dtype=np.float64)
    sd = x.std(axis=-1, keepdims=True)
    out = (x - x.mean(axis=-1, keepdims=True)) / np.where(sd > 1e-8, sd, 1.0)
    return np.asarray(out, dtype=np.float32)


def network_input(sig: npt.NDArray[np.floating[Any]]) -> FloatArray:
    """The network's input for every lead of a record.

    Args:
        sig: ``(leads, samples)``, band-passed and z-scored per lead.

    Returns:
        ``(leads, 2, samples)`` float32: each lead, and the root mean square over all leads.
    """
    x = np.asarray(sig, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"sig must have shape (leads, samples), got {x.shape}")
    rms = np.sqrt(np.mean(np.square(x), axis=0, keepdims=True))
    return np.ascontiguousarray(np.stack([x, np.broadcast_to(rms, x.shape)], axis=1))


def fuse_leads(probs: npt.NDArray[np.floating[Any]], own_weight: float) -> FloatArray:
    """Mix each lead's class probabilities with their mean over the leads.

    Args:
        probs: ``(leads, samples, classes)``.
        own_weight: weight of the lead's own probabilities in [0, 1] (1: no mixing).
    """
    p = np.asarray(probs, dtype=np.float32)
    if not 0.0 <= own_weight <= 1.0:
        raise ValueError(f"own_weight must lie in [0, 1], got {own_weight}")
    if p.shape[0] == 1 or own_weight == 1.0:
        return p
    mean = p.mean(axis=0, keepdims=True)
    return np.asarray(own_weight * p + (1.0 - own_weight) * mean, dtype=np.float32)


@dataclass(slots=True)
class PostprocConfig:
    """Post-processing of the per-sample labels (durations in ms).

    Attributes:
        min_ms: shortest wave kept, per wave name (shorter ones become background).
        max_gap_ms: background gaps up to this long inside one wave are filled.
        one_t_per_beat: keep one T wave between two QRS complexes (the first, merged with the
            T segments that follow it within ``t_merge_ms``), none before the first QRS of a
            record that starts with a QRS in view, and no P wave between a QRS and its T wave.
        t_merge_ms: T segments closer than this are one T wave.
    """

    min_ms: dict[str, float] = field(default_factory=lambda: {"p": 40.0, "qrs": 40.0, "t": 60.0})
    max_gap_ms: float = 24.0
    one_t_per_beat: bool = True
    t_merge_ms: float = 120.0

    def __post_init__(self) -> None:
        bad = set(self.min_ms) - set(WAVE_CODES)
        if bad:
            raise ValueError(
                f"min_ms names unknown waves {sorted(bad)}; allowed {list(WAVE_CODES)}"
            )
        for k, v in self.min_ms.items():
            if not math.isfinite(v) or v < 0:
                raise ValueError(f"min_ms[{k!r}] must be >= 0 ms, got {v}")
        for name in ("max_gap_ms", "t_merge_ms"):
            v = getattr(self, name)
            if not math.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be >= 0 ms, got {v}")

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any] | None) -> PostprocConfig:
        """From a plain mapping (unknown keys rejected, naming the allowed ones)."""
        cfg = dict(cfg or {})
        allowed = {"min_ms", "max_gap_ms", "one_t_per_beat", "t_merge_ms"}
        bad = set(cfg) - allowed
        if bad:
            raise ValueError(
                f"unknown post-processing keys {sorted(bad)}; allowed {sorted(allowed)}"
            )
        if "min_ms" in cfg:
            cfg["min_ms"] = {str(k): float(v) for k, v in dict(cfg["min_ms"]).items()}
        return cls(**cfg)


def _runs(labels: IntArray) -> list[tuple[int, int, int]]:
    """``(code, start, stop)`` runs of equal labels, stop exclusive."""
    if labels.size == 0:
        return []
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = np.r_[0, edges]
    stops = np.r_[edges, labels.size]
    return [(int(labels[a]), int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def postprocess_labels(
    labels: npt.ArrayLike, fs: float, cfg: PostprocConfig | None = None
) -> IntArray:
    """Clean the arg-max labels of one lead (see :class:`PostprocConfig`).

    Args:
        labels: ``(samples,)`` codes 0 background, 1 P, 2 QRS, 3 T.
        fs: sampling rate of ``labels`` in Hz.

    Returns:
        The cleaned ``(samples,)`` int64 codes.
    """
    cfg = cfg or PostprocConfig()
    lab = np.array(labels, dtype=np.int64).ravel()
    gap = int(round(cfg.max_gap_ms * fs / 1000.0))
    # 1. fill short background gaps between two segments of the same wave
    runs = _runs(lab)
    for k in range(1, len(runs) - 1):
        code, a, b = runs[k]
        if code == 0 and b - a <= gap and runs[k - 1][0] == runs[k + 1][0] != 0:
            lab[a:b] = runs[k - 1][0]
    # 2. drop waves shorter than their minimum
    for code, a, b in _runs(lab):
        if code:
            name = next(n for n, c in WAVE_CODES.items() if c == code)
            if (b - a) * 1000.0 / fs < cfg.min_ms.get(name, 0.0):
                lab[a:b] = 0
    if not cfg.one_t_per_beat:
        return lab
    # 3. between two QRS complexes: one T wave (the first, merged with close ones), no P before it
    merge = int(round(cfg.t_merge_ms * fs / 1000.0))
    runs = _runs(lab)
    qrs_idx = [k for k, r in enumerate(runs) if r[0] == WAVE_CODES["qrs"]]
    for q0, q1 in zip(qrs_idx, [*qrs_idx[1:], len(runs)], strict=False):
        between = runs[q0 + 1 : q1]
        ts = [r for r in between if r[0] == WAVE_CODES["t"]]
        if not ts:
            continue
        first = ts[0]
        end = first[2]
        for r in ts[1:]:
            if r[1] - end <= merge:
                end = r[2]
            else:
                lab[r[1] : r[2]] = 0
        lab[first[1] : end] = WAVE_CODES["t"]
        for r in between:
            if r[0] == WAVE_CODES["p"] and r[2] <= first[1]:
                lab[r[1] : r[2]] = 0
    return lab


def labels_to_waves(
    labels: npt.ArrayLike, sig: npt.ArrayLike | None = None
) -> dict[str, dict[str, IntArray]]:
    """Onsets, peaks and offsets (inclusive) of the waves of one lead's labels.

    Args:
        labels: ``(samples,)`` codes (see :data:`WAVE_CODES`).
        sig: the lead ``(samples,)``; the peak of a wave is its sample farthest from the line
            joining the signal at its onset and offset (the middle sample without ``sig``).

    Returns:
        ``{"p": {"onset", "peak", "offset"}, "qrs": ..., "t": ...}`` int64 sample indices.
    """
    lab = np.asarray(labels, dtype=np.int64).ravel()
    x = None if sig is None else np.asarray(sig, dtype=np.float64).ravel()
    out: dict[str, dict[str, IntArray]] = {}
    for name, code in WAVE_CODES.items():
        on = (lab == code).astype(np.int8)
        d = np.diff(np.r_[0, on, 0])
        onsets = np.flatnonzero(d == 1).astype(np.int64)
        offsets = (np.flatnonzero(d == -1) - 1).astype(np.int64)
        peaks = np.empty_like(onsets)
        for k, (a, b) in enumerate(zip(onsets.tolist(), offsets.tolist(), strict=True)):
            if x is None or b <= a:
                peaks[k] = (a + b) // 2
                continue
            seg = x[a : b + 1]
            line = np.linspace(seg[0], seg[-1], seg.size)
            peaks[k] = a + int(np.argmax(np.abs(seg - line)))
        out[name] = {"onset": onsets, "peak": peaks, "offset": offsets}
    return out


FS_RANGE = (100.0, 2000.0)


def _check_input(sig: npt.ArrayLike, fs: Any) -> npt.NDArray[np.float64]:
    """``sig`` as float64 ``(leads, samples)`` after checking it and ``fs``.

    Raises:
        ValueError: ``fs`` outside [100, 2000] Hz, a signal that is not 2-D, is empty, or has a
            lead without any finite sample.
    """
    if isinstance(fs, bool) or not isinstance(fs, int | float) or not math.isfinite(fs):
        raise ValueError(f"fs must be a finite sampling rate in Hz, got {fs!r}")
    if not FS_RANGE[0] <= fs <= FS_RANGE[1]:
        raise ValueError(f"fs must lie in [{FS_RANGE[0]:g}, {FS_RANGE[1]:g}] Hz, got {fs!r} Hz")
    x = np.asarray(sig, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"sig must have shape (leads, samples), got {x.shape}")
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"sig must hold at least one lead and one sample, got shape {x.shape}")
    bad = [k for k in range(x.shape[0]) if not np.isfinite(x[k]).any()]
    if bad:
        raise ValueError(f"leads {bad} of sig hold no finite sample (all NaN or inf)")
    return x


class Delineator:
    """P, QRS and T waves of ECG signals of any length and sampling rate (100 to 2,000 Hz).

    ``d(sig, fs)`` delineates a 1-D signal and returns ``{"p": {"onset": ..., "peak": ...,
    "offset": ...}, "qrs": ..., "t": ...}`` (int64 sample indices at ``fs``, offsets inclusive);
    ``d.batch(sig, fs)`` takes ``(leads, samples)`` and returns one such dict per lead, the leads
    serving as context for each other. The signal is resampled to the network's rate,
    band-passed, cut into overlapping windows (each z-scored), labelled, the labels stitched,
    fused over the leads and post-processed.

    Args:
        model: the segmentation network, ``(batch, 2, samples)`` to logits ``(batch, samples, 4)``.
        fs: the network's input rate in Hz.
        window_s: window length in seconds; overlap_s: overlap of neighbouring windows.
        bandpass: ``(low, high)`` Hz of the zero-phase Butterworth filter; order: its order.
        own_weight: see :func:`fuse_leads`.
        postproc: :class:`PostprocConfig` or mapping.
    """

    def __init__(
        self,
        model: Any,
        fs: float,
        *,
        window_s: float = 10.0,
        overlap_s: float = 2.0,
        bandpass: tuple[float, float] = (0.5, 45.0),
        order: int = 3,
        own_weight: float = 0.5,
        postproc: PostprocConfig | Mapping[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.fs = float(fs)
        self.window = int(round(window_s * self.fs))
        self.overlap = int(round(overlap_s * self.fs))
        self.bandpass = (float(bandpass[0]), float(bandpass[1]))
        self.order = int(order)
        self.own_weight = float(own_weight)
        self.postproc = (
            postproc
            if isinstance(postproc, PostprocConfig)
            else PostprocConfig.from_mapping(postproc)
        )

    def __call__(self, sig: npt.ArrayLike, fs: float) -> dict[str, dict[str, IntArray]]:
        x = np.asarray(sig)
        if x.ndim != 1:
            raise ValueError(
                f"sig must be 1-D (samples,), got shape {x.shape}; use .batch for (leads, samples)"
            )
        return self.batch(x[None, :], fs)[0]

    def probabilities(self, sig: npt.ArrayLike, fs: float) -> FloatArray:
        """Class probabilities ``(leads, samples at self.fs, 4)`` of the fused leads."""
        import torch

        from ecg_signal.preprocess import bandpass, resample

        checked = _check_input(sig, fs)
        x: npt.NDArray[Any] = resample(
            np.nan_to_num(checked).astype(np.float32), float(fs), self.fs
        )
        lo, hi = self.bandpass
        if x.shape[-1] > 3 * (2 * self.order + 1):
            x = bandpass(
                x.astype(np.float64), self.fs, lo, min(hi, 0.45 * self.fs), order=self.order
            )
        n = x.shape[-1]
        leads = x.shape[0]
        model = self.model
        model.eval()

        def fn(batch: FloatArray) -> FloatArray:
            b = batch.shape[0]
            inp = np.stack([network_input(zscore(w)) for w in batch])  # (b, leads, 2, L)
            with torch.no_grad():
                logits = model(torch.from_numpy(inp.reshape(b * leads, 2, -1)))
                p = torch.softmax(logits.float(), dim=-1).numpy()
            return (
                p.reshape(b, leads, p.shape[1], 4)
                .transpose(0, 2, 1, 3)
                .reshape(b, p.shape[1], leads * 4)
            )

        from ecg_models.pretrained._windowing import stitch_windows

        out = stitch_windows(
            x.astype(np.float32), self.window, min(self.overlap, self.window - 1), fn
        )
        probs = out[:n].reshape(n, leads, 4).transpose(1, 0, 2)
        return fuse_leads(probs, self.own_weight)

    def batch(self, sig: npt.ArrayLike, fs: float) -> list[dict[str, dict[str, IntArray]]]:
        """Waves of each lead of ``sig`` ``(leads, samples)`` at ``fs`` (see the class doc)."""
        x = np.asarray(sig, dtype=np.float64)
        probs = self.probabilities(x, fs)
        n_in = x.shape[-1]
        scale = float(fs) / self.fs
        out = []
        for lead in range(probs.shape[0]):
            lab = postprocess_labels(probs[lead].argmax(-1), self.fs, self.postproc)
            waves = labels_to_waves(lab)
            res: dict[str, dict[str, IntArray]] = {}
            for name, d in waves.items():
                on = np.clip(np.round(d["onset"] * scale), 0, n_in - 1).astype(np.int64)
                off = np.clip(np.round((d["offset"] + 1) * scale) - 1, 0, n_in - 1).astype(np.int64)
                off = np.maximum(off, on)
                peaks = np.array(
                    [
                        a + int(np.argmax(np.abs(seg - np.linspace(seg[0], seg[-1], seg.size))))
                        for a, b in zip(on, off, strict=True)
                        for seg in [np.nan_to_num(x[lead, a : b + 1])]
                    ],
                    dtype=np.int64,
                )
                res[name] = {"onset": on, "peak": peaks.reshape(-1), "offset": off}
            out.append(res)
        return out


@register_pretrained("delineation", task="wave_delineation")
def _load(info: PretrainedInfo) -> Delineator:
    from ecg_models.models._base import TaskModel

    model = TaskModel.from_checkpoint(info.weights)
    cfg = dict(info.config)
    return Delineator(
        model,
        float(cfg["fs"]),
        window_s=float(cfg.get("window_s", 10.0)),
        overlap_s=float(cfg.get("overlap_s", 2.0)),
        bandpass=tuple(cfg.get("bandpass", (0.5, 45.0))),  # type: ignore[arg-type]
        order=int(cfg.get("order", 3)),
        own_weight=float(cfg.get("own_weight", 0.5)),
        postproc=cfg.get("postproc"),
    )
