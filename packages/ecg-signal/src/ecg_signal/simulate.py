"""Synthetic multi-lead ECG with true fiducial points (the ECGSYN dynamical model).

Implements the dynamical model of McSharry et al. (2003), "A dynamical model for generating
synthetic electrocardiogram signals", IEEE Trans. Biomed. Eng. 50(3):289-294:

* an RR tachogram with a bimodal power spectrum (Mayer waves at ~0.1 Hz, respiratory sinus
  arrhythmia at ~0.25 Hz, power ratio ``lf_hf``), scaled to the requested mean heart rate and
  heart-rate standard deviation;
* a limit cycle whose angle advances by ``2 pi`` per RR interval, with five Gaussian events
  P, Q, R, S, T at ``(-70, -15, 0, 15, 100)`` degrees, widths ``(0.25, 0.1, 0.1, 0.1, 0.4)`` rad,
  widths scaled by ``sqrt(heart_rate / 60)`` and angles as in ECGSYN.

Several leads come from lead-specific event amplitudes for the eight independent leads
(I, II, V1..V6); the other limb leads follow Einthoven's and Goldberger's relations exactly
(``III = II - I``, ``aVR = -(I + II) / 2``, ``aVL = I - II / 2``, ``aVF = II - I / 2``, computed in
float32 after noise, so the relations hold bit for bit in the output).

Example:
    >>> sim = simulate_ecg(10.0, 500.0, n_leads=12, heart_rate=75.0, seed=0)
    >>> sim.signal.shape
    (12, 5000)
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from ecg_signal import _ecgsyn
from ecg_signal._validation import check_fs, check_positive
from ecg_signal.config import check_keys, config_fields

__all__ = [
    "STANDARD_LEADS",
    "LEAD_AMPLITUDES",
    "FIDUCIALS",
    "SimulationConfig",
    "SimulatedECG",
    "simulate_ecg",
    "simulate_from_config",
]

#: The twelve standard leads, in their usual order.
STANDARD_LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)  # fmt: skip

#: Peak amplitude (mV) of the P, Q, R, S, T events in each independent lead. Lead II is close to
#: ECGSYN's proportions (a_i * b_i**2 scaled to R = 1 mV: 0.25, -0.17, 1, -0.25, 0.4) with a
#: smaller P and Q; the others follow typical adult 12-lead morphology (R-wave progression in
#: V1..V6, rS in V1, qR in V5/V6, negative complexes in aVR).
LEAD_AMPLITUDES: Mapping[str, tuple[float, float, float, float, float]] = MappingProxyType(
    {
        "I": (0.10, -0.05, 0.60, -0.10, 0.20),
        "II": (0.15, -0.10, 1.00, -0.25, 0.35),
        "V1": (0.08, 0.00, 0.25, -0.90, -0.10),
        "V2": (0.10, 0.00, 0.45, -1.20, 0.40),
        "V3": (0.10, -0.02, 0.80, -0.80, 0.45),
        "V4": (0.10, -0.05, 1.30, -0.45, 0.45),
        "V5": (0.10, -0.08, 1.20, -0.25, 0.35),
        "V6": (0.08, -0.08, 0.90, -0.12, 0.25),
    }
)

_DERIVED: Mapping[str, tuple[str, ...]] = {
    "III": ("I", "II"),
    "aVR": ("I", "II"),
    "aVL": ("I", "II"),
    "aVF": ("I", "II"),
}
_MIN_FS = 50.0
_CHUNK = 1 << 18
_HR_RANGE = (30.0, 200.0)
#: Names of the fiducial arrays of :class:`SimulatedECG`, in temporal order within a beat.
FIDUCIALS: tuple[str, ...] = (
    "p_onset", "p_peak", "p_offset", "qrs_onset", "r_peak", "qrs_offset",
    "t_onset", "t_peak", "t_offset",
)  # fmt: skip

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _real(value: Any, name: str, units: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in {units}, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite ({units}), got {value!r}")
    return v


def _check_leads(leads: Any) -> tuple[str, ...]:
    if isinstance(leads, str) or not isinstance(leads, Sequence):
        raise TypeError(f"leads must be a sequence of lead names, got {leads!r}")
    out = tuple(leads)
    if not 1 <= len(out) <= 12:
        raise ValueError(f"leads must hold 1 to 12 lead names, got {len(out)}")
    for name in out:
        if name not in STANDARD_LEADS:
            close = difflib.get_close_matches(str(name), STANDARD_LEADS, n=3, cutoff=0.3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(
                f"unknown lead {name!r}{hint} Allowed leads: {', '.join(STANDARD_LEADS)}"
            )
    if len(set(out)) != len(out):
        raise ValueError(f"leads must not repeat a lead, got {out}")
    return out


def _check_five(values: Any, name: str, units: str) -> tuple[float, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence) or len(values) != 5:
        raise ValueError(f"{name} must hold 5 numbers (P, Q, R, S, T) in {units}, got {values!r}")
    return tuple(_real(v, name, units) for v in values)


def _leads_for(n_leads: Any) -> tuple[str, ...]:
    if isinstance(n_leads, bool) or not isinstance(n_leads, numbers.Integral):
        raise TypeError(f"n_leads must be an integer in 1..12, got {n_leads!r}")
    n = int(n_leads)
    if not 1 <= n <= 12:
        raise ValueError(f"n_leads must be in 1..12, got {n}")
    return ("II",) if n == 1 else STANDARD_LEADS[:n]


@dataclass(slots=True)
class SimulationConfig:
    """Parameters of :func:`simulate_from_config` (see :func:`simulate_ecg` for their meaning).

    Validated on creation; ``SimulationConfig.from_config(dict)`` rejects unknown keys. Copy and
    edit with ``c = copy.deepcopy(cfg); c.heart_rate = 80.0`` then ``c.validate()``.
    """

    duration_s: float = 10.0
    fs: float = 500.0
    leads: tuple[str, ...] = ("II",)
    heart_rate: float = 60.0
    hrv_std: float = 1.0
    lf_hf: float = 0.5
    noise_std: float = 0.0
    baseline_amplitude: float = 0.0
    baseline_freq: float = 0.25
    powerline_amplitude: float = 0.0
    powerline_freq: float = 50.0
    amplitude_jitter: float = 0.0
    wave_angles_deg: tuple[float, ...] = _ecgsyn.BASE_ANGLES_DEG
    wave_widths_rad: tuple[float, ...] = _ecgsyn.BASE_WIDTHS_RAD

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; raise ``ValueError``/``TypeError`` naming the field and value."""
        self.fs = check_fs(self.fs)
        if self.fs < _MIN_FS:
            raise ValueError(
                f"fs must be at least {_MIN_FS:g} Hz to resolve the QRS complex, got {self.fs:g} Hz"
            )
        self.duration_s = check_positive(self.duration_s, "duration_s", units="s")
        if self.duration_s * self.fs < 1.0:
            raise ValueError(
                f"duration_s * fs must give at least one sample, got {self.duration_s:g} s "
                f"at {self.fs:g} Hz"
            )
        self.leads = _check_leads(self.leads)
        self.heart_rate = _real(self.heart_rate, "heart_rate", "bpm")
        lo, hi = _HR_RANGE
        if not lo <= self.heart_rate <= hi:
            raise ValueError(
                f"heart_rate must be in [{lo:g}, {hi:g}] bpm, got {self.heart_rate:g} bpm"
            )
        self.hrv_std = check_positive(self.hrv_std, "hrv_std", units="bpm", allow_zero=True)
        if self.hrv_std > self.heart_rate / 8.0:
            raise ValueError(
                f"hrv_std must be at most heart_rate / 8 = {self.heart_rate / 8.0:g} bpm "
                f"(RR intervals stay positive), got {self.hrv_std:g} bpm"
            )
        self.lf_hf = check_positive(self.lf_hf, "lf_hf")
        self.noise_std = check_positive(self.noise_std, "noise_std", units="mV", allow_zero=True)
        self.baseline_amplitude = check_positive(
            self.baseline_amplitude, "baseline_amplitude", units="mV", allow_zero=True
        )
        self.baseline_freq = check_positive(self.baseline_freq, "baseline_freq", units="Hz")
        self.powerline_amplitude = check_positive(
            self.powerline_amplitude, "powerline_amplitude", units="mV", allow_zero=True
        )
        self.powerline_freq = check_positive(self.powerline_freq, "powerline_freq", units="Hz")
        nyq = self.fs / 2.0
        if self.baseline_amplitude > 0 and self.baseline_freq >= nyq:
            raise ValueError(
                f"baseline_freq={self.baseline_freq:g} Hz must be below fs/2 = {nyq:g} Hz"
            )
        if self.powerline_amplitude > 0 and self.powerline_freq >= nyq:
            raise ValueError(
                f"powerline_freq={self.powerline_freq:g} Hz must be below fs/2 = {nyq:g} Hz"
            )
        self.amplitude_jitter = check_positive(
            self.amplitude_jitter, "amplitude_jitter", allow_zero=True
        )
        if self.amplitude_jitter > 0.5:
            raise ValueError(
                f"amplitude_jitter (relative std of the wave amplitudes) must be in [0, 0.5], "
                f"got {self.amplitude_jitter:g}"
            )

        self.wave_angles_deg = _check_five(self.wave_angles_deg, "wave_angles_deg", "degrees")
        a = self.wave_angles_deg
        if a[2] != 0.0 or not all(x < y for x, y in zip(a, a[1:], strict=False)):
            raise ValueError(
                "wave_angles_deg (P, Q, R, S, T) must increase strictly with R at 0 degrees, "
                f"got {a}"
            )
        if a[0] <= -180.0 or a[4] >= 180.0:
            raise ValueError(f"wave_angles_deg must lie in (-180, 180) degrees, got {a}")
        self.wave_widths_rad = _check_five(self.wave_widths_rad, "wave_widths_rad", "rad")
        if not all(0.0 < b <= 1.0 for b in self.wave_widths_rad):
            raise ValueError(
                f"wave_widths_rad must each be in (0, 1] rad, got {self.wave_widths_rad}"
            )

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | SimulationConfig) -> SimulationConfig:
        """Build from a mapping (unknown keys rejected, naming the allowed ones) or a copy."""
        if isinstance(config, SimulationConfig):
            return dataclasses.replace(config)
        if not isinstance(config, Mapping):
            raise TypeError(
                f"config must be a mapping or SimulationConfig, got {type(config).__name__}"
            )
        check_keys(config, config_fields(cls), "SimulationConfig key")
        kwargs = dict(config)
        for key in ("leads", "wave_angles_deg", "wave_widths_rad"):
            if key in kwargs and isinstance(kwargs[key], list):
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class SimulatedECG:
    """A simulated recording and its true fiducial points.

    Attributes:
        signal: float32 array of shape ``(leads, samples)`` in mV.
        fs: sampling rate in Hz.
        leads: lead names, one per row of ``signal``.
        p_onset, p_peak, p_offset, qrs_onset, r_peak, qrs_offset, t_onset, t_peak, t_offset:
            int64 sample indices, shape ``(beats,)``, one entry per beat fully inside the
            recording (P onset to T offset). Peaks are the nearest sample to the event centre,
            offsets the last sample before the true time and onsets the first sample after it;
            edges lie ``2 b_i`` from the centres (13.5 % of the event's peak).
        rr: float64 array of shape ``(beats,)``, the true interval in seconds from each beat's
            R peak to the next R peak.
    """

    signal: npt.NDArray[np.float32]
    fs: float
    leads: tuple[str, ...]
    p_onset: IntArray
    p_peak: IntArray
    p_offset: IntArray
    qrs_onset: IntArray
    r_peak: IntArray
    qrs_offset: IntArray
    t_onset: IntArray
    t_peak: IntArray
    t_offset: IntArray
    rr: FloatArray = field(repr=False)

    @property
    def n_beats(self) -> int:
        """Number of complete beats (entries of each fiducial array)."""
        return int(self.r_peak.shape[0])

    @property
    def heart_rate(self) -> float:
        """Mean heart rate in bpm over the complete beats, ``60 / mean(rr)``."""
        if self.rr.size == 0:
            return float("nan")
        return 60.0 / float(self.rr.mean())

    def fiducials(self) -> dict[str, IntArray]:
        """The nine fiducial arrays by name, in temporal order within a beat."""
        return {name: getattr(self, name) for name in FIDUCIALS}

    def lead(self, name: str) -> npt.NDArray[np.float32]:
        """The row of ``signal`` for lead ``name`` (shape ``(samples,)``)."""
        if name not in self.leads:
            raise ValueError(f"lead {name!r} is not simulated; leads are {', '.join(self.leads)}")
        row: npt.NDArray[np.float32] = self.signal[self.leads.index(name)]
        return row


def _seed_sequence(seed: int | np.random.Generator | None) -> np.random.SeedSequence:
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(0, 2**63 - 1)))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise TypeError(f"seed must be a non-negative int, a numpy Generator or None, got {seed!r}")
    return np.random.SeedSequence(int(seed))


def _electrode_leads(leads: tuple[str, ...]) -> list[str]:
    need: set[str] = set()
    for name in leads:
        need.update(_DERIVED.get(name, (name,)))
    return [name for name in LEAD_AMPLITUDES if name in need]


def simulate_from_config(
    config: SimulationConfig | Mapping[str, Any],
    *,
    seed: int | np.random.Generator | None = None,
) -> SimulatedECG:
    """Simulate an ECG from a :class:`SimulationConfig` (or a plain mapping of its fields).

    The random streams of the RR series, the beat phase, the amplitudes, the noise and the
    baseline are independent children of ``seed``: the same seed gives bit-identical output, and
    changing only ``noise_std`` leaves the clean signal and the fiducials unchanged.
    """
    cfg = SimulationConfig.from_config(config)
    cfg.validate()
    rng_rr, rng_phase, rng_amp, rng_noise, rng_base = (
        np.random.default_rng(s) for s in _seed_sequence(seed).spawn(5)
    )
    fs = cfg.fs
    n = round(cfg.duration_s * fs)
    rr_mean = 60.0 / cfg.heart_rate
    rr_std = 60.0 * cfg.hrv_std / cfg.heart_rate**2
    sf_rr = 4.0

    # Beats from well before 0 (random phase) to well after the end.
    t_start = -(2.0 + float(rng_phase.uniform())) * rr_mean
    t_stop = n / fs + 2.0 * rr_mean
    rr_series = _ecgsyn.rr_process(
        t_stop - t_start + 4.0 * rr_mean, rr_mean=rr_mean, rr_std=rr_std, lf_hf=cfg.lf_hf,
        rng=rng_rr, sf_rr=sf_rr,
    )  # fmt: skip
    times, _ = _ecgsyn.beat_times(rr_series, sf_rr=sf_rr, t_start=t_start, t_stop=t_stop)

    angles, widths = _ecgsyn.wave_geometry(cfg.heart_rate, cfg.wave_angles_deg, cfg.wave_widths_rad)
    t = np.arange(n, dtype=np.float64) / fs

    all_amps = np.array(list(LEAD_AMPLITUDES.values()), dtype=np.float64)
    if cfg.amplitude_jitter > 0:
        factor = 1.0 + cfg.amplitude_jitter * rng_amp.standard_normal(all_amps.shape)
        all_amps = all_amps * np.clip(factor, 0.25, 1.75)
    names = list(LEAD_AMPLITUDES)
    electrodes = _electrode_leads(cfg.leads)
    amps = all_amps[[names.index(name) for name in electrodes]]
    sig = np.empty((len(electrodes), n), dtype=np.float64)
    for lo in range(0, n, _CHUNK):  # bounded memory for long recordings
        part = t[lo : lo + _CHUNK]
        sig[:, lo : lo + _CHUNK] = amps @ _ecgsyn.gaussian_basis(
            _ecgsyn.phase(part, times), angles, widths
        )
    # Draw artefacts for all eight independent leads, so a subset of leads equals the same rows
    # of the full 12-lead recording for the same seed.
    rows = [names.index(name) for name in electrodes]
    ph_base = rng_base.uniform(0.0, 2.0 * math.pi, size=(len(names), 1))[rows]
    ph_line = rng_base.uniform(0.0, 2.0 * math.pi, size=(len(names), 1))[rows]
    if cfg.baseline_amplitude > 0:
        sig += cfg.baseline_amplitude * np.sin(2.0 * math.pi * cfg.baseline_freq * t + ph_base)
    if cfg.powerline_amplitude > 0:
        sig += cfg.powerline_amplitude * np.sin(2.0 * math.pi * cfg.powerline_freq * t + ph_line)
    if cfg.noise_std > 0:
        noise = rng_noise.standard_normal((len(names), n))
        sig += cfg.noise_std * noise[rows]
    el32 = {name: sig[i].astype(np.float32) for i, name in enumerate(electrodes)}

    out = np.empty((len(cfg.leads), n), dtype=np.float32)
    two = np.float32(2.0)
    for row, name in enumerate(cfg.leads):
        if name in el32:
            out[row] = el32[name]
        elif name == "III":
            out[row] = el32["II"] - el32["I"]
        elif name == "aVR":
            out[row] = -(el32["I"] + el32["II"]) / two
        elif name == "aVL":
            out[row] = el32["I"] - el32["II"] / two
        else:  # aVF
            out[row] = el32["II"] - el32["I"] / two

    r_angle = _ecgsyn.peak_angle(all_amps[names.index("II")], angles, widths)
    fid = _ecgsyn.fiducial_angles(angles, widths, r_angle)
    samples, _ = _ecgsyn.angles_to_samples(fid, times, fs)
    samples[:, 4] = _ecgsyn.refine_peaks(
        samples[:, 4], times, fs, all_amps[names.index("II")], angles, widths
    )
    rr_next = times[2:] - times[1:-1]
    keep = (samples[:, 0] >= 0) & (samples[:, -1] <= n - 1)
    samples = samples[keep]
    cols = {name: np.ascontiguousarray(samples[:, j]) for j, name in enumerate(FIDUCIALS)}
    return SimulatedECG(
        signal=out,
        fs=fs,
        leads=cfg.leads,
        rr=rr_next[keep].astype(np.float64),
        **cols,
    )


def simulate_ecg(
    duration_s: float,
    fs: float,
    *,
    n_leads: int = 1,
    leads: Sequence[str] | None = None,
    heart_rate: float = 60.0,
    hrv_std: float = 1.0,
    lf_hf: float = 0.5,
    noise_std: float = 0.0,
    baseline_amplitude: float = 0.0,
    baseline_freq: float = 0.25,
    powerline_amplitude: float = 0.0,
    powerline_freq: float = 50.0,
    amplitude_jitter: float = 0.0,
    wave_angles_deg: Sequence[float] = _ecgsyn.BASE_ANGLES_DEG,
    wave_widths_rad: Sequence[float] = _ecgsyn.BASE_WIDTHS_RAD,
    seed: int | np.random.Generator | None = None,
) -> SimulatedECG:
    """Simulate a synthetic ECG with the ECGSYN model (McSharry et al. 2003) and its fiducials.

    Args:
        duration_s: length in seconds (``> 0``).
        fs: sampling rate in Hz (``>= 50``).
        n_leads: number of leads, 1..12: 1 gives lead II, ``k > 1`` the first ``k`` of
            :data:`STANDARD_LEADS`. Ignored when ``leads`` is given.
        leads: explicit lead names from :data:`STANDARD_LEADS`, in the wanted row order.
        heart_rate: mean heart rate in bpm, in [30, 200].
        hrv_std: standard deviation of the heart rate in bpm (``0 <= hrv_std <= heart_rate / 8``).
        lf_hf: LF/HF power ratio of the RR spectrum (Mayer waves at 0.1 Hz vs RSA at 0.25 Hz).
        noise_std: standard deviation of white Gaussian noise in mV, added to each independent
            lead (I, II, V1..V6); derived limb leads carry the matching combination.
        baseline_amplitude: amplitude in mV of a sinusoidal baseline wander (0 disables it).
        baseline_freq: baseline wander frequency in Hz (respiration, default 0.25 Hz).
        powerline_amplitude: amplitude in mV of powerline interference (0 disables it).
        powerline_freq: powerline frequency in Hz (50 or 60), below ``fs / 2``.
        amplitude_jitter: relative standard deviation of a per-recording random gain on each
            lead's wave amplitudes (0 gives the nominal :data:`LEAD_AMPLITUDES`).
        wave_angles_deg: angles of P, Q, R, S, T at 60 bpm in degrees (R at 0); the default
            ``(-70, -15, 0, 15, 100)`` is McSharry et al.'s Table 1.
        wave_widths_rad: Gaussian widths ``b_i`` of P, Q, R, S, T at 60 bpm in radians; default
            ``(0.25, 0.1, 0.1, 0.1, 0.4)`` (Table 1). With the defaults, at 60 bpm the P wave lasts
            156 ms, PR 200 ms, QRS 146 ms and QT 476 ms (LUDB lead II medians: 118, 166, 94 and
            406 ms); e.g. ``(-60, -10, 0, 10, 95)`` deg and ``(0.2, 0.06, 0.08, 0.06, 0.35)`` rad
            come closer to those.
        seed: int, numpy Generator or None (fresh entropy); the same int gives identical output.

    Returns:
        A :class:`SimulatedECG` with ``signal`` of shape ``(leads, samples)`` in mV (float32),
        ``samples = round(duration_s * fs)``, and the true fiducials of every complete beat.

    Raises:
        ValueError: a parameter outside its range (the message names it, its value and units).
        TypeError: a parameter of the wrong type.
    """
    chosen = _leads_for(n_leads) if leads is None else _check_leads(leads)
    cfg = SimulationConfig(
        duration_s=duration_s,
        fs=fs,
        leads=chosen,
        heart_rate=heart_rate,
        hrv_std=hrv_std,
        lf_hf=lf_hf,
        noise_std=noise_std,
        baseline_amplitude=baseline_amplitude,
        baseline_freq=baseline_freq,
        powerline_amplitude=powerline_amplitude,
        powerline_freq=powerline_freq,
        amplitude_jitter=amplitude_jitter,
        wave_angles_deg=tuple(wave_angles_deg),
        wave_widths_rad=tuple(wave_widths_rad),
    )
    return simulate_from_config(cfg, seed=seed)
