"""Running a network over a long signal in overlapping windows, in bounded memory.

:func:`window_starts` lays out the windows; :func:`stitch_windows` runs a function over them in
batches and keeps the middle of each window's output (the part farthest from its edges), so the
stitched output has no seams and each step is computed with at least ``overlap / 2`` samples of
context on both sides (except at the ends of the signal).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["stitch_windows", "window_starts"]

FloatArray = npt.NDArray[np.float32]


def window_starts(n_samples: int, window: int, overlap: int) -> npt.NDArray[np.int64]:
    """Start indices of windows of ``window`` samples covering ``[0, n_samples)`` with at least
    ``overlap`` samples shared by neighbours; the last window ends exactly at ``n_samples``
    (one window at 0 when the signal is not longer than a window).

    Raises:
        ValueError: ``window < 1``, ``overlap`` outside ``[0, window)`` or ``n_samples < 1``.
    """
    if window < 1 or not 0 <= overlap < window:
        raise ValueError(f"need window >= 1 and 0 <= overlap < window, got {window}, {overlap}")
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if n_samples <= window:
        return np.zeros(1, dtype=np.int64)
    hop = window - overlap
    n_win = -(-(n_samples - window) // hop) + 1
    starts = np.arange(n_win, dtype=np.int64) * hop
    starts[-1] = n_samples - window
    return starts


def _kept_outputs(
    batch: FloatArray,
    lo: npt.NDArray[np.int64],
    hi: npt.NDArray[np.int64],
    w_out: int,
    fn: Callable[[FloatArray], FloatArray],
    kept_fn: Callable[[FloatArray, int, int], FloatArray] | None,
) -> list[FloatArray]:
    """The kept output steps ``lo[k]..hi[k]-1`` of each window ``k`` of ``batch``."""
    n = batch.shape[0]
    if kept_fn is None:
        y = np.asarray(fn(batch), dtype=np.float32)
        if y.shape[:2] != (n, w_out):
            raise ValueError(f"fn returned shape {y.shape}, expected ({n}, {w_out}, k)")
        return [y[k, lo[k] : hi[k]] for k in range(n)]
    pairs = list(zip(lo.tolist(), hi.tolist(), strict=True))
    kept: list[FloatArray] = []
    groups: dict[tuple[int, int], list[int]] = {}
    for k, pair in enumerate(pairs):
        groups.setdefault(pair, []).append(k)
    parts: dict[int, FloatArray] = {}
    for (a, b), idx in groups.items():  # interior windows share one range: usually one call
        y = np.asarray(kept_fn(batch if len(idx) == n else batch[idx], a, b), dtype=np.float32)
        if y.shape[:2] != (len(idx), b - a):
            raise ValueError(f"kept_fn returned shape {y.shape}, expected ({len(idx)}, {b - a}, k)")
        parts.update(zip(idx, y, strict=True))
    kept = [parts[k] for k in range(n)]
    return kept


def stitch_windows(
    x: npt.NDArray[np.floating],
    window: int,
    overlap: int,
    fn: Callable[[FloatArray], FloatArray],
    reduction: int = 1,
    batch_size: int = 16,
    kept_fn: Callable[[FloatArray, int, int], FloatArray] | None = None,
) -> FloatArray:
    """Apply ``fn`` to overlapping windows of ``x`` and stitch the outputs.

    Args:
        x: ``(leads, samples)``; a signal shorter than ``window`` is zero-padded at the end.
        window: window length in samples, a multiple of ``reduction``.
        overlap: samples shared by neighbouring windows, a multiple of ``reduction``.
        fn: maps ``(batch, leads, window)`` float32 to ``(batch, window // reduction, k)``.
        reduction: input samples per output step.
        batch_size: windows per call of ``fn`` (bounds the memory).
        kept_fn: optional ``kept_fn(batch, lo, hi)``: the output steps ``lo..hi-1`` of ``fn``
            (``(batch, hi - lo, k)``), for a network that saves work on a narrower output;
            called instead of ``fn`` for the windows of a batch that keep those steps.

    Returns:
        ``(ceil(samples / reduction), k)`` float32: output step ``j`` covers input samples
        ``[j * reduction, (j + 1) * reduction)``.
    """
    if x.ndim != 2 or x.shape[-1] < 1:
        raise ValueError(f"x must have shape (leads, samples) with samples >= 1, got {x.shape}")
    if window % reduction or overlap % reduction:
        raise ValueError(
            f"window ({window}) and overlap ({overlap}) must be multiples of reduction "
            f"({reduction})"
        )
    n = int(x.shape[-1])
    n_pad = max(window, -(-n // reduction) * reduction)
    # the zero padding of the end is added to the last windows only (no copy of the signal)
    xf = np.ascontiguousarray(x, dtype=np.float32)
    leads = xf.shape[0]
    starts = window_starts(n_pad, window, overlap)
    w_out = window // reduction
    n_out = n_pad // reduction
    o = starts // reduction
    # each window keeps its output from the middle of its overlap with the previous window to
    # the middle of its overlap with the next one: the kept parts tile [0, n_out) in order
    mid = (o[:-1] + w_out + o[1:]) // 2
    lo = np.concatenate([[0], mid - o[1:]])
    hi = np.concatenate([mid - o[:-1], [w_out]])
    # windows that lie inside the signal are rows of a strided view (copied batch by batch)
    n_inside = int(np.searchsorted(starts, n - window, side="right")) if n >= window else 0
    rows = sliding_window_view(xf, window, axis=-1) if n_inside else None
    out: FloatArray | None = None
    for b0 in range(0, len(starts), batch_size):
        b1 = min(len(starts), b0 + batch_size)
        batch = np.empty((b1 - b0, leads, window), dtype=np.float32)
        m = max(0, min(b1, n_inside) - b0)
        if m and rows is not None:
            batch[:m] = rows[:, starts[b0 : b0 + m]].transpose(1, 0, 2)
        for k in range(m, b1 - b0):
            s = int(starts[b0 + k])
            part = xf[:, s : min(n, s + window)]
            batch[k, :, : part.shape[-1]] = part
            batch[k, :, part.shape[-1] :] = 0.0
        kept = _kept_outputs(batch, lo[b0:b1], hi[b0:b1], w_out, fn, kept_fn)
        if out is None:
            out = np.zeros((n_out, kept[0].shape[-1]), dtype=np.float32)
        out[o[b0] + lo[b0] : o[b1 - 1] + hi[b1 - 1]] = np.concatenate(kept)
    if out is None:  # pragma: no cover - there is always at least one window
        raise ValueError("no window to run")
    return out[: -(-n // reduction)]
