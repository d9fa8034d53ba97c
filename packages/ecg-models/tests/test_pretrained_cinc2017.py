"""The AF classifier of ``load_pretrained("cinc2017")``: its preprocessing against scipy, any
length and rate, windows of long records, bad input; the shipped entry when present."""

from __future__ import annotations

from copy import deepcopy

import numpy as np
import pytest
import scipy.signal
import torch

from ecg_models import ECG_CRNN, ECG_CRNN_CONFIG
from ecg_models.pretrained import list_pretrained, load_pretrained
from ecg_models.pretrained.cinc2017 import AFClassifier, af_input


def _clf() -> AFClassifier:
    cfg = deepcopy(ECG_CRNN_CONFIG)
    cfg.cnn.name = "resnet_nature_comm"
    cfg.fs = 100.0
    torch.manual_seed(0)
    return AFClassifier(ECG_CRNN(["N", "A", "O", "~"], 1, cfg), fs=100.0, window_s=20.0)


def _ecg(n: int, fs: float, seed: int = 0) -> np.ndarray:
    t = np.arange(n) / fs
    rng = np.random.default_rng(seed)
    return np.sin(2 * np.pi * 1.2 * t) ** 15 + 0.05 * rng.normal(size=n)


def test_af_input_matches_scipy() -> None:
    x = _ecg(3000, 300.0)
    got = af_input(x, 300.0, 100.0)
    y = scipy.signal.resample_poly(x, 1, 3)
    sos = scipy.signal.butter(4, [0.5, 45.0], btype="bandpass", fs=100.0, output="sos")
    y = scipy.signal.sosfiltfilt(sos, y)
    y = (y - y.mean()) / y.std()
    assert got.shape == (1000,)
    np.testing.assert_allclose(got, y, atol=2e-2)


@pytest.mark.parametrize("fs", [100.0, 257.0, 300.0, 2000.0])
def test_any_rate_and_length(fs: float) -> None:
    clf = _clf()
    for seconds in (2.5, 9.0, 45.0):  # 45 s > window_s: averaged over 3 windows
        p = clf(_ecg(int(seconds * fs), fs), fs)
        assert list(p) == ["N", "A", "O", "~"]
        assert sum(p.values()) == pytest.approx(1.0, abs=1e-5)
        assert all(0.0 <= v <= 1.0 for v in p.values())


def test_long_record_is_the_mean_of_its_windows() -> None:
    clf = _clf()
    x = _ecg(4500, 100.0)
    inp = torch.from_numpy(af_input(x, 100.0, 100.0))
    with torch.no_grad():
        parts = [
            torch.softmax(clf.model(inp[a : a + 2000].reshape(1, 1, -1)), -1)[0]
            for a in (0, 2000, 2500)
        ]
    want = torch.stack(parts).mean(0).numpy()
    np.testing.assert_allclose(list(clf(x, 100.0).values()), want, rtol=1e-5, atol=1e-6)


def test_bad_input() -> None:
    clf = _clf()
    with pytest.raises(ValueError, match=r"minimum of 600 samples \(2.00 s\)"):
        clf(np.zeros(500), 300.0)
    with pytest.raises(ValueError, match=r"\[100, 2000\] Hz"):
        clf(np.zeros(5000), 50.0)
    with pytest.raises(ValueError, match="one lead"):
        clf(np.zeros((2, 5000)), 300.0)
    x = _ecg(5000, 300.0)
    x[10] = np.nan
    with pytest.raises(ValueError, match="1 of 5000 samples are NaN"):
        clf(x, 300.0)
    with pytest.raises(TypeError, match="fs must be a real number"):
        clf(np.zeros(5000), "300")
    assert clf(_ecg(5000, 300.0)[None], 300.0)  # (1, samples) is one lead


def test_shipped_entry() -> None:
    if "cinc2017" not in [m.name for m in list_pretrained()]:
        pytest.skip("the cinc2017 weights are not shipped in this checkout")
    info = next(m for m in list_pretrained() if m.name == "cinc2017")
    assert info.provenance["command"].startswith("ecg-bench run cinc2017")
    clf = load_pretrained("cinc2017")
    assert isinstance(clf, AFClassifier)
    p = clf(_ecg(9000, 300.0), 300.0)
    assert sum(p.values()) == pytest.approx(1.0, abs=1e-5)
