"""ECG_SEQ_LAB_NET.inference for QRS detection: output rate, refractory period and polarity
averaging, against hand-derived cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ecg_models import ECG_SEQ_LAB_NET
from ecg_models.models._inference import rpeaks_from_prob

FS = 500.0


def test_rpeaks_from_prob_by_hand() -> None:
    prob = np.zeros(625)
    prob[50:60] = 0.9  # steps 50..59 = samples 400..479: centre (50 + 60) * 8 // 2 = 440
    prob[62:72] = 0.9  # centre 536, 96 samples (192 ms) after 440: inside 200 ms, dropped
    prob[200:202] = 0.9  # 2 steps = 16 samples = 32 ms: shorter than 40 ms, dropped
    prob[300:310] = 0.6  # centre 2440
    got = rpeaks_from_prob(prob, 0.5, FS, 8, 0.04, 0.2)
    assert got.dtype == np.int64 and got.tolist() == [440, 2440]
    assert rpeaks_from_prob(prob, 0.7, FS, 8, 0.04, 0.2).tolist() == [440]
    assert rpeaks_from_prob(prob, 0.5, FS, 8, 0.04, 0.0).tolist() == [440, 536, 2440]
    # at 250 Hz the 16-sample run lasts 64 ms: kept above a 60 ms minimum (centre 1608)
    assert rpeaks_from_prob(prob, 0.5, 250.0, 8, 0.06, 0.0).tolist() == [440, 536, 1608, 2440]
    assert rpeaks_from_prob(prob, 0.5, 250.0, 8, 0.07, 0.0).tolist() == [440, 536, 2440]
    # reduction 1: a run 10..19 -> centre 15; runs touching the ends count
    p1 = np.zeros(40)
    p1[10:20] = 1.0
    p1[35:] = 1.0
    assert rpeaks_from_prob(p1, 0.5, 100.0, 1).tolist() == [15, 37]
    assert rpeaks_from_prob(np.zeros(0), 0.5, FS, 8).tolist() == []


def test_rpeaks_from_prob_hysteresis_by_hand() -> None:
    prob = np.zeros(625)
    prob[100:105] = [0.3, 0.3, 0.6, 0.3, 0.3]  # one step (16 ms) above 0.5, five (80 ms) above 0.2
    prob[200:210] = 0.4  # never reaches 0.5
    prob[300:310] = 0.9  # a plain run: centre (300 + 310) * 8 // 2 = 2440
    prob[620:] = [0.25, 0.25, 0.55, 0.25, 0.25]  # touching the end: steps 620..624, centre 4980
    assert rpeaks_from_prob(prob, 0.5, FS, 8, 0.04, 0.2).tolist() == [2440]
    # runs above 0.2 whose maximum reaches 0.5: centre of steps 100..104 = (100 + 105) * 8 // 2
    assert rpeaks_from_prob(prob, 0.5, FS, 8, 0.04, 0.2, 0.2).tolist() == [820, 2440, 4980]
    assert rpeaks_from_prob(prob, 0.5, FS, 8, 0.04, 0.2, 0.3).tolist() == [820, 2440]
    assert rpeaks_from_prob(prob, 0.5, FS, 8, 0.09, 0.2, 0.2).tolist() == [2440]  # 80 ms < 90
    # low_threshold == threshold is the plain rule
    assert rpeaks_from_prob(prob, 0.5, FS, 8, 0.04, 0.2, 0.5).tolist() == [2440]
    with pytest.raises(ValueError, match="low_threshold"):
        rpeaks_from_prob(prob, 0.5, FS, 8, 0.04, 0.2, 0.6)


def _greedy_refractory(centres: np.ndarray, gap: float) -> list[int]:
    out = [int(centres[0])] if centres.size else []
    for c in centres[1:].tolist():
        if c - out[-1] >= gap:
            out.append(c)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_rpeaks_refractory_equals_the_plain_scan(seed: int) -> None:
    # dense random runs give clusters of close peaks: the cluster-wise scan equals the plain one
    rng = np.random.default_rng(seed)
    prob = (rng.random(20000) < 0.3 + 0.1 * seed).astype(np.float64)
    for fs, refractory in ((500.0, 0.2), (250.0, 0.05), (100.0, 1.0)):
        centres = rpeaks_from_prob(prob, 0.5, fs, 4, 0.0, 0.0)
        got = rpeaks_from_prob(prob, 0.5, fs, 4, 0.0, refractory)
        want = _greedy_refractory(centres, refractory * fs)
        assert got.dtype == np.int64 and got.tolist() == want
        assert 0 < len(want) < len(centres)


def test_rpeaks_from_prob_bad_input() -> None:
    with pytest.raises(ValueError, match="1-D"):
        rpeaks_from_prob(np.zeros((2, 3)), 0.5, FS)
    with pytest.raises(ValueError, match="reduction"):
        rpeaks_from_prob(np.zeros(3), 0.5, FS, 0)
    with pytest.raises(ValueError, match="threshold"):
        rpeaks_from_prob(np.zeros(3), 1.5, FS)
    with pytest.raises(ValueError, match="fs > 0"):
        rpeaks_from_prob(np.zeros(3), 0.5, 0.0)


def _qrs_model(**kw: object) -> ECG_SEQ_LAB_NET:
    return ECG_SEQ_LAB_NET(["qrs"], 1, recover_length=False, **kw)


def test_reduction_is_the_output_rate() -> None:
    model = _qrs_model()
    assert model.reduction == 8  # multi-scopic: three stride-2 stages
    out = model.eval()(torch.zeros(1, 1, 4000))
    assert out.shape == (1, 4000 // model.reduction, 1)
    assert ECG_SEQ_LAB_NET(["qrs"], 1).reduction == 1  # recover_length: outputs at input rate


def _fake_forward(model: ECG_SEQ_LAB_NET, monkeypatch: pytest.MonkeyPatch) -> None:
    """logit of step j = 4 * x[8 j] - 2: 0.88 on a +1 region, 0.12 on zeros, 0.0025 on -1."""
    r = model.reduction

    def forward(x: torch.Tensor) -> torch.Tensor:
        return (4.0 * x[:, :1, ::r] - 2.0).transpose(1, 2)

    monkeypatch.setattr(model, "forward", forward)


def test_inference_peaks_at_input_rate_and_polarity_averaging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = _qrs_model(threshold=0.3)
    _fake_forward(model, monkeypatch)
    x = torch.zeros(1, 1, 5000)
    x[0, 0, 800:880] = 1.0  # upright QRS: steps 100..109, centre 840
    x[0, 0, 2400:2480] = -1.0  # inverted QRS: steps 300..309, centre 2440
    x[0, 0, 2488:2568] = 1.0  # steps 311..320, centre 2528: 176 ms after 2440
    out = model.inference(x)
    assert out.rpeaks is not None and out.rpeaks[0].tolist() == [840, 2528]
    assert out.prob.shape == (1, 5000, 1) and out.mask.shape == (1, 5000)
    assert out.mask[0, 800:880].all() and not out.mask[0, 880:2400].any()
    # averaged with -x: 0.44 on both polarities, 0.12 elsewhere; 2528 is within 200 ms of 2440
    flip = model.inference(x, flip_average=True)
    assert flip.rpeaks is not None and flip.rpeaks[0].tolist() == [840, 2440]
    np.testing.assert_allclose(
        flip.prob[0, 840, 0], 0.5 * (1 / (1 + np.e**-2) + 1 / (1 + np.e**6)), rtol=1e-5
    )
    short = model.inference(x, flip_average=True, refractory_ms=100.0)
    assert short.rpeaks is not None and short.rpeaks[0].tolist() == [840, 2440, 2528]
    # fs: at 250 Hz, 200 ms is 50 samples and 2528 - 2440 = 88 samples passes it
    slow = model.inference(x, flip_average=True, fs=250.0)
    assert slow.rpeaks is not None and slow.rpeaks[0].tolist() == [840, 2440, 2528]
    # the config's flip_average is the default
    cfg_flip = _qrs_model(threshold=0.3, flip_average=True)
    _fake_forward(cfg_flip, monkeypatch)
    assert cfg_flip.inference(x).rpeaks[0].tolist() == [840, 2440]  # type: ignore[index]


def test_inference_on_a_real_network_and_config_checks() -> None:
    model = _qrs_model()
    model.train()
    out = model.inference(torch.randn(2, 1, 3000), flip_average=True)
    assert model.training  # the mode is restored
    assert out.rpeaks is not None and len(out.rpeaks) == 2
    for p in out.rpeaks:
        assert p.dtype == np.int64 and np.all(np.diff(p) > 0)
    assert out.prob.shape == (2, 3000, 1)
    with pytest.raises(ValueError, match="refractory_ms"):
        _qrs_model(refractory_ms=-1.0)
    with pytest.raises(TypeError, match="flip_average"):
        _qrs_model(flip_average=1)
    with pytest.raises(ValueError, match="one threshold"):
        model.inference(torch.randn(1, 1, 3000), threshold=[0.5])
