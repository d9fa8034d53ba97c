"""Core of the ECGSYN dynamical model (McSharry et al. 2003), vectorised.

Reference: P. E. McSharry, G. D. Clifford, L. Tarassenko, L. A. Smith, "A dynamical model for
generating synthetic electrocardiogram signals", IEEE Trans. Biomed. Eng. 50(3):289-294, 2003.

The model moves a point around the unit circle in the (x, y) plane with angular speed
``omega = 2 * pi / RR`` and pushes ``z`` by Gaussian events at the angles ``theta_i``::

    dz/dt = -sum_i a_i * dtheta_i * omega * exp(-dtheta_i**2 / (2 * b_i**2)) - (z - z0)

Without the relaxation term ``-(z - z0)`` (which only pulls ``z`` to the baseline ``z0``; here the
baseline wander is added explicitly afterwards) the equation is exact-differential in ``theta``:
``z(theta) = sum_i a_i * b_i**2 * exp(-dtheta_i**2 / (2 * b_i**2))``. Since ``theta(t)`` is
piecewise linear (the RR interval is constant within a beat, as in ECGSYN), ``z`` is evaluated in
closed form at every output sample: no ODE solver, no resampling, sample-exact fiducials.

This module is private; :mod:`ecg_signal.simulate` is the public interface.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = [
    "WAVES",
    "BASE_ANGLES_DEG",
    "BASE_WIDTHS_RAD",
    "EDGE_WIDTHS",
    "rr_process",
    "beat_times",
    "wave_geometry",
    "phase",
    "gaussian_basis",
    "peak_angle",
    "fiducial_angles",
    "angles_to_samples",
    "refine_peaks",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The five Gaussian events of one beat, in order.
WAVES: tuple[str, ...] = ("P", "Q", "R", "S", "T")
#: Event angles at 60 bpm in degrees, R at 0 (McSharry et al. 2003, Table 1).
BASE_ANGLES_DEG: tuple[float, ...] = (-70.0, -15.0, 0.0, 15.0, 100.0)
#: Event widths b_i at 60 bpm in radians (McSharry et al. 2003, Table 1).
BASE_WIDTHS_RAD: tuple[float, ...] = (0.25, 0.1, 0.1, 0.1, 0.4)
#: Onsets and offsets lie this many widths b_i from a wave's centre (exp(-2) = 13.5 % of its peak).
EDGE_WIDTHS: float = 2.0


def rr_process(
    n_beats_time: float,
    *,
    rr_mean: float,
    rr_std: float,
    lf_hf: float,
    rng: np.random.Generator,
    sf_rr: float = 4.0,
    f_lf: float = 0.1,
    f_hf: float = 0.25,
    c_lf: float = 0.01,
    c_hf: float = 0.01,
) -> FloatArray:
    """RR tachogram (s) sampled at ``sf_rr`` Hz over ``n_beats_time`` seconds.

    The power spectrum is the sum of two Gaussians, at the Mayer-wave frequency ``f_lf`` (~0.1 Hz)
    and the respiratory sinus arrhythmia frequency ``f_hf`` (~0.25 Hz), with power ratio
    ``lf_hf``; random phases give a real series by inverse FFT (ECGSYN's ``rrprocess``), which is
    scaled to mean ``rr_mean`` and standard deviation ``rr_std``.

    Returns:
        RR intervals in seconds, shape ``(n,)`` with ``n`` a power of two covering the duration.
    """
    n = 1 << max(6, math.ceil(math.log2(max(n_beats_time * sf_rr, 2.0))))
    freqs = np.fft.rfftfreq(n, d=1.0 / sf_rr)
    spec = lf_hf * np.exp(-0.5 * ((freqs - f_lf) / c_lf) ** 2) / math.sqrt(2 * math.pi * c_lf**2)
    spec += np.exp(-0.5 * ((freqs - f_hf) / c_hf) ** 2) / math.sqrt(2 * math.pi * c_hf**2)
    amp = np.sqrt(spec)
    phases: FloatArray = np.asarray(rng.random(freqs.shape[0]), dtype=np.float64) * (2.0 * math.pi)
    phases[0] = 0.0
    phases[-1] = 0.0
    x = np.fft.irfft(amp * np.exp(1j * phases), n=n)
    x = x - x.mean()
    sd = float(x.std())
    if rr_std > 0.0 and sd > 0.0:
        x = x * (rr_std / sd)
    else:
        x = np.zeros_like(x)
    rr: FloatArray = rr_mean + x
    return rr


def beat_times(
    rr: FloatArray, *, sf_rr: float, t_start: float, t_stop: float
) -> tuple[FloatArray, FloatArray]:
    """R-peak times (s) from ``t_start`` until past ``t_stop``, with RR constant within a beat.

    As in ECGSYN, the interval that starts at beat ``k`` is the tachogram's value at that time,
    ``RR_k = rr(t_k)``; the tachogram's time origin is ``t_start``.

    Returns:
        ``(times, intervals)``: R times in seconds, shape ``(K,)``, and ``intervals[k] =
        times[k + 1] - times[k]``, shape ``(K - 1,)``.
    """
    values = rr.tolist()
    last = len(values) - 1
    t = t_start
    out = [t]
    while t <= t_stop:
        idx = min(int((t - t_start) * sf_rr), last)
        t += values[idx]
        out.append(t)
    times = np.asarray(out, dtype=np.float64)
    return times, np.diff(times)


def wave_geometry(
    heart_rate: float,
    angles_deg: tuple[float, ...] = BASE_ANGLES_DEG,
    widths_rad: tuple[float, ...] = BASE_WIDTHS_RAD,
) -> tuple[FloatArray, FloatArray]:
    """Event angles and widths (radians) at mean heart rate ``heart_rate`` (bpm).

    ``angles_deg`` and ``widths_rad`` are the P, Q, R, S, T values at 60 bpm.

    ECGSYN's heart-rate scaling: with ``h = sqrt(heart_rate / 60)``, every width is ``h * b_i``
    and the angles are scaled by ``(sqrt(h), h, 1, h, sqrt(h))`` so that the QT interval shortens
    less than the RR interval.
    """
    h = math.sqrt(heart_rate / 60.0)
    h2 = math.sqrt(h)
    scale = np.array([h2, h, 1.0, h, h2])
    angles = np.deg2rad(np.asarray(angles_deg, dtype=np.float64)) * scale
    widths = np.asarray(widths_rad, dtype=np.float64) * h
    return angles.astype(np.float64), widths.astype(np.float64)


def phase(t: FloatArray, times: FloatArray) -> FloatArray:
    """Angle ``theta(t)`` in ``[0, 2 pi)`` on the limit cycle; ``theta = 0`` at each R time.

    ``t`` must lie within ``[times[0], times[-1])``.
    """
    k = np.searchsorted(times, t, side="right") - 1
    start = times[k]
    length = times[k + 1] - start
    theta: FloatArray = (2.0 * math.pi) * (t - start) / length
    return theta


def gaussian_basis(theta: FloatArray, angles: FloatArray, widths: FloatArray) -> FloatArray:
    """Unit-peak Gaussian of each event, ``exp(-dtheta_i**2 / (2 b_i**2))``, shape ``(5, samples)``.

    ``dtheta_i`` is ``theta - theta_i`` wrapped to ``[-pi, pi)``; a wave of peak amplitude ``A``
    mV corresponds to ECGSYN's ``a_i = A / b_i**2``.
    """
    d = theta[None, :] - angles[:, None]
    d = np.remainder(d + math.pi, 2.0 * math.pi) - math.pi
    out: FloatArray = np.exp(-0.5 * (d / widths[:, None]) ** 2)
    return out


def peak_angle(amplitudes: FloatArray, angles: FloatArray, widths: FloatArray) -> float:
    """Angle (radians) of the extremum of ``|z|`` nearest the R event for given wave amplitudes.

    The neighbouring Q and S Gaussians shift the waveform's peak slightly off the R centre
    (about 0.2 ms for lead II); Newton's method on ``dz/dtheta = 0`` finds it.
    """
    x = 0.0
    for _ in range(20):
        d = x - angles
        g = amplitudes * np.exp(-0.5 * (d / widths) ** 2)
        d1 = float(np.sum(-g * d / widths**2))
        d2 = float(np.sum(g * (d**2 / widths**4 - 1.0 / widths**2)))
        if d2 == 0.0:
            break
        step = d1 / d2
        x -= step
        if abs(step) < 1e-12:
            break
    return x if abs(x) < float(widths[2]) else 0.0


def fiducial_angles(angles: FloatArray, widths: FloatArray, r_angle: float = 0.0) -> FloatArray:
    """The nine fiducial angles (radians) of a beat relative to its R peak.

    Order: P onset, P peak, P offset, QRS onset, R peak, QRS offset, T onset, T peak, T offset.
    Onsets and offsets lie :data:`EDGE_WIDTHS` widths from the centres (Q's onset starts the QRS,
    S's offset ends it); the R peak sits at ``r_angle`` (see :func:`peak_angle`). When two neighbouring waves' edges cross (P/QRS above ~155 bpm), both
    edges are set to the point that splits the gap between the centres in proportion to the widths.
    """
    k = EDGE_WIDTHS
    p, q, r, s, t = (float(a) for a in angles)
    bp, bq, _, bs, bt = (float(b) for b in widths)
    p_off, qrs_on = p + k * bp, q - k * bq
    if p_off > qrs_on:
        p_off = qrs_on = p + (q - p) * bp / (bp + bq)
    qrs_off, t_on = s + k * bs, t - k * bt
    if qrs_off > t_on:
        qrs_off = t_on = s + (t - s) * bs / (bs + bt)
    r += r_angle
    return np.array([p - k * bp, p, p_off, qrs_on, r, qrs_off, t_on, t, t + k * bt])


def angles_to_samples(fid: FloatArray, times: FloatArray, fs: float) -> tuple[IntArray, FloatArray]:
    """Map per-beat fiducial angles to sample indices for every beat ``k`` in ``1..K-2``.

    A negative angle lies in the interval before the R peak (its RR), a positive one in the
    interval after. Peaks round to the nearest sample, offsets to the last sample not after the
    true time and onsets to the first sample strictly after it, so an offset followed by an onset
    is always strictly ordered.

    Returns:
        ``(samples, r_times)``: int64 array of shape ``(K - 2, 9)`` and the R times in seconds.
    """
    r_t = times[1:-1]
    rr_prev = times[1:-1] - times[:-2]
    rr_next = times[2:] - times[1:-1]
    rr = np.where(fid[None, :] < 0.0, rr_prev[:, None], rr_next[:, None])
    t = r_t[:, None] + fid[None, :] / (2.0 * math.pi) * rr
    x = t * fs
    out = np.floor(x + 0.5)
    onsets = [0, 3, 6]
    offsets = [2, 5, 8]
    out[:, onsets] = np.floor(x[:, onsets]) + 1.0
    out[:, offsets] = np.floor(x[:, offsets])
    return out.astype(np.int64), r_t


def refine_peaks(
    peaks: IntArray,
    times: FloatArray,
    fs: float,
    amplitudes: FloatArray,
    angles: FloatArray,
    widths: FloatArray,
    *,
    radius: int = 2,
) -> IntArray:
    """Move each peak to the sample of largest ``|z|`` within ``radius`` samples.

    ``z`` is the noise-free waveform with wave ``amplitudes`` (mV); this makes a peak the exact
    sample maximum even where the RR interval changes at the R event (the two flanks of the R
    wave then have different durations) or the true peak falls half-way between two samples.
    """
    offsets = np.arange(-radius, radius + 1, dtype=np.int64)
    cand = peaks[:, None] + offsets[None, :]
    t = cand.astype(np.float64).ravel() / fs
    t = np.clip(t, times[0], np.nextafter(times[-1], -np.inf))
    z = amplitudes @ gaussian_basis(phase(t, times), angles, widths)
    best = np.argmax(np.abs(z).reshape(cand.shape), axis=1)
    out: IntArray = cand[np.arange(cand.shape[0]), best]
    return out
