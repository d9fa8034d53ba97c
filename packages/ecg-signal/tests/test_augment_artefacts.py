"""RandomArtefacts: each kind of artefact on its own, lead selection and the manager entry."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ecg_signal.augment import AugmenterManager, RandomArtefacts

FS = 500.0
ONLY = {"spike_prob": 0.0, "motion_prob": 0.0, "muscle_prob": 0.0}


def test_one_spike_is_a_hann_burst_of_the_given_width_and_amplitude() -> None:
    aug = RandomArtefacts(
        FS, **{**ONLY, "spike_prob": 1.0}, spike_count=1, spike_width_s=(0.02, 0.02),
        spike_amplitude=(5.0, 5.0), seed=0,
    )  # fmt: skip
    x = torch.zeros(3, 1, 2000, dtype=torch.float64)
    out = aug(x)[0]
    hann = torch.hann_window(10, periodic=False, dtype=torch.float64)
    for k in range(3):
        nz = torch.nonzero(out[k, 0]).flatten()
        start = int(nz[0]) - 1  # the window's end points are 0
        np.testing.assert_allclose(out[k, 0, start : start + 10].abs(), 5.0 * hann, atol=1e-12)
        assert nz.numel() == 8


def test_motion_is_a_windowed_sinusoid_at_the_drawn_frequency() -> None:
    aug = RandomArtefacts(
        FS, **{**ONLY, "motion_prob": 1.0}, motion_count=1, motion_duration_s=(4.0, 4.0),
        motion_freq_hz=(5.0, 5.0), motion_amplitude=(2.0, 2.0), seed=1,
    )  # fmt: skip
    out = aug(torch.zeros(1, 1, 2000))[0][0, 0].numpy()
    spec = np.abs(np.fft.rfft(out))
    assert np.argmax(spec) * FS / 2000 == pytest.approx(5.0, abs=0.25)
    assert 1.5 < np.abs(out).max() <= 2.0


def test_muscle_noise_has_the_drawn_deviation() -> None:
    aug = RandomArtefacts(
        FS, **{**ONLY, "muscle_prob": 1.0}, muscle_count=1, muscle_duration_s=(4.0, 4.0),
        muscle_std=(0.3, 0.3), seed=2,
    )  # fmt: skip
    out = aug(torch.zeros(1, 1, 2000, dtype=torch.float64))[0][0, 0].numpy()
    hann = np.hanning(2000)
    assert np.std(out / np.where(hann > 0.5, hann, np.nan), where=hann > 0.5) == pytest.approx(
        0.3, rel=0.1
    )


def test_batch_and_lead_probabilities_and_pass_through() -> None:
    aug = RandomArtefacts(FS, **{**ONLY, "spike_prob": 1.0}, prob=(0.5, 0.5), seed=3)
    x = torch.zeros(4, 4, 1000)
    label, mask = torch.rand(4, 3), torch.rand(4, 1000, 1)
    out, lab, m = aug(x, label, mask)
    changed = out.abs().amax(-1) > 0
    assert changed.any(1).sum() == 2  # half the batch
    assert sorted(changed.sum(1).tolist()) == [0, 0, 2, 2]  # half the leads of those
    assert lab is label and m is mask


def test_config_checks_and_manager_entry() -> None:
    with pytest.raises(ValueError, match="fs"):
        RandomArtefacts(None)
    with pytest.raises(ValueError, match="spike_count"):
        RandomArtefacts(FS, spike_count=0)
    with pytest.raises(ValueError, match="below fs/2"):
        RandomArtefacts(100.0, motion_freq_hz=(1.0, 60.0))
    with pytest.raises(ValueError, match="low <= high"):
        RandomArtefacts(FS, muscle_std=(0.5, 0.1))
    am = AugmenterManager.from_config(
        {"fs": FS, "seed": 0, "random_artefacts": {"spike_prob": 1.0}}
    )
    out = am(torch.zeros(2, 1, 5000))[0]
    assert (out.abs().amax(-1) > 0).all()
