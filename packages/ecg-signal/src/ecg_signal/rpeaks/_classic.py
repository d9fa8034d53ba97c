"""Wrappers of the classic R-peak detectors of WFDB and BioSPPy (optional extras).

Each wrapper takes a finite float64 1-D signal (already validated) and ``fs`` in Hz and returns
sorted unique int64 R-peak indices. The libraries are imported inside the functions only.

Delay and localisation corrections (so that every method reports the R-peak itself):

* WFDB ``xqrs`` / ``gqrs`` mark the QRS with a detector-specific lag. Their marks are moved to the
  local extremum of the baseline-removed signal with ``wfdb.processing.correct_peaks`` (search
  radius :data:`WFDB_SEARCH_RADIUS_S` = 0.1 s, moving-average smoothing window
  :data:`WFDB_SMOOTH_WINDOW_S` = 0.15 s, ``peak_dir="compare"``: the polarity of the larger mean
  absolute deflection, i.e. the local maximum of ``|filtered signal|`` on the dominant side).
* BioSPPy segmenters run, as ``biosppy.signals.ecg.ecg`` does, on the signal filtered with its FIR
  band-pass 0.67-45 Hz (order ``int(1.5 fs)``, zero phase) minus its mean, and their output is
  corrected with ``biosppy.signals.ecg.correct_rpeaks`` with tolerance :data:`BIOSPPY_TOLERANCE_S`
  = 0.05 s (the argmax of the filtered signal in ``[r - tol, r + tol)``; peaks whose window
  leaves the signal are dropped by BioSPPy itself).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "WFDB_SEARCH_RADIUS_S",
    "WFDB_SMOOTH_WINDOW_S",
    "BIOSPPY_TOLERANCE_S",
    "BIOSPPY_METHODS",
    "WFDB_METHODS",
    "wfdb_correct",
    "biosppy_filter",
    "run_wfdb",
    "run_biosppy",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

WFDB_SEARCH_RADIUS_S = 0.1
WFDB_SMOOTH_WINDOW_S = 0.15
BIOSPPY_TOLERANCE_S = 0.05

WFDB_METHODS = ("xqrs", "gqrs")
#: our method name -> the BioSPPy segmenter function name
BIOSPPY_METHODS = {
    "hamilton": "hamilton_segmenter",
    "christov": "christov_segmenter",
    "engzee": "engzee_segmenter",
    "gamboa": "gamboa_segmenter",
    "ssf": "ssf_segmenter",
    "asi": "ASI_segmenter",
}


def _import_wfdb_processing() -> Any:
    try:
        import wfdb.processing as wp
    except ImportError as exc:
        raise ImportError(
            'the WFDB detectors need the wfdb package: pip install "ecg-signal[wfdb]"'
        ) from exc
    return wp


def _import_biosppy_ecg() -> Any:
    try:
        import peakutils  # noqa: F401  (biosppy needs it but does not declare it)
    except ImportError as exc:
        raise ImportError(
            'the BioSPPy detectors need biosppy and peakutils: pip install "ecg-signal[biosppy]"'
        ) from exc
    try:
        from biosppy.signals import ecg as becg
    except ImportError as exc:
        raise ImportError(
            'the BioSPPy detectors need the biosppy package: pip install "ecg-signal[biosppy]"'
        ) from exc
    return becg


def _as_peaks(x: Any) -> IntArray:
    out: IntArray = np.unique(np.asarray(x, dtype=np.int64).ravel())
    return out


def wfdb_correct(sig: FloatArray, peaks: Any, fs: float) -> IntArray:
    """Move WFDB detections to the R-peak with ``wfdb.processing.correct_peaks`` (see module doc)."""
    wp = _import_wfdb_processing()
    p = _as_peaks(peaks)
    if p.size == 0:
        return p
    radius = max(1, int(round(WFDB_SEARCH_RADIUS_S * fs)))
    smooth = max(1, int(round(WFDB_SMOOTH_WINDOW_S * fs)))
    out = wp.correct_peaks(
        sig, p, search_radius=radius, smooth_window_size=smooth, peak_dir="compare"
    )
    q = _as_peaks(out)
    return q[(q >= 0) & (q < sig.size)]


def run_wfdb(
    method: str, sig: FloatArray, fs: float, *, correct: bool = True, **options: Any
) -> IntArray:
    """Run WFDB's ``xqrs_detect`` or ``gqrs_detect`` and correct the marks to the R-peak.

    ``xqrs``: Moody & Mark's XQRS as implemented in the WFDB Python package (``wfdb.processing.XQRS``;
    after Pan & Tompkins 1985). ``gqrs``: G. Moody's GQRS (PhysioNet WFDB ``gqrs``).
    ``options`` are passed to the library function (e.g. ``hr``, ``threshold`` for gqrs).
    """
    wp = _import_wfdb_processing()
    if method == "xqrs":
        raw = wp.xqrs_detect(sig, fs=fs, verbose=False, **options)
    elif method == "gqrs":
        raw = wp.gqrs_detect(sig=sig, fs=fs, **options)
    else:  # pragma: no cover - guarded by the registry
        raise ValueError(f"unknown WFDB method {method!r}; expected one of {WFDB_METHODS}")
    peaks = _as_peaks(raw)
    return wfdb_correct(sig, peaks, fs) if correct else peaks


def biosppy_filter(sig: FloatArray, fs: float) -> FloatArray:
    """BioSPPy's ECG pre-filter: FIR band-pass 0.67-45 Hz, order ``int(1.5 fs)``, zero phase, minus the mean."""
    _import_biosppy_ecg()
    from biosppy.signals import tools as st

    order = int(1.5 * fs)
    filtered, _, _ = st.filter_signal(
        signal=sig,
        ftype="FIR",
        band="bandpass",
        order=order,
        frequency=[0.67, 45],
        sampling_rate=fs,
    )
    out: FloatArray = np.asarray(filtered, dtype=np.float64)
    centred: FloatArray = out - out.mean()
    return centred


def run_biosppy(
    method: str, sig: FloatArray, fs: float, *, correct: bool = True, **options: Any
) -> IntArray:
    """Run a BioSPPy segmenter on the BioSPPy-filtered signal and correct its delay.

    Methods: ``hamilton`` (Hamilton, "Open source ECG analysis", Computers in Cardiology 2002),
    ``christov`` (Christov, "Real time electrocardiogram QRS detection using combined adaptive
    threshold", BioMed. Eng. OnLine 3:28, 2004), ``engzee`` (Engelse & Zeelenberg 1979, with the
    Lourenco et al. 2012 modifications), ``gamboa`` (Gamboa, PhD thesis 2008), ``ssf`` (Zong et
    al., "A robust open-source algorithm to detect onset and duration of QRS complexes",
    Computers in Cardiology 2003) and ``asi`` (Gutierrez-Rivas et al., "Novel real-time
    low-complexity QRS complex detector based on adaptive thresholding", IEEE Sensors J. 15(10),
    2015, as modified by T. Rodrigues in BioSPPy).
    ``options`` are passed to the segmenter (e.g. ``threshold`` for engzee).
    """
    becg = _import_biosppy_ecg()
    try:
        name = BIOSPPY_METHODS[method]
    except KeyError:  # pragma: no cover - guarded by the registry
        raise ValueError(
            f"unknown BioSPPy method {method!r}; expected one of {sorted(BIOSPPY_METHODS)}"
        ) from None
    filtered = biosppy_filter(sig, fs)
    seg = getattr(becg, name)
    try:
        (raw,) = seg(signal=filtered, sampling_rate=fs, **options)
    except (IndexError, ValueError, ZeroDivisionError) as exc:
        # e.g. biosppy 2.2's ASI_segmenter indexes past the end of some signals
        raise RuntimeError(
            f"BioSPPy's {name} failed on this input ({type(exc).__name__}: {exc})"
        ) from exc
    peaks = _as_peaks(raw)
    if not correct or peaks.size == 0:
        return peaks
    (corr,) = becg.correct_rpeaks(
        signal=filtered, rpeaks=peaks, sampling_rate=fs, tol=BIOSPPY_TOLERANCE_S
    )
    return _as_peaks(corr)
