"""The strided CNN backbone: output length, receptive field, polarity invariance, the folded
inference form, config errors, and the QRS detector's fast path around it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ecg_models import ECG_SEQ_LAB_NET
from ecg_models.backbones.strided_cnn import StridedCNN, StridedCNNConfig
from ecg_models.registry import create_backbone


def _trained_like(net: torch.nn.Module) -> torch.nn.Module:
    """Batch-norm statistics and affine parameters away from their initial values, so that
    folding them into the convolutions is actually exercised."""
    g = torch.Generator().manual_seed(3)
    for mod in net.modules():
        if isinstance(mod, torch.nn.BatchNorm1d):
            n = mod.num_features
            mod.running_mean.copy_(torch.rand(n, generator=g) - 0.5)  # type: ignore[operator]
            mod.running_var.copy_(0.5 + 1.5 * torch.rand(n, generator=g))  # type: ignore[operator]
            mod.weight.data.copy_(0.5 + torch.rand(n, generator=g))
            mod.bias.data.copy_(0.4 * torch.rand(n, generator=g) - 0.2)
    return net.eval()


@pytest.fixture(scope="module")
def net() -> StridedCNN:
    torch.manual_seed(0)
    b = create_backbone("strided_cnn", 1)
    assert isinstance(b, StridedCNN)
    _trained_like(b)
    return b


@pytest.mark.parametrize("n", [8, 9, 15, 16, 2500, 2504])
def test_output_is_floor_of_samples_over_reduction(net: StridedCNN, n: int) -> None:
    assert net.reduction == 8
    with torch.no_grad():
        out = net(torch.randn(2, 1, n))
    assert tuple(out.shape) == net.compute_output_shape(n, 2) == (2, 32, n // 8)
    with pytest.raises(ValueError, match="shorter than one output step"):
        net(torch.randn(1, 1, 7))


def test_receptive_field_is_513_samples(net: StridedCNN) -> None:
    # a change at input sample i moves only the output steps whose receptive field holds i:
    # 513 samples (stem 9, then + 6*4 + 4*8 + (2+4+8)*4*8)
    x = torch.randn(1, 1, 4000)
    y = x.clone()
    i = 2000
    y[..., i] += 5.0
    with torch.no_grad():
        d = (net(x) - net(y)).abs().amax(dim=1)[0]
    changed = torch.nonzero(d > 0).flatten()
    half = 513 // 2
    assert changed.min().item() >= (i - half - 8) // 8
    assert changed.max().item() <= (i + half) // 8
    assert changed.max().item() - changed.min().item() >= 2 * half // 8 - 2


def test_rectified_stem_makes_it_polarity_invariant(net: StridedCNN) -> None:
    x = torch.randn(3, 1, 1000)
    with torch.no_grad():
        torch.testing.assert_close(net(-x), net(x), rtol=0, atol=0)
    plain = create_backbone("strided_cnn", 1, rectify_stem=False).eval()
    with torch.no_grad():
        assert not torch.allclose(plain(-x), plain(x))


def test_inference_module_equals_eval_forward(net: StridedCNN) -> None:
    fast = net.inference_module()
    assert not any(p.requires_grad for p in fast.parameters())
    for n in (8, 1001, 2504):
        x = torch.randn(4, 1, n)
        with torch.no_grad():
            torch.testing.assert_close(fast(x), net(x), rtol=1e-5, atol=1e-5)
    other = _trained_like(create_backbone("strided_cnn", 2, rectify_stem=False, activation="gelu"))
    assert isinstance(other, StridedCNN)
    x = torch.randn(2, 2, 600)
    with torch.no_grad():
        torch.testing.assert_close(other.inference_module()(x), other(x), rtol=1e-5, atol=1e-5)


def test_inference_module_keep_equals_the_cut_full_output(net: StridedCNN) -> None:
    fast = net.inference_module()
    x = torch.randn(5, 1, 2500)
    with torch.no_grad():
        full = fast(x)  # (5, 32, 312)
        n_out = full.shape[-1]
        # interior ranges run unpadded on narrower inputs; ranges at the edges fall back
        for lo, hi in ((31, 281), (40, 41), (30, 282), (0, n_out), (0, 281), (31, n_out)):
            got = fast(x, (lo, hi))
            assert got.shape == (5, 32, hi - lo)
            torch.testing.assert_close(got, full[..., lo:hi], rtol=1e-5, atol=1e-5)
        for bad in ((-1, 10), (10, 10), (0, n_out + 1)):
            with pytest.raises(ValueError, match="keep"):
                fast(x, bad)
    # a receptive field wider than the margins: the first tail layers pad at the window edges
    wide = _trained_like(create_backbone("strided_cnn", 1, filters=[16, 24, 32, 32, 32, 32, 32],
                                         filter_lengths=[9, 7, 5, 5, 5, 5, 5],
                                         strides=[4, 2, 1, 1, 1, 1, 1],
                                         dilations=[1, 1, 1, 2, 4, 8, 16]))  # fmt: skip
    assert isinstance(wide, StridedCNN)
    plan_wide = wide.inference_module()
    with torch.no_grad():
        full = plan_wide(x)
        for lo, hi in ((31, 281), (100, 101), (0, 250), (62, 312)):
            torch.testing.assert_close(
                plan_wide(x, (lo, hi)), full[..., lo:hi], rtol=1e-5, atol=1e-5
            )
    # every layer strided: nothing to narrow, the cut still holds
    short = _trained_like(create_backbone("strided_cnn", 1, filters=[8, 8], filter_lengths=[5, 3],
                                          strides=[2, 2], dilations=[1, 1]))  # fmt: skip
    assert isinstance(short, StridedCNN)
    plan = short.inference_module()
    with torch.no_grad():
        torch.testing.assert_close(plan(x, (3, 90)), plan(x)[..., 3:90], rtol=1e-5, atol=1e-5)


def test_config_errors_name_the_field() -> None:
    with pytest.raises(ValueError, match="filter_lengths must have 6 entries"):
        StridedCNNConfig(filter_lengths=[9, 7])
    with pytest.raises(ValueError, match="odd"):
        StridedCNNConfig(filter_lengths=[9, 7, 5, 5, 5, 4])
    with pytest.raises(TypeError, match="rectify_stem"):
        StridedCNNConfig(rectify_stem=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="activation"):
        StridedCNNConfig(activation="swishy")


def _seq_lab_net() -> ECG_SEQ_LAB_NET:
    torch.manual_seed(0)
    model = ECG_SEQ_LAB_NET(
        ["qrs"],
        1,
        fs=250.0,
        recover_length=False,
        cnn={"name": "strided_cnn"},
        rnn={"name": "none"},
        attn={"name": "none"},
        head={"hidden_sizes": [], "dropout": 0.1},
    )
    _trained_like(model)
    return model


def test_qrs_detector_fast_path_equals_the_generic_forward() -> None:
    from ecg_models.pretrained.qrs import QRSDetector, qrs_input

    model = _seq_lab_net()
    fast = QRSDetector(model, fs=250.0, threshold=0.5)
    assert fast._logits is not model and not fast._flip  # the folded network, one pass
    slow = QRSDetector(model, fs=250.0, threshold=0.5)
    slow._logits, slow._flip = model, True  # generic forward with flip averaging
    t = np.arange(60 * 360) / 360.0
    x = np.sin(2 * np.pi * 1.2 * t) ** 31 + 0.05 * np.sin(2 * np.pi * 0.2 * t)
    y = qrs_input(x, 360.0, 250.0)
    np.testing.assert_allclose(fast.probabilities(y), slow.probabilities(y), atol=1e-5)
    np.testing.assert_array_equal(fast(x, 360.0), slow(x, 360.0))
    # the fast path computes only the kept steps of interior windows: the same probabilities
    assert fast._narrow() and not slow._narrow()
    plain = QRSDetector(model, fs=250.0, threshold=0.5)
    plain._fast = None  # the fast network on every whole window
    assert not plain._narrow()
    np.testing.assert_allclose(fast.probabilities(y), plain.probabilities(y), rtol=0, atol=1e-6)
    # a model the fast path does not cover (an RNN) runs as itself
    lstm = ECG_SEQ_LAB_NET(
        ["qrs"], 1, fs=250.0, recover_length=False, cnn={"name": "strided_cnn"},
        rnn={"name": "lstm", "hidden_size": 4}, attn={"name": "none"},
    )  # fmt: skip
    assert QRSDetector(lstm, fs=250.0)._logits is lstm
