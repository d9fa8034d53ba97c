"""Array kernels of the ``ecgsuite`` detector (:mod:`.detector`): boxcar band-pass by doubling
window sums over cache-sized chunks, pooled squared slope, window gathers and a per-thread
scratch buffer. Each kernel equals the plain numpy computation it replaces (see
``tests/test_rpeaks_fastpaths.py``); they exist for speed."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: samples band-passed per step (the working arrays of a chunk stay in the CPU caches)
CHUNK = 1 << 15

#: the longest band-passed signal (samples) whose buffer a thread keeps for its next call
SCRATCH_MAX = 1 << 21
_SCRATCH = threading.local()


def _scratch(n: int) -> FloatArray:
    """An uninitialised float64 work array of ``n`` samples, reused by the next call.

    Allocating (and, at the end of the call, returning to the OS) a multi-MB array costs one
    page fault per 4 KiB on every call, as much as the whole band-pass; so each thread keeps
    one buffer of up to :data:`SCRATCH_MAX` samples (16 MB). The detector neither yields nor
    recurses, so a thread never uses the buffer twice at once; nothing returned aliases it.
    """
    if n > SCRATCH_MAX:
        return np.empty(n)
    buf: FloatArray | None = getattr(_SCRATCH, "buf", None)
    if buf is None or buf.size < n:
        buf = np.empty(n)
        _SCRATCH.buf = buf
    return buf[:n]


def _window_sum(p: FloatArray, w: int, n: int, out: FloatArray | None = None) -> FloatArray:
    """``out[i] = sum(p[i : i + w])`` for ``i < n`` (``p`` holds at least ``n + w - 1`` samples).

    Sums of power-of-two widths are built by doubling (``s_2k[i] = s_k[i] + s_k[i + k]``) and
    the binary digits of ``w`` are added up: ``~2 log2(w)`` vectorised additions instead of a
    sequential cumulative sum, and no cancellation between large running sums. Every output
    sample is the same fixed tree of additions over its own window, whatever ``p``'s extent.
    """
    if out is None:
        out = np.empty(n)
    cur = p
    width = 1
    off = 0
    bits = w
    first: FloatArray | None = None  # the lowest digit, added to the next one
    started = False
    while True:
        if bits & 1:
            piece = cur[off : off + n]
            if started:
                out += piece
            elif first is None:
                first = piece
            else:
                np.add(first, piece, out=out)
                started = True
            off += width
        bits >>= 1
        if not bits:
            break
        m = cur.size - width
        nxt = np.empty(m)
        np.add(cur[:m], cur[width:], out=nxt)
        cur = nxt
        width *= 2
    if not started:  # a single digit (w a power of two)
        out[...] = first if first is not None else 0.0
    return out


def _padded(x: FloatArray, h: int, shift: float = 0.0) -> FloatArray:
    """``x - shift`` with ``h`` copies of its first/last value added at either end."""
    n = x.size
    p = np.empty(n + 2 * h)
    if shift:
        np.subtract(x, shift, out=p[h : h + n])
    else:
        p[h : h + n] = x
    p[:h] = p[h]
    p[h + n :] = p[h + n - 1]
    return p


def _boxcar(x: FloatArray, w: int, shift: float = 0.0, out: FloatArray | None = None) -> FloatArray:
    """Centred moving mean of odd width ``w`` of ``x - shift`` (edges padded with the edge value).

    Equals ``scipy.ndimage.uniform_filter1d(x - shift, w, mode="nearest")`` up to rounding;
    written to ``out`` (shape ``x.shape``) when given.
    """
    if w <= 1:
        res = x - shift if shift else x
    elif x.size <= 2 * CHUNK or w > CHUNK:
        h = w // 2
        res = _window_sum(_padded(x, h, shift), 2 * h + 1, x.size)
        res *= 1.0 / (2 * h + 1)
    else:
        return _boxcar_chunked(x, w, shift, out)
    if out is None:
        return res
    out[...] = res
    return out


def _boxcar_chunked(x: FloatArray, w: int, shift: float, out: FloatArray | None) -> FloatArray:
    """:func:`_boxcar` of a long input in overlapping chunks of :data:`CHUNK` samples.

    An output sample reads its own window only (summed in a fixed order), so the result is the
    same as in one piece, but the chunk-sized temporaries stay in cache and cause no page faults.
    """
    h = w // 2
    n = x.size
    if out is None:
        out = np.empty(n)
    for a in range(0, n, CHUNK):
        b = min(n, a + CHUNK)
        lo = max(0, a - h)
        out[a:b] = _boxcar(x[lo : min(n, b + h)], w, shift)[a - lo : b - lo]
    return out


def _bandpass_slope2(
    x: FloatArray, shift: float, lows: tuple[int, ...], base: int, k: int
) -> tuple[FloatArray, FloatArray]:
    """Band-pass ``x - shift`` and mean-pool its squared central-difference slope by ``k``.

    ``bp = lp - boxcar(lp, base)`` with ``lp`` the cascade of the ``lows`` boxcars (every stage
    padded with its own edge values); the slope is ``bp[i + 1] - bp[i - 1]`` (one-sided at the
    ends, zero when ``n < 3``). The work runs in overlapping chunks of :data:`CHUNK` samples:
    a boxcar output depends on its window only (summed in a fixed order), so the result is
    identical to the whole-array computation, without its cache misses and page faults.

    Returns:
        ``(bp, pooled)``: the band-passed signal, shape ``(n,)``, and the pooled squared slope,
        shape ``(ceil(n / k),)`` (the last, partial block averaged over its own samples).
    """
    n = x.size
    margin = sum(w // 2 for w in lows) + base // 2 + 1  # the samples a chunk's output reads
    bp = _scratch(n)
    pooled = np.empty(-(-n // k))
    step = max(k, (CHUNK // k) * k)
    halves = [w // 2 for w in lows] + [base // 2]
    for a in range(0, n, step):
        b = min(n, a + step)
        lo, hi = max(0, a - margin), min(n, b + margin)
        size = hi - lo
        # each low-pass stage writes its mean into the middle of the next stage's padded input
        p = _padded(x[lo:hi], halves[0], shift)
        for w, h in zip(lows, halves[1:], strict=True):
            q = np.empty(size + 2 * h)
            mid = q[h : h + size]
            if w > 1:
                _window_sum(p, w, size, out=mid)
                mid *= 1.0 / w
            else:
                mid[...] = p[w // 2 : w // 2 + size]
            q[:h] = mid[0]
            q[h + size :] = mid[-1]
            p = q
        h = halves[-1]
        lp = p[h : h + size]
        e = _window_sum(p, 2 * h + 1, size) if h else lp.copy()
        if h:
            e *= 1.0 / (2 * h + 1)
        np.subtract(lp, e, out=e)
        i0 = a - lo
        bp[a:b] = e[i0 : i0 + b - a]
        d = np.empty(b - a)
        if n < 3:
            d[:] = 0.0
        else:
            ja = 1 if a == 0 else 0
            jb = b - a - 1 if b == n else b - a
            np.subtract(e[i0 + ja + 1 : i0 + jb + 1], e[i0 + ja - 1 : i0 + jb - 1], out=d[ja:jb])
            if a == 0:
                d[0] = e[1] - e[0]
            if b == n:
                d[-1] = e[n - 1 - lo] - e[n - 2 - lo]
        np.multiply(d, d, out=d)
        _pool_into(d, k, pooled[a // k :])
    return bp, pooled


def _pool_into(d: FloatArray, k: int, out: FloatArray) -> None:
    """Write the means of ``d``'s consecutive ``k``-blocks (the last may be partial) to ``out``.

    Bit-identical to ``d.reshape(-1, k).mean(axis=1)``: for ``k < 8`` numpy sums a row in order.
    """
    if k == 1:
        out[: d.size] = d
        return
    nb = d.size // k
    full = nb * k
    if nb:
        if k < 8:
            acc = out[:nb]
            np.add(d[0:full:k], d[1:full:k], out=acc)
            for j in range(2, k):
                acc += d[j:full:k]
            acc /= k
        else:
            np.divide(d[:full].reshape(nb, k).sum(axis=1), k, out=out[:nb])
    if full < d.size:
        out[nb] = d[full:].mean()


def _rows(bp: FloatArray, start: IntArray, width: int) -> FloatArray:
    """``bp[clip(start[:, None] + arange(width), 0, n - 1)]``: windows, shape ``(len(start), width)``.

    Whole rows are copied from a sliding-window view when no window is clipped.
    """
    n = bp.size
    if start.size and n >= width and int(start.min()) >= 0 and int(start.max()) <= n - width:
        rows: FloatArray = sliding_window_view(bp, width)[start]
        return rows
    idx = np.clip(start[:, None] + np.arange(width)[None, :], 0, n - 1)
    out: FloatArray = bp[idx]
    return out


def _slope2_around(bp: FloatArray, loc: IntArray, q: int) -> FloatArray:
    """Squared slope ``(bp[i + 1] - bp[i - 1])**2`` at ``i = loc + (-q..q)`` (clipped to the signal,
    one-sided at its ends, zero when ``n < 3``), shape ``(len(loc), 2 q + 1)``."""
    n = bp.size
    if n < 3:
        return np.zeros((loc.size, 2 * q + 1))
    if loc.size and int(loc.min()) >= q + 1 and int(loc.max()) <= n - q - 2:
        w = _rows(bp, loc - q - 1, 2 * q + 3)
        d = w[:, 2:] - w[:, :-2]
    else:
        i = np.clip(loc[:, None] + np.arange(-q, q + 1)[None, :], 0, n - 1)
        d = bp[np.minimum(i + 1, n - 1)] - bp[np.maximum(i - 1, 0)]
    out: FloatArray = d * d
    return out


def _unique_sorted(a: IntArray) -> IntArray:
    """``np.unique(a)``, skipping the sort when ``a`` is already strictly increasing."""
    if a.size < 2 or bool(np.all(a[1:] > a[:-1])):
        return a
    out: IntArray = np.unique(a)
    return out
