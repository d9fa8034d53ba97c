"""The pretrained QRS detector: an ``ECG_SEQ_LAB_NET`` run over any single-lead ECG.

``load_pretrained("qrs")`` gives a :class:`QRSDetector`; the cpsc2019 case of ecg-benchmarks
trains the network and uses the same class (and :func:`qrs_input`) for its evaluation, so the
shipped detector and the measured one are the same code.

Pipeline of :meth:`QRSDetector.__call__`: split the signal at NaN/inf samples; resample each
finite segment to the network's rate (:func:`ecg_signal.preprocess.resample`); band-pass it
(0.5-45 Hz); run the network over overlapping windows (each window scaled by
:func:`robust_scale`), keeping the middle of each window's output
(:func:`~ecg_models.pretrained.stitch_windows`); R peaks from the per-step QRS probability by
:func:`~ecg_models.models._inference.rpeaks_from_prob`, optionally moved to the largest
absolute filtered sample nearby; mapped back to the input rate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from ecg_models.models._inference import rpeaks_from_prob
from ecg_models.pretrained._checks import FS_RANGE, check_input_fs
from ecg_models.pretrained._registry import PretrainedInfo, register_pretrained
from ecg_models.pretrained._windowing import stitch_windows
from ecg_signal._validation import real_array

__all__ = ["FS_RANGE", "QRSDetector", "qrs_input", "robust_scale"]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def _median(a: FloatArray, overwrite: bool = False) -> FloatArray:
    """``np.median(a, axis=-1, keepdims=True)`` with the same bits: one selection of the upper
    middle element and a maximum over the lower half (several times faster than the two
    selections of ``np.median``). ``overwrite``: partition ``a`` in place."""
    n = a.shape[-1]
    h = n // 2
    if overwrite:
        a.partition(h, axis=-1)
        part = a
    else:
        part = np.partition(a, h, axis=-1)
    upper = part[..., h : h + 1]
    if n % 2:
        return upper.copy()
    lower = part[..., :h].max(axis=-1, keepdims=True)
    mid: FloatArray = (lower + upper) / 2
    return mid


def robust_scale(x: npt.NDArray[np.floating[Any]], clip: float = 5.0) -> FloatArray:
    """Centre on the median and divide by 5 median absolute deviations (as a normal SD,
    ``1.4826 * MAD``) along the last axis, then clip to ``+-clip``.

    The QRS complexes of a clean ECG then span about +-1, and a few huge artefacts do not
    squash the rest of the window (as they do a z-score). Shapes are kept; float32 out,
    computed in float32 (bit for bit ``np.median``'s medians).
    """
    x = np.asarray(x, dtype=np.float32)
    if x.shape[-1] < 1:
        raise ValueError(f"x must have at least one sample on its last axis, got {x.shape}")
    med = _median(x)
    d = x - med
    mad = _median(np.abs(d), overwrite=True)
    out: FloatArray = np.divide(d, 5.0 * 1.4826 * mad + 1e-6, out=d)
    return np.clip(out, -clip, clip, out=out)


def qrs_input(sig: npt.NDArray[np.floating[Any]], fs: float, model_fs: float) -> FloatArray:
    """The network's input before scaling: ``sig`` (``(..., samples)``, finite, at ``fs``)
    resampled to ``model_fs`` and band-passed 0.5-45 Hz (zero phase), float32.

    Resampling runs in float32 (``ecg_signal.preprocess.resample``'s vectorised path, equal to
    the float64 one within float32 rounding); the band-pass filter in float64.
    """
    from ecg_signal.preprocess import bandpass, resample

    if math.isclose(fs, model_fs):
        x = np.asarray(sig, dtype=np.float64)
    else:
        x = np.asarray(resample(np.asarray(sig, dtype=np.float32), fs, model_fs))
    return np.asarray(bandpass(x, model_fs, 0.5, 45.0), dtype=np.float32)


def _as_signal(sig: Any, ndim: int) -> npt.NDArray[np.float64]:
    """``sig`` as float64 with the errors of ``ecg_signal.rpeaks.detect_rpeaks``."""
    arr = real_array(sig)
    if arr.ndim != ndim:
        if ndim == 1:
            raise ValueError(
                f"sig must be 1-D with shape (samples,), got shape {arr.shape} ({arr.ndim}-D); "
                "use det.batch for (leads, samples)"
            )
        raise ValueError(f"sig must have shape (leads, samples), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"sig must not be empty, got shape {arr.shape}")
    return np.asarray(arr, dtype=np.float64)


def _fast_logits(model: Any) -> Any:
    """A faster eval-mode equivalent of ``model`` (``(batch, 1, samples)`` to per-step logits
    ``(batch, steps, k)``), or ``None`` when there is none.

    An ``ECG_SEQ_LAB_NET`` whose backbone offers ``inference_module`` (the strided CNN: batch
    norm folded, channels-last 2-D convolutions) and that has no RNN, no attention and a head
    of one linear layer runs as that module followed by the head's linear layer: the
    same function within float32 rounding, without the copies of the generic forward.
    ``run(x, keep=(lo, hi))`` gives the steps ``lo..hi-1`` only, computing less.
    """
    backbone: Any = getattr(model, "backbone", None)
    head = getattr(model, "head", None)
    if (
        not hasattr(backbone, "inference_module")
        or getattr(model, "rnn", None) is not None
        or not isinstance(getattr(model, "attn", None), torch.nn.Identity)
        or getattr(model, "pool", None) is not None
        or getattr(model, "_recover", True)
        or not isinstance(head, torch.nn.Sequential)
    ):
        return None
    linears = [m for m in head if isinstance(m, torch.nn.Linear)]
    if len(linears) != 1 or any(
        not isinstance(m, torch.nn.Linear | torch.nn.Dropout) for m in head
    ):
        return None
    lin = linears[0]
    plan = backbone.inference_module()

    def run(x: torch.Tensor, keep: tuple[int, int] | None = None) -> torch.Tensor:
        # the plan's output is channels-last in memory: the transpose is a free view
        out: torch.Tensor = torch.nn.functional.linear(
            plan(x, keep).transpose(1, 2), lin.weight, lin.bias
        )
        return out

    return run


def _polarity_invariant(model: Any) -> bool:
    """Whether ``model(-x) == model(x)`` exactly (a rectified strided-CNN stem)."""
    cfg = getattr(getattr(model, "backbone", None), "config", None)
    return bool(getattr(cfg, "rectify_stem", False))


def _unique_sorted(a: npt.NDArray[np.int64]) -> IntArray:
    """``np.unique(a)`` for an int array that is (nearly) sorted: a sort and a comparison of
    neighbours, much faster than ``np.unique``'s hash table on long arrays."""
    b = np.sort(np.asarray(a, dtype=np.int64))
    if b.size < 2:
        return b
    keep = np.empty(b.size, dtype=bool)
    keep[0] = True
    np.not_equal(b[1:], b[:-1], out=keep[1:])
    out: IntArray = b[keep]
    return out


def _finite_runs(ok: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


class QRSDetector:
    """R-peak detector around a trained single-class ``ECG_SEQ_LAB_NET``.

    A network with a strided-CNN backbone, no RNN or attention and a single linear head runs
    as a folded copy made here (see :func:`_fast_logits`): build the detector after training.

    Args:
        model: the network (``(batch, 1, samples)`` at ``fs`` -> per-step QRS logits).
        fs: the network's input rate in Hz.
        window_s: window length in seconds; overlap_s: overlap of neighbouring windows.
        threshold: QRS probability threshold.
        low_threshold: hysteresis (``None``: none): a QRS run is a stretch above this lower
            probability whose maximum reaches ``threshold`` (see ``rpeaks_from_prob``).
        min_qrs_ms: shortest QRS run kept; refractory_ms: shortest R-R interval.
        flip_average: average the probabilities of each window and of its inversion (skipped
            for a polarity-invariant network, where both are equal).
        refine_ms: move each peak to the largest absolute filtered sample within this distance
            (0: keep the run's centre).
        batch_size: windows per network call (bounds the memory).
        min_segment_s: finite segments shorter than this (between NaN stretches) are skipped.
        chunk_s, margin_s: long segments are resampled and filtered in chunks of ``chunk_s``
            seconds with ``margin_s`` seconds of context on each side (bounded memory).
    """

    def __init__(
        self,
        model: Any,
        fs: float = 250.0,
        window_s: float = 10.0,
        overlap_s: float = 2.0,
        threshold: float = 0.5,
        low_threshold: float | None = None,
        min_qrs_ms: float = 40.0,
        refractory_ms: float = 200.0,
        flip_average: bool = True,
        refine_ms: float = 0.0,
        batch_size: int = 64,
        min_segment_s: float = 0.5,
        chunk_s: float = 600.0,
        margin_s: float = 30.0,
    ) -> None:
        self.model = model.eval()
        self.reduction = int(getattr(model, "reduction", 1))
        self.fs = float(fs)
        r = self.reduction
        self.window = max(r, math.ceil(window_s * self.fs / r - 1e-9) * r)
        self.overlap = round(overlap_s * self.fs / (2 * r)) * 2 * r
        if not 0 <= self.overlap < self.window:
            raise ValueError(f"overlap_s ({overlap_s}) must be in [0, window_s ({window_s}))")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {threshold}")
        self.threshold = float(threshold)
        if low_threshold is not None and not 0.0 <= low_threshold <= threshold:
            raise ValueError(
                f"low_threshold must be in [0, threshold={threshold}], got {low_threshold}"
            )
        self.low_threshold = None if low_threshold is None else float(low_threshold)
        self.min_qrs_s = float(min_qrs_ms) / 1000
        self.refractory_s = float(refractory_ms) / 1000
        self.flip_average = bool(flip_average)
        self._flip = self.flip_average and not _polarity_invariant(model)
        fast = _fast_logits(model)
        self._fast = fast
        self._logits = self.model if fast is None else fast
        self.refine = round(float(refine_ms) / 1000 * self.fs)
        self.batch_size = int(batch_size)
        self.min_segment_s = float(min_segment_s)
        if not chunk_s > 0 or not margin_s >= 0:
            raise ValueError(f"need chunk_s > 0 s and margin_s >= 0 s, got {chunk_s}, {margin_s}")
        self.chunk_s = float(chunk_s)
        self.margin_s = float(margin_s)

    # ------------------------------------------------------------------ network
    def _net(self, batch: FloatArray) -> FloatArray:
        x = torch.from_numpy(robust_scale(batch))
        with torch.inference_mode():
            logits = self._logits(torch.cat([x, -x]) if self._flip else x)
            prob = torch.sigmoid(logits[..., :1])
            if self._flip:
                prob = 0.5 * (prob[: x.shape[0]] + prob[x.shape[0] :])
        out: FloatArray = prob.numpy()
        return out

    def _narrow(self) -> bool:
        """Whether the network is the fast path, which can compute a narrower output."""
        return self._fast is not None and self._logits is self._fast and not self._flip

    def _net_kept(self, batch: FloatArray, lo: int, hi: int) -> FloatArray:
        """:meth:`_net`'s steps ``lo..hi-1`` from the fast path, which computes only those."""
        x = torch.from_numpy(robust_scale(batch))
        with torch.inference_mode():
            prob = torch.sigmoid(self._logits(x, (lo, hi))[..., :1])
        kept: FloatArray = prob.numpy()
        return kept

    def probabilities(self, x: FloatArray) -> FloatArray:
        """Per-step QRS probabilities ``(ceil(samples / reduction),)`` of a filtered signal
        ``x`` (``(samples,)`` at :attr:`fs`, from :func:`qrs_input`)."""
        out = stitch_windows(
            x[None], self.window, self.overlap, self._net, self.reduction, self.batch_size,
            kept_fn=self._net_kept if self._narrow() else None,
        )  # fmt: skip
        return out[:, 0]

    def peaks_from_probabilities(
        self, prob: FloatArray, x: FloatArray, threshold: float | None = None
    ) -> IntArray:
        """R peaks at :attr:`fs` from :meth:`probabilities` (``x``: the filtered signal;
        ``threshold``: default :attr:`threshold`; the hysteresis threshold is
        :attr:`low_threshold`, at most ``threshold``)."""
        th = self.threshold if threshold is None else float(threshold)
        low = None if self.low_threshold is None else min(self.low_threshold, th)
        peaks = rpeaks_from_prob(
            prob, th, self.fs, self.reduction, self.min_qrs_s, self.refractory_s, low
        )
        peaks = peaks[peaks < len(x)]
        if self.refine > 0 and peaks.size:
            k = self.refine
            idx = peaks[:, None] + np.arange(-k, k + 1)[None, :]
            inside = (idx >= 0) & (idx < len(x))
            # |x| near each peak (-1 outside the signal), without a padded copy of the signal
            near = np.where(inside, np.abs(x[np.clip(idx, 0, len(x) - 1)]), -1.0)
            peaks = _unique_sorted(peaks + near.argmax(axis=1) - k)
        return peaks

    # ------------------------------------------------------------------ public API
    def to_input_rate(self, peaks: IntArray, fs: float, n: int) -> IntArray:
        """Sample indices at :attr:`fs` mapped to a signal of ``n`` samples at ``fs``."""
        if math.isclose(fs, self.fs):
            return peaks
        back = np.round(peaks * (fs / self.fs)).astype(np.int64)
        return _unique_sorted(np.clip(back, 0, n - 1))

    def filtered(self, sig: npt.NDArray[np.floating[Any]], fs: float) -> FloatArray:
        """:func:`qrs_input` of a finite 1-D segment, computed in chunks of
        :attr:`chunk_s` seconds (each resampled and filtered with :attr:`margin_s` seconds of
        signal on both sides, then trimmed), so a long recording needs memory for its float32
        result and one chunk only. The band-pass filter's response has decayed far below
        float32 rounding within the margin: the result equals the unchunked one."""
        from ecg_signal.preprocess.functional import resample_ratio

        n = int(sig.shape[-1])
        same = math.isclose(fs, self.fs)
        up, down = (1, 1) if same else resample_ratio(fs, self.fs)
        step = max(1, round(self.chunk_s * fs) // down) * down
        if n <= step + 2 * round(self.margin_s * fs):
            return qrs_input(sig, fs, self.fs)
        margin = -(-round(self.margin_s * fs) // down) * down
        n_out = -(-n * up // down)
        out = np.empty(n_out, dtype=np.float32)
        for a in range(0, n, step):  # a, step and margin are multiples of down
            b = min(n, a + step)
            lo, hi = max(0, a - margin), min(n, b + margin)
            y = qrs_input(sig[lo:hi], fs, self.fs)
            o_a, o_b = a * up // down, -(-b * up // down)
            skip = (a - lo) * up // down
            out[o_a:o_b] = y[skip : skip + o_b - o_a]
        return out

    def segment_peaks(self, sig: npt.NDArray[np.float64], fs: float) -> IntArray:
        """R peaks of a finite 1-D segment at ``fs`` (input samples)."""
        x = self.filtered(sig, fs)
        peaks = self.peaks_from_probabilities(self.probabilities(x), x)
        return self.to_input_rate(peaks, fs, len(sig))

    def __call__(self, sig: Any, fs: float) -> IntArray:
        """R peaks of a 1-D ECG ``(samples,)`` at ``fs`` in [100, 2000] Hz.

        Returns:
            Sorted unique int64 sample indices. Stretches of NaN/inf are skipped (no peak
            inside them; each finite segment is processed on its own). A constant signal
            gives no peak.

        Raises:
            ValueError: empty or all-NaN signal, not 1-D, ``fs`` out of range.
            TypeError: ``fs`` not a number, non-numeric signal.
        """
        fs_v = check_input_fs(fs)
        x = _as_signal(sig, 1)
        return self._detect(x, fs_v, "")

    def batch(self, sig: Any, fs: float) -> list[IntArray]:
        """:meth:`__call__` on every row of a ``(leads, samples)`` array."""
        fs_v = check_input_fs(fs)
        x = _as_signal(sig, 2)
        return [self._detect(row, fs_v, f"[{i}]") for i, row in enumerate(x)]

    def _detect(self, x: npt.NDArray[np.float64], fs: float, where: str) -> IntArray:
        lo, hi = float(x.min()), float(x.max())  # NaN and inf show in the extremes
        if math.isfinite(lo) and math.isfinite(hi):  # all finite: no mask needed
            if lo == hi:
                return np.zeros(0, dtype=np.int64)
            return _unique_sorted(self.segment_peaks(x, fs))
        ok = np.isfinite(x)
        if not ok.any():
            raise ValueError(
                f"sig{where} holds no finite sample (all {x.size} samples are NaN/inf)"
            )
        if ok.all():
            runs = [(0, x.size)]
        else:
            runs = [(a, b) for a, b in _finite_runs(ok) if b - a >= self.min_segment_s * fs]
        found: list[IntArray] = []
        for a, b in runs:
            seg = x[a:b]
            if float(seg.max()) == float(seg.min()):
                continue
            found.append(self.segment_peaks(seg, fs) + a)
        if not found:
            return np.zeros(0, dtype=np.int64)
        return _unique_sorted(np.concatenate(found))

    def __repr__(self) -> str:
        return (
            f"QRSDetector(fs={self.fs:g}, window={self.window}, overlap={self.overlap}, "
            f"threshold={self.threshold:g}, low_threshold={self.low_threshold}, "
            f"flip_average={self.flip_average})"
        )


@register_pretrained("qrs", task="qrs_detection")
def _load(info: PretrainedInfo) -> QRSDetector:
    from ecg_models.models._base import TaskModel

    model = TaskModel.from_checkpoint(info.weights)
    return QRSDetector(model, **dict(info.config))
