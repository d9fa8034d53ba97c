"""consensus_rpeaks: multi-lead agreement, checked on simulated ECGs with known R peaks."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_signal import simulate_ecg
from ecg_signal.rpeaks import compare, consensus_rpeaks, detect_rpeaks

FS = 500.0


@pytest.fixture(scope="module")
def ecg12():  # type: ignore[no-untyped-def]
    return simulate_ecg(10.0, FS, n_leads=12, heart_rate=72.0, noise_std=0.02, seed=3)


def test_clean_leads_all_agree_with_the_true_peaks(ecg12) -> None:  # type: ignore[no-untyped-def]
    res = consensus_rpeaks(ecg12.signal, FS)
    assert res.agreeing.all() and res.n_unconfirmed == 0
    cmp = compare(np.asarray(ecg12.r_peak), res.beats, FS, 0.05)
    assert cmp.fn == 0 and cmp.tp == len(ecg12.r_peak)
    for lead, peaks in enumerate(res.per_lead):  # each lead's detections are its own detector's
        np.testing.assert_array_equal(peaks, detect_rpeaks(ecg12.signal[lead], FS))
        assert len(peaks) == len(res.beats)


def test_a_noise_lead_and_a_flat_lead_disagree_but_the_beats_stand(ecg12) -> None:  # type: ignore[no-untyped-def]
    sig = ecg12.signal.copy()
    rng = np.random.default_rng(0)
    sig[2] = rng.normal(0.0, 0.5, sig.shape[-1])  # pure noise
    sig[7] = 0.0  # flat (a detached electrode)
    res = consensus_rpeaks(sig, FS)
    assert not res.agreeing[2] and not res.agreeing[7]
    assert res.agreeing[[i for i in range(12) if i not in (2, 7)]].all()
    assert len(res.per_lead[7]) == 0
    cmp = compare(np.asarray(ecg12.r_peak), res.beats, FS, 0.05)
    assert cmp.fn == 0 and cmp.fp <= 1  # a possible extra beat past the last annotated one


def test_min_fraction_decides_what_counts_as_a_beat() -> None:
    ecg = simulate_ecg(10.0, FS, n_leads=2, heart_rate=60.0, noise_std=0.0, seed=1)
    sig = ecg.signal.copy()
    sig[1] = 0.0
    half = consensus_rpeaks(sig, FS, min_fraction=0.5)  # one lead of two is enough
    np.testing.assert_array_equal(half.beats, detect_rpeaks(sig[0], FS))
    both = consensus_rpeaks(sig, FS, min_fraction=1.0)
    assert both.beats.size == 0 and not both.agreeing.any()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sig": np.zeros(100)}, r"\(leads, samples\) with at least 2 leads, got shape \(100,\)"),
        ({"sig": np.zeros((1, 1000))}, r"at least 2 leads, got shape \(1, 1000\)"),
        ({"tolerance_s": 0.0}, r"tolerance_s must be finite and > 0 s, got 0.0"),
        ({"min_fraction": 0.0}, r"min_fraction must be in \(0, 1\], got 0.0"),
        ({"min_fraction": 1.5}, r"min_fraction must be a probability in \[0, 1\], got 1.5"),
    ],
)
def test_bad_input_is_refused(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"sig": np.ones((2, 1000)), "fs": FS, **kwargs}
    with pytest.raises(ValueError, match=match):
        consensus_rpeaks(**args)  # type: ignore[arg-type]
