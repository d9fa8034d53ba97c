"""Coloured noise at a drawn SNR: spectra by kind, the SNR against hand-derived powers, the augmenter."""

from __future__ import annotations

import math

import pytest
import torch

from ecg_signal.augment import AugmenterManager, ColouredNoise
from ecg_signal.augment.coloured_noise import (
    NOISE_KINDS,
    add_noise_at_snr,
    coloured_noise,
    signal_power,
)

FS = 250.0


def _sine(batch: int, amplitude: float = 1.5, n: int = 2500) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / FS
    return (amplitude * torch.sin(2 * math.pi * 1.3 * t)).expand(batch, 1, n).clone()


def test_signal_power_is_that_of_a_sine_of_the_peak_to_peak_amplitude() -> None:
    # a sine of amplitude A: pp = 2 A (up to the 0.5 % quantiles), pp^2 / 8 = A^2 / 2
    got = signal_power(_sine(2, 1.5))
    assert got.shape == (2, 1, 1)
    assert got.flatten().tolist() == pytest.approx([1.125, 1.125], rel=2e-3)


@pytest.mark.parametrize("snr", [-6.0, 0.0, 12.0, 24.0])
def test_added_noise_has_the_drawn_snr(snr: float) -> None:
    x = _sine(8)
    y = add_noise_at_snr(x, FS, 1.0, snr, snr, torch.Generator().manual_seed(1))
    noise = y - x
    power = noise.var(dim=-1, correction=0)
    measured = 10 * torch.log10(signal_power(x)[..., 0] / power)
    assert measured.flatten().tolist() == pytest.approx([snr] * 8, abs=1e-6)
    # against the sine's power A^2 / 2 = 1.125 (the quantile estimate is within 0.1 %)
    assert float(power.mean()) == pytest.approx(1.125 / 10 ** (snr / 10), rel=1e-3)


def test_probability_zero_keeps_the_signal_and_one_noises_every_ecg() -> None:
    x = _sine(6).float()
    gen = torch.Generator().manual_seed(0)
    assert torch.equal(add_noise_at_snr(x, FS, 0.0, -6.0, 24.0, gen), x)
    y = add_noise_at_snr(x, FS, 1.0, -6.0, 24.0, gen)
    assert y.dtype == x.dtype and bool(((y - x).abs().amax(dim=-1) > 0).all())


@pytest.mark.parametrize(
    ("kind", "band"), [("motion", (0.5, 20.0)), ("muscle", (5.0, 125.0)), ("baseline", (0.05, 1.0))]
)
def test_each_kind_lives_in_its_band(kind: str, band: tuple[float, float]) -> None:
    n = 5000
    x = coloured_noise((4, n), FS, kind, torch.Generator().manual_seed(2))
    assert x.mean(dim=-1).abs().max() < 1e-9
    assert x.std(dim=-1, correction=0).tolist() == pytest.approx([1.0] * 4)
    spec = torch.fft.rfft(x, dim=-1).abs() ** 2
    freqs = torch.fft.rfftfreq(n, d=1 / FS)
    inside = (freqs >= band[0]) & (freqs <= band[1])
    assert float(spec[:, ~inside].sum() / spec.sum()) < 1e-12
    if kind == "motion":  # 1/f power: the 0.5-2 Hz band holds more than the 10-20 Hz band
        low = spec[:, (freqs >= 0.5) & (freqs < 2)].sum()
        high = spec[:, (freqs >= 10) & (freqs <= 20)].sum()
        assert float(low / high) > 1.5


def test_bursts_are_band_limited_and_come_in_bursts() -> None:
    n = 5000
    x = coloured_noise((8, n), FS, "bursts", torch.Generator().manual_seed(3))
    spec = torch.fft.rfft(x, dim=-1).abs() ** 2
    freqs = torch.fft.rfftfreq(n, d=1 / FS)
    # 1-25 Hz times an envelope below 0.5 Hz squared (below 1 Hz): nothing above 26 Hz
    assert float(spec[:, freqs > 26.0].sum() / spec.sum()) < 1e-12
    # amplitude-modulated: heavier tails than Gaussian noise (kurtosis 3)
    kurtosis = (x**4).mean(dim=-1) / (x**2).mean(dim=-1) ** 2
    assert float(kurtosis.mean()) > 4.0
    plain = coloured_noise((8, n), FS, "motion", torch.Generator().manual_seed(3))
    assert float(((plain**4).mean(dim=-1) / (plain**2).mean(dim=-1) ** 2).mean()) < 3.5


def test_only_the_chosen_kinds_are_mixed() -> None:
    x = torch.zeros(4, 1, 2500, dtype=torch.float64)
    x[..., ::50] = 1.0  # a comb (2 % of the samples at 1): pp = 1
    y = add_noise_at_snr(x, FS, 1.0, 0.0, 0.0, torch.Generator().manual_seed(4), ("baseline",))
    spec = torch.fft.rfft(y - x, dim=-1).abs() ** 2
    freqs = torch.fft.rfftfreq(2500, d=1 / FS)
    assert float(spec[..., freqs > 1.0].sum() / spec.sum()) < 1e-12
    with pytest.raises(ValueError, match="kinds must be a non-empty subset"):
        add_noise_at_snr(x, FS, 1.0, 0.0, 0.0, None, ("hum",))


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="noise kind must be one of"):
        coloured_noise((1, 100), FS, "hum")
    with pytest.raises(ValueError, match="at least 8 samples"):
        coloured_noise((1, 4), FS, NOISE_KINDS[0])
    with pytest.raises(ValueError, match=r"shape \(batch, leads, samples\)"):
        add_noise_at_snr(torch.zeros(10), FS, 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="must not exceed"):
        add_noise_at_snr(_sine(1), FS, 1.0, 6.0, 0.0)
    with pytest.raises(ValueError, match="sampling rate"):
        coloured_noise((1, 100), 0.0, "motion")


def test_the_augmenter_is_add_noise_at_snr_with_its_generator() -> None:
    x = _sine(5).float()
    aug = ColouredNoise(fs=FS, prob=0.6, snr_db=(0.0, 12.0), kinds=("motion", "bursts"), seed=7)
    got, label = aug(x, torch.ones(5, 1))
    want = add_noise_at_snr(
        x, FS, 0.6, 0.0, 12.0, torch.Generator().manual_seed(7), ("motion", "bursts")
    )
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    assert torch.equal(label, torch.ones(5, 1)) and got.dtype == x.dtype
    again, _ = ColouredNoise(
        fs=FS, prob=0.6, snr_db=(0.0, 12.0), kinds=("motion", "bursts"), seed=7
    )(x, None)
    assert torch.equal(again, got)  # the seed fixes the draws


def test_the_augmenter_is_the_identity_in_eval_mode_and_at_probability_zero() -> None:
    x = _sine(3).float()
    assert torch.equal(ColouredNoise(fs=FS, seed=0).eval()(x, None)[0], x)
    assert torch.equal(ColouredNoise(fs=FS, prob=0.0, seed=0)(x, None)[0], x)


def test_the_manager_builds_it_by_name() -> None:
    mgr = AugmenterManager.from_config({"fs": FS, "coloured_noise": {"prob": 1.0, "seed": 3}})
    x = _sine(2).float()
    y, _ = mgr(x, None)
    assert not torch.equal(y, x)
    want = add_noise_at_snr(x, FS, 1.0, -6.0, 24.0, torch.Generator().manual_seed(3))
    torch.testing.assert_close(y, want, rtol=0, atol=0)


def test_bad_augmenter_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="fs .* is required"):
        ColouredNoise()
    with pytest.raises(ValueError, match="snr_db"):
        ColouredNoise(fs=FS, snr_db=(12.0, 0.0))
    with pytest.raises(ValueError, match="dB"):
        ColouredNoise(fs=FS, snr_db=(-40.0, 0.0))
    with pytest.raises(ValueError, match="kinds must be a non-empty subset"):
        ColouredNoise(fs=FS, kinds="motion")
    with pytest.raises(ValueError, match="kinds must be a non-empty subset"):
        ColouredNoise(fs=FS, kinds=())
    with pytest.raises(ValueError, match="prob"):
        ColouredNoise(fs=FS, prob=1.5)
