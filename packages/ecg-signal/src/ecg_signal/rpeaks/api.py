"""One interface to every R-peak detector: :func:`detect_rpeaks`, its batch form and the registry.

Methods (see :func:`list_methods`):

* ``ecgsuite`` (default): the package's own vectorised detector, :mod:`.detector`; options are
  the fields of :class:`~.detector.EcgSuiteConfig`.
* ``xqrs``, ``gqrs``: WFDB (extra ``ecg-signal[wfdb]``), marks moved to the R-peak.
* ``hamilton``, ``christov``, ``engzee``, ``gamboa``, ``ssf``, ``asi``: BioSPPy (extra
  ``ecg-signal[biosppy]``), delay corrected with ``correct_rpeaks``. See :mod:`._classic`.

Every method returns sorted unique int64 sample indices. NaN/inf samples are bridged by linear
interpolation before a classic detector runs and no peak is reported inside them.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from .._validation import RPEAK_MIN_FS, check_fs, real_array
from . import _classic
from .detector import EcgSuiteConfig, ecgsuite_detect

__all__ = ["MIN_FS", "DEFAULT_METHOD", "detect_rpeaks", "detect_rpeaks_batch", "list_methods"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: the lowest sampling rate accepted, in Hz
MIN_FS = RPEAK_MIN_FS
DEFAULT_METHOD = "ecgsuite"

_Runner = Callable[[FloatArray, float, dict[str, Any]], IntArray]


def _run_ecgsuite(x: FloatArray, fs: float, options: dict[str, Any]) -> IntArray:
    return ecgsuite_detect(x, fs, EcgSuiteConfig.from_config(options))


def _classic_runner(method: str) -> _Runner:
    wfdb = method in _classic.WFDB_METHODS

    def run(x: FloatArray, fs: float, options: dict[str, Any]) -> IntArray:
        bad = ~np.isfinite(x)
        y = x
        if bad.any():
            good = np.flatnonzero(~bad)
            y = x.copy()
            y[bad] = np.interp(np.flatnonzero(bad), good, x[good])
        if wfdb:
            p = _classic.run_wfdb(method, y, fs, **options)
        else:
            p = _classic.run_biosppy(method, y, fs, **options)
        if bad.any() and p.size:
            p = p[~bad[p]]
        return p

    run.__name__ = f"run_{method}"
    return run


_METHODS: dict[str, _Runner] = {"ecgsuite": _run_ecgsuite}
for _m in (*_classic.WFDB_METHODS, *_classic.BIOSPPY_METHODS):
    _METHODS[_m] = _classic_runner(_m)


def list_methods() -> tuple[str, ...]:
    """Return the names of the R-peak detectors, ours (``"ecgsuite"``) first.

    The classic ones need their optional extra at call time (``ecg-signal[wfdb]`` for ``xqrs``
    and ``gqrs``, ``ecg-signal[biosppy]`` for the BioSPPy methods).
    """
    return tuple(_METHODS)


def _get_method(method: Any) -> _Runner:
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, one of {list_methods()}, got {method!r}")
    try:
        return _METHODS[method]
    except KeyError:
        close = difflib.get_close_matches(method, list(_METHODS), n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"unknown R-peak method {method!r}; available: {', '.join(_METHODS)}.{hint}"
        ) from None


def _check_rate(fs: Any) -> float:
    return check_fs(fs, minimum=MIN_FS)


def _as_1d(sig: Any, ndim_ok: tuple[int, ...]) -> FloatArray:
    arr = real_array(sig)
    if arr.ndim not in ndim_ok:
        if ndim_ok == (1,):
            raise ValueError(
                f"sig must be 1-D with shape (samples,), got shape {arr.shape} ({arr.ndim}-D); "
                "use detect_rpeaks_batch for (leads, samples) or (batch, samples)"
            )
        raise ValueError(
            f"sig must have shape (leads, samples), (batch, samples) or (batch, leads, samples), "
            f"got shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"sig must not be empty, got shape {arr.shape}")
    out: FloatArray = np.asarray(arr, dtype=np.float64)
    return out


def _detect_checked(x: FloatArray, fs: float, runner: _Runner, options: dict[str, Any]) -> IntArray:
    """Run a method on a validated, non-constant 1-D float64 signal."""
    out = np.asarray(runner(x, fs, dict(options)), dtype=np.int64)
    if out.ndim == 1 and (out.size < 2 or bool(np.all(out[1:] > out[:-1]))):
        return out  # already sorted and unique (as ``ecgsuite`` returns it)
    res: IntArray = np.unique(out)
    return res


def _precheck(x: FloatArray, where: str) -> bool:
    """Raise on an all-NaN signal; return ``True`` when the finite part is constant."""
    hi, lo = float(x.max()), float(x.min())
    if math.isfinite(hi) and math.isfinite(lo):  # NaN propagates: every sample is finite
        return hi == lo
    finite = np.isfinite(x)
    if not finite.any():
        raise ValueError(f"sig{where} holds no finite sample (all {x.size} samples are NaN/inf)")
    v = x[finite]
    return bool(v.max() == v.min())


def detect_rpeaks(sig: Any, fs: float, method: str = DEFAULT_METHOD, **options: Any) -> IntArray:
    """Detect the R-peaks of a single-lead ECG.

    Args:
        sig: ECG of shape ``(samples,)`` (any unit, mV typically); NaN/inf allowed in part.
        fs: sampling rate in Hz, in [50, 100000] Hz (:data:`MIN_FS`, ``FS_MAX``).
        method: one of :func:`list_methods`; ``"ecgsuite"`` (ours, default) follows Pan &
            Tompkins (IEEE TBME 32(3), 1985) with vectorised adaptive thresholds; see the module
            docstring for the classic ones and their papers.
        **options: method options: for ``ecgsuite`` the fields of
            :class:`~ecg_signal.rpeaks.detector.EcgSuiteConfig` (``threshold``, ``refractory_s``,
            ...); for a classic method the keyword arguments of the library function.

    Returns:
        Sorted unique int64 sample indices of the R-peaks, shape ``(n_peaks,)``.

    Raises:
        ValueError: empty or all-NaN signal, 2-D input (use :func:`detect_rpeaks_batch`),
            ``fs`` outside [50, 100000] Hz, unknown method or option.
        TypeError: ``fs`` not a number, non-numeric signal.
        ImportError: a classic method whose optional extra is missing (names the pip command).
        RuntimeError: a classic library crashed on the input (e.g. BioSPPy's ASI segmenter
            indexing past the end of some records).

    A constant signal returns an empty array with a ``UserWarning``.
    """
    runner = _get_method(method)
    fs_v = _check_rate(fs)
    x = _as_1d(sig, (1,))
    if _precheck(x, ""):
        warnings.warn(
            "sig is constant: no R-peak can be detected, returning an empty array",
            UserWarning,
            stacklevel=2,
        )
        return np.zeros(0, dtype=np.int64)
    return _detect_checked(x, fs_v, runner, options)


def detect_rpeaks_batch(
    sig: Any, fs: float, method: str = DEFAULT_METHOD, **options: Any
) -> list[IntArray] | list[list[IntArray]]:
    """Detect R-peaks in every row of a ``(leads, samples)`` / ``(batch, samples)`` array.

    Args:
        sig: shape ``(leads, samples)`` or ``(batch, samples)``; ``(batch, leads, samples)`` gives
            a nested list.
        fs: sampling rate in Hz, in [50, 100000] Hz (:data:`MIN_FS`, ``FS_MAX``).
        method, **options: as for :func:`detect_rpeaks`.

    Returns:
        One int64 index array per row (a list of lists for 3-D input). A constant row gives an
        empty array (one ``UserWarning`` names the rows); an all-NaN row raises ``ValueError``.
    """
    runner = _get_method(method)
    fs_v = _check_rate(fs)
    x = _as_1d(sig, (2, 3))
    flat = x.reshape(-1, x.shape[-1])
    out: list[IntArray] = []
    constant: list[int] = []
    for i, row in enumerate(flat):
        if _precheck(row, f"[{i}]"):
            constant.append(i)
            out.append(np.zeros(0, dtype=np.int64))
        else:
            out.append(_detect_checked(row, fs_v, runner, options))
    if constant:
        warnings.warn(
            f"rows {constant} of sig are constant: no R-peak can be detected there, "
            "returning empty arrays for them",
            UserWarning,
            stacklevel=2,
        )
    if x.ndim == 3:
        n_leads = x.shape[1]
        return [out[b * n_leads : (b + 1) * n_leads] for b in range(x.shape[0])]
    return out
