"""ecg-data's preprocessing config takes its band-pass defaults from ecg-signal (one place)."""

from __future__ import annotations

import numpy as np

from ecg_data.datasets.base import PreprocCfg, apply_preproc
from ecg_signal import BandpassConfig, bandpass, normalize


def test_preproc_defaults_are_ecg_signal_band_pass_defaults() -> None:
    cfg, ref = PreprocCfg(), BandpassConfig()
    assert cfg.bandpass == (ref.lowcut, ref.highcut)
    assert cfg.order == ref.order


def test_default_preprocessing_is_ecg_signal_default_band_pass() -> None:
    x = np.random.default_rng(0).standard_normal((2, 5000)).astype(np.float32)
    got = apply_preproc(x, 500.0, PreprocCfg())
    want = normalize(bandpass(x.astype(np.float64), 500.0), method="z-score")
    np.testing.assert_allclose(got, want.astype(np.float32), rtol=1e-5, atol=1e-5)
