"""Tests of ecg_signal.simulate (the ECGSYN model of McSharry et al. 2003)."""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import pytest
from scipy import integrate, signal

from ecg_signal import _ecgsyn
from ecg_signal.simulate import (
    LEAD_AMPLITUDES,
    STANDARD_LEADS,
    SimulatedECG,
    SimulationConfig,
    simulate_ecg,
    simulate_from_config,
)

FID = (
    "p_onset", "p_peak", "p_offset", "qrs_onset", "r_peak", "qrs_offset",
    "t_onset", "t_peak", "t_offset",
)  # fmt: skip


def _fid_matrix(sim: SimulatedECG) -> np.ndarray:
    return np.stack([getattr(sim, name) for name in FID], axis=1)


def _qrs_argmax(x: np.ndarray, sim: SimulatedECG) -> np.ndarray:
    return np.array(
        [
            on + int(np.argmax(np.abs(x[on : off + 1])))
            for on, off in zip(sim.qrs_onset, sim.qrs_offset, strict=True)
        ]
    )


# --------------------------------------------------------------------------- determinism


def test_same_seed_is_bit_identical() -> None:
    a = simulate_ecg(10.0, 360.0, n_leads=12, hrv_std=3.0, noise_std=0.05, seed=7)
    b = simulate_ecg(10.0, 360.0, n_leads=12, hrv_std=3.0, noise_std=0.05, seed=7)
    assert a.signal.tobytes() == b.signal.tobytes()
    for name in FID:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.rr, b.rr)


def test_different_seeds_differ() -> None:
    a = simulate_ecg(10.0, 250.0, seed=1)
    b = simulate_ecg(10.0, 250.0, seed=2)
    assert not np.array_equal(a.signal, b.signal)
    assert not np.array_equal(a.rr, b.rr)


def test_generator_seed_is_deterministic() -> None:
    a = simulate_ecg(5.0, 250.0, seed=np.random.default_rng(3))
    b = simulate_ecg(5.0, 250.0, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(a.signal, b.signal)


def test_noise_does_not_change_clean_signal_or_fiducials() -> None:
    clean = simulate_ecg(10.0, 500.0, n_leads=3, seed=11)
    noisy = simulate_ecg(10.0, 500.0, n_leads=3, noise_std=0.1, seed=11)
    np.testing.assert_array_equal(clean.r_peak, noisy.r_peak)
    np.testing.assert_array_equal(clean.t_offset, noisy.t_offset)
    assert not np.array_equal(clean.signal, noisy.signal)


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("n_leads", [1, 3, 12])
@pytest.mark.parametrize("fs", [250.0, 360.0, 500.0])
def test_shapes_and_dtypes(n_leads: int, fs: float) -> None:
    sim = simulate_ecg(8.0, fs, n_leads=n_leads, seed=0)
    assert sim.signal.shape == (n_leads, round(8.0 * fs))
    assert sim.signal.dtype == np.float32
    assert sim.fs == fs
    assert len(sim.leads) == n_leads
    expected = ("II",) if n_leads == 1 else STANDARD_LEADS[:n_leads]
    assert sim.leads == expected
    for name in FID:
        arr = getattr(sim, name)
        assert arr.dtype == np.int64
        assert arr.shape == (sim.n_beats,)
    assert sim.rr.shape == (sim.n_beats,)
    assert sim.n_beats >= 6  # 8 s at 60 bpm, first and last beat may be cut
    assert sim.fiducials()["r_peak"] is sim.r_peak
    assert np.all(sim.p_onset >= 0) and np.all(sim.t_offset < sim.signal.shape[1])


def test_explicit_leads_order() -> None:
    cfg = {"duration_s": 3.0, "fs": 250.0, "noise_std": 0.05, "baseline_amplitude": 0.1}
    sim = simulate_from_config({**cfg, "leads": ("V5", "aVF", "I")}, seed=0)
    full = simulate_from_config({**cfg, "leads": STANDARD_LEADS}, seed=0)
    assert sim.leads == ("V5", "aVF", "I")
    for name in sim.leads:
        np.testing.assert_array_equal(sim.lead(name), full.lead(name))


def test_leads_differ_and_have_plausible_morphology() -> None:
    sim = simulate_ecg(10.0, 500.0, n_leads=12, hrv_std=0.0, seed=4)
    r = sim.r_peak
    amp = {name: sim.lead(name)[r] for name in sim.leads}
    assert np.all(amp["aVR"] < -0.5)  # aVR is negative in a normal ECG
    assert np.all(amp["II"] > amp["I"])
    assert np.all(amp["V4"] > amp["V1"])  # R-wave progression
    v1 = sim.lead("V1")
    # V1 is rS: its minimum within the QRS is much deeper than its maximum
    for on, off in zip(sim.qrs_onset, sim.qrs_offset, strict=True):
        seg = v1[on : off + 1]
        assert -seg.min() > 2 * seg.max()
    rows = sim.signal.astype(np.float64)
    corr = np.asarray(np.corrcoef(rows))
    assert np.all(np.abs(corr[np.triu_indices(12, 1)]) < 0.9999)


# --------------------------------------------------------------------------- timing


@pytest.mark.parametrize("hr", [45.0, 60.0, 75.0, 120.0, 180.0])
def test_mean_heart_rate_within_2_bpm(hr: float) -> None:
    sim = simulate_ecg(60.0, 500.0, heart_rate=hr, hrv_std=hr / 20, seed=int(hr))
    measured = 60.0 * sim.fs / float(np.diff(sim.r_peak).mean())
    assert abs(measured - hr) < 2.0
    assert abs(sim.heart_rate - hr) < 2.0


def test_hrv_std_and_rr_consistency() -> None:
    sim = simulate_ecg(300.0, 250.0, heart_rate=70.0, hrv_std=4.0, seed=5)
    hr_inst = 60.0 / sim.rr
    assert 3.0 < float(hr_inst.std()) < 5.0
    # rr is the exact interval to the next R: matches the sampled R positions within 1 sample
    np.testing.assert_allclose(np.diff(sim.r_peak) / sim.fs, sim.rr[:-1], atol=1.0 / sim.fs)


def test_no_hrv_gives_constant_rr() -> None:
    sim = simulate_ecg(20.0, 500.0, heart_rate=60.0, hrv_std=0.0, seed=0)
    np.testing.assert_allclose(sim.rr, 1.0, rtol=0, atol=1e-9)
    assert set(np.diff(sim.r_peak).tolist()) <= {499, 500, 501}


def test_fiducial_offsets_match_hand_derived_values() -> None:
    # 60 bpm, RR = 1 s: the ECGSYN angles map to t = angle / 360 s (McSharry 2003, Table 1).
    fs = 1000.0
    sim = simulate_ecg(20.0, fs, heart_rate=60.0, hrv_std=0.0, seed=3)
    rel = _fid_matrix(sim) - sim.r_peak[:, None]
    bp, bq, bs, bt = (math.degrees(b) for b in (0.25, 0.1, 0.1, 0.4))
    expected_deg = np.array(
        [-70 - 2 * bp, -70, -70 + 2 * bp, -15 - 2 * bq, 0, 15 + 2 * bs, 100 - 2 * bt, 100,
         100 + 2 * bt]
    )  # fmt: skip
    expected = expected_deg / 360.0 * fs
    # rounding: peaks to nearest, onsets up, offsets down; the lead-II R peak sits ~0.2 ms early
    assert np.all(np.abs(rel - expected[None, :]) <= 2.0)


@pytest.mark.parametrize("fs", [100.0, 250.0, 500.0])
@pytest.mark.parametrize("hr", [30.0, 60.0, 100.0, 160.0, 200.0])
def test_fiducials_strictly_ordered(fs: float, hr: float) -> None:
    sim = simulate_ecg(30.0, fs, heart_rate=hr, hrv_std=hr / 10, seed=int(hr + fs))
    assert sim.n_beats >= int(30 * hr / 60) - 3
    assert np.all(np.diff(_fid_matrix(sim), axis=1) > 0)


@pytest.mark.parametrize("fs", [250.0, 360.0, 500.0, 1000.0])
@pytest.mark.parametrize("hr", [50.0, 80.0, 150.0])
def test_r_peak_is_lead_ii_maximum(fs: float, hr: float) -> None:
    sim = simulate_ecg(20.0, fs, n_leads=12, heart_rate=hr, hrv_std=hr / 10, seed=2)
    found = _qrs_argmax(sim.lead("II"), sim)
    assert np.max(np.abs(found - sim.r_peak)) <= 1
    np.testing.assert_array_equal(found, sim.r_peak)  # in fact sample-exact


def test_r_peak_with_amplitude_jitter_and_without_lead_ii() -> None:
    ref = simulate_ecg(20.0, 500.0, n_leads=12, amplitude_jitter=0.3, seed=9)
    only_v2 = simulate_ecg(20.0, 500.0, leads=["V2"], amplitude_jitter=0.3, seed=9)
    np.testing.assert_array_equal(ref.r_peak, only_v2.r_peak)
    np.testing.assert_array_equal(ref.lead("V2"), only_v2.lead("V2"))
    np.testing.assert_array_equal(_qrs_argmax(ref.lead("II"), ref), ref.r_peak)
    nominal = simulate_ecg(20.0, 500.0, n_leads=12, seed=9)
    assert not np.allclose(nominal.lead("V2"), ref.lead("V2"))


CUSTOM_ANGLES = (-60.0, -10.0, 0.0, 10.0, 95.0)
CUSTOM_WIDTHS = (0.2, 0.06, 0.08, 0.06, 0.35)


@pytest.mark.parametrize("hr", [60.0, 120.0])
def test_custom_wave_geometry_moves_fiducials(hr: float) -> None:
    default = simulate_ecg(20.0, 500.0, n_leads=12, heart_rate=hr, hrv_std=2.0, seed=6)
    custom = simulate_ecg(
        20.0, 500.0, n_leads=12, heart_rate=hr, hrv_std=2.0, seed=6,
        wave_angles_deg=CUSTOM_ANGLES, wave_widths_rad=CUSTOM_WIDTHS,
    )  # fmt: skip
    assert np.all(np.diff(_fid_matrix(custom), axis=1) > 0)
    np.testing.assert_array_equal(_qrs_argmax(custom.lead("II"), custom), custom.r_peak)
    qrs_default = np.median(default.qrs_offset - default.qrs_onset)
    qrs_custom = np.median(custom.qrs_offset - custom.qrs_onset)
    assert qrs_custom < 0.75 * qrs_default
    # hand-derived: at 60 bpm, QRS lasts (10 + 2 * deg(0.06)) * 2 / 360 s
    if hr == 60.0:
        expected = (10 + 2 * math.degrees(0.06)) * 2 / 360 * 500
        assert abs(qrs_custom - expected) <= 2


# --------------------------------------------------------------------------- leads


def test_einthoven_and_goldberger_relations_hold_exactly() -> None:
    sim = simulate_ecg(10.0, 500.0, n_leads=12, noise_std=0.05, baseline_amplitude=0.2, seed=1)
    i, ii, iii = sim.lead("I"), sim.lead("II"), sim.lead("III")
    two = np.float32(2.0)
    np.testing.assert_array_equal(iii, ii - i)
    np.testing.assert_array_equal(sim.lead("aVR"), -(i + ii) / two)
    np.testing.assert_array_equal(sim.lead("aVL"), i - ii / two)
    np.testing.assert_array_equal(sim.lead("aVF"), ii - i / two)
    # Goldberger's identity aVR + aVL + aVF = 0 (up to float32 rounding)
    total = sim.lead("aVR").astype(np.float64) + sim.lead("aVL") + sim.lead("aVF")
    np.testing.assert_allclose(total, 0.0, atol=1e-5)


def test_lead_amplitudes_give_peak_in_mv() -> None:
    sim = simulate_ecg(10.0, 1000.0, leads=["II"], hrv_std=0.0, seed=0)
    x = sim.lead("II")
    p_amp, _, r_amp, _, t_amp = LEAD_AMPLITUDES["II"]
    np.testing.assert_allclose(x[sim.r_peak], r_amp, atol=0.05)
    np.testing.assert_allclose(x[sim.t_peak], t_amp, atol=0.01)
    np.testing.assert_allclose(x[sim.p_peak], p_amp, atol=0.01)


# --------------------------------------------------------------------------- artefacts


def test_noise_scale() -> None:
    clean = simulate_ecg(30.0, 500.0, n_leads=12, seed=21)
    noisy = simulate_ecg(30.0, 500.0, n_leads=12, noise_std=0.1, seed=21)
    resid = noisy.signal.astype(np.float64) - clean.signal
    std = resid.std(axis=1)
    for name in ("I", "II", "V1", "V6"):
        assert abs(std[noisy.leads.index(name)] - 0.1) < 0.003
    # III = II - I carries sqrt(2) times the noise of the independent leads
    assert abs(std[noisy.leads.index("III")] - 0.1 * math.sqrt(2)) < 0.005
    assert abs(float(resid.mean())) < 0.005


def test_baseline_wander_and_powerline_amplitudes() -> None:
    fs = 500.0
    clean = simulate_ecg(40.0, fs, seed=8)
    art = simulate_ecg(
        40.0, fs, baseline_amplitude=0.3, baseline_freq=0.25, powerline_amplitude=0.05,
        powerline_freq=60.0, seed=8,
    )  # fmt: skip
    resid = art.lead("II").astype(np.float64) - clean.lead("II")
    n = resid.size
    spec = np.abs(np.fft.rfft(resid)) * 2.0 / n
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    np.testing.assert_allclose(spec[np.argmin(np.abs(freqs - 0.25))], 0.3, rtol=1e-3)
    np.testing.assert_allclose(spec[np.argmin(np.abs(freqs - 60.0))], 0.05, rtol=1e-3)
    other = (np.abs(freqs - 0.25) > 0.05) & (np.abs(freqs - 60.0) > 0.05)
    assert spec[other].max() < 1e-4


def test_rr_spectrum_is_bimodal_with_requested_lf_hf_ratio() -> None:
    rng = np.random.default_rng(0)
    sf = 4.0
    rr = _ecgsyn.rr_process(1024.0, rr_mean=0.8, rr_std=0.05, lf_hf=2.0, rng=rng, sf_rr=sf)
    assert abs(rr.mean() - 0.8) < 1e-12 and abs(rr.std() - 0.05) < 1e-12
    f, pxx = signal.periodogram(rr, fs=sf)
    lf = pxx[(f > 0.04) & (f < 0.15)].sum()
    hf = pxx[(f > 0.15) & (f < 0.4)].sum()
    assert abs(lf / hf - 2.0) < 1e-3
    # Welch (averaged, leaky) agrees within the spread of one realisation
    fw, pw = signal.welch(rr, fs=sf, nperseg=1024)
    ratio_w = pw[(fw > 0.04) & (fw < 0.15)].sum() / pw[(fw > 0.15) & (fw < 0.4)].sum()
    assert 1.4 < ratio_w < 2.6
    assert abs(f[np.argmax(pxx * (f < 0.15))] - 0.1) < 0.01
    assert abs(f[np.argmax(pxx * (f > 0.15))] - 0.25) < 0.01


def test_closed_form_matches_ecgsyn_ode_integration() -> None:
    """The closed form equals McSharry's 3-D ODE (without the baseline relaxation term).

    dx/dt = a x - w y, dy/dt = a y + w x, a = 1 - sqrt(x^2 + y^2),
    dz/dt = -sum_i a_i dtheta_i w exp(-dtheta_i^2 / (2 b_i^2)), integrated by scipy's RK45.
    """
    angles, widths = _ecgsyn.wave_geometry(72.0)
    amps = np.asarray(LEAD_AMPLITUDES["II"])
    a_i = amps / widths**2  # ECGSYN's a_i for peaks of amps mV
    times = np.cumsum(np.r_[0.0, 0.83, 0.78, 0.86, 0.8, 0.9])
    fs = 250.0

    def rhs(t: float, s: np.ndarray, w: float) -> list[float]:
        x, y, _ = s
        alpha = 1.0 - math.hypot(x, y)
        th = math.atan2(y, x)
        d = np.remainder(th - angles + math.pi, 2 * math.pi) - math.pi
        dz = -float(np.sum(a_i * d * w * np.exp(-0.5 * (d / widths) ** 2)))
        return [alpha * x - w * y, alpha * y + w * x, dz]

    t0 = times[0]
    state = np.array(
        [1.0, 0.0, float(amps @ _ecgsyn.gaussian_basis(np.zeros(1), angles, widths)[:, 0])]
    )
    ts, zs = [], []
    for k in range(len(times) - 2):
        w = 2 * math.pi / (times[k + 1] - times[k])
        grid = np.arange(math.ceil(times[k] * fs), math.ceil(times[k + 1] * fs)) / fs
        sol = integrate.solve_ivp(
            rhs, (times[k], times[k + 1]), state, args=(w,), rtol=1e-9, atol=1e-11,
            max_step=0.002, dense_output=True,
        )  # fmt: skip
        ts.append(grid)
        zs.append(sol.sol(grid)[2])
        state = sol.sol(times[k + 1])
        state[:2] = (1.0, 0.0)  # back on the limit cycle at theta = 0 (removes drift)
    t = np.concatenate(ts)
    z_ode = np.concatenate(zs)
    assert t0 == 0.0
    z_closed = amps @ _ecgsyn.gaussian_basis(_ecgsyn.phase(t, times), angles, widths)
    np.testing.assert_allclose(z_closed, z_ode, atol=1e-6)
    assert z_closed.max() > 0.8  # the comparison covers R waves


def test_simulation_speed_60s_500hz_12_leads() -> None:
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        simulate_ecg(60.0, 500.0, n_leads=12, hrv_std=2.0, noise_std=0.02, seed=0)
        best = min(best, time.perf_counter() - start)
    assert best < 0.5


# --------------------------------------------------------------------------- config


def test_config_round_trip_and_copy_edit() -> None:
    cfg = SimulationConfig.from_config({"duration_s": 5.0, "fs": 250, "leads": ["I", "V2"]})
    assert cfg.leads == ("I", "V2") and cfg.fs == 250.0
    edited = copy.deepcopy(cfg)
    edited.heart_rate = 90.0
    edited.validate()
    a = simulate_from_config(edited, seed=1)
    b = simulate_ecg(5.0, 250.0, leads=["I", "V2"], heart_rate=90.0, seed=1)
    np.testing.assert_array_equal(a.signal, b.signal)
    c = simulate_from_config(
        {"duration_s": 5.0, "fs": 250, "leads": ("I", "V2"), "heart_rate": 90.0}, seed=1
    )
    np.testing.assert_array_equal(a.signal, c.signal)


def test_config_rejects_unknown_key_naming_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"'heartrate'.*'heart_rate'.*allowed keys: duration_s"):
        SimulationConfig.from_config({"heartrate": 70.0})
    with pytest.raises(TypeError, match="mapping"):
        SimulationConfig.from_config([("fs", 500.0)])  # type: ignore[arg-type]


def test_result_is_frozen() -> None:
    sim = simulate_ecg(2.0, 250.0, seed=0)
    with pytest.raises(AttributeError):
        sim.fs = 100.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="'V3' is not simulated"):
        sim.lead("V3")


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"fs": 0.0}, ValueError, r"fs must be a finite sampling rate in \[1, 100000\] Hz, got 0"),
        ({"fs": -250.0}, ValueError, r"fs .* in \[1, 100000\] Hz, got -250"),
        ({"fs": float("nan")}, ValueError, r"fs .* got nan"),
        ({"fs": 40.0}, ValueError, r"fs must be at least 50 Hz .* got 40 Hz"),
        ({"fs": "500"}, TypeError, r"fs must be a real number in Hz"),
        ({"duration_s": 0.0}, ValueError, r"duration_s must be finite and > 0 s, got 0"),
        ({"duration_s": -1.0}, ValueError, r"duration_s .* got -1"),
        ({"duration_s": float("inf")}, ValueError, r"duration_s .* got inf"),
        ({"duration_s": 0.001}, ValueError, r"at least one sample"),
        ({"n_leads": 0}, ValueError, r"n_leads must be in 1..12, got 0"),
        ({"n_leads": 13}, ValueError, r"n_leads must be in 1..12, got 13"),
        ({"n_leads": 2.0}, TypeError, r"n_leads must be an integer"),
        ({"leads": ["II", "AVR"]}, ValueError, r"unknown lead 'AVR'.*did you mean aVR"),
        ({"leads": ["I", "I"]}, ValueError, r"must not repeat"),
        ({"leads": "II"}, TypeError, r"sequence of lead names"),
        ({"heart_rate": float("nan")}, ValueError, r"heart_rate must be finite \(bpm\)"),
        ({"heart_rate": 250.0}, ValueError, r"heart_rate must be in \[30, 200\] bpm, got 250"),
        ({"hrv_std": -1.0}, ValueError, r"hrv_std must be finite and >= 0 bpm, got -1"),
        ({"hrv_std": 20.0}, ValueError, r"hrv_std must be at most heart_rate / 8 = 7.5 bpm"),
        ({"lf_hf": 0.0}, ValueError, r"lf_hf must be finite and > 0"),
        ({"noise_std": float("nan")}, ValueError, r"noise_std must be finite and >= 0 mV"),
        ({"noise_std": -0.1}, ValueError, r"noise_std .* got -0.1"),
        ({"baseline_amplitude": -1.0}, ValueError, r"baseline_amplitude .* mV"),
        (
            {"fs": 100.0, "powerline_amplitude": 0.1, "powerline_freq": 50.0},
            ValueError,
            r"powerline_freq=50 Hz must be below fs/2 = 50 Hz",
        ),
        ({"amplitude_jitter": 0.9}, ValueError, r"amplitude_jitter .* \[0, 0.5\], got 0.9"),
        ({"wave_angles_deg": (-70, -15, 5, 15, 100)}, ValueError, r"R at 0 degrees"),
        ({"wave_angles_deg": (-70, 15, 0, -15, 100)}, ValueError, r"increase strictly"),
        ({"wave_angles_deg": (-70, -15, 0, 15)}, ValueError, r"must hold 5 numbers"),
        ({"wave_angles_deg": (-190, -15, 0, 15, 100)}, ValueError, r"\(-180, 180\) degrees"),
        ({"wave_widths_rad": (0.25, 0.0, 0.1, 0.1, 0.4)}, ValueError, r"each be in \(0, 1\] rad"),
        ({"wave_widths_rad": (0.25, float("nan"), 0.1, 0.1, 0.4)}, ValueError, r"finite \(rad\)"),
        ({"seed": -3}, TypeError, r"seed must be a non-negative int"),
        ({"seed": 1.5}, TypeError, r"seed must be"),
    ],
)
def test_bad_input(kwargs: dict[str, object], exc: type[Exception], pattern: str) -> None:
    args: dict[str, object] = {"duration_s": 5.0, "fs": 250.0}
    args.update(kwargs)
    duration = args.pop("duration_s")
    fs = args.pop("fs")
    with pytest.raises(exc, match=pattern):
        simulate_ecg(duration, fs, **args)  # type: ignore[arg-type]
