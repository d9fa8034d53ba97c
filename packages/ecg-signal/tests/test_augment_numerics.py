"""Hand-derived and reference (scipy, torch.nn.functional) checks of each augmenter's output."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as nnf

from ecg_signal.augment.baseline_wander import BaselineWander, lead_amplitude
from ecg_signal.augment.cutmix import CutMix
from ecg_signal.augment.label_smooth import LabelSmooth
from ecg_signal.augment.mixup import Mixup, sample_beta
from ecg_signal.augment.random_flip import RandomFlip
from ecg_signal.augment.random_masking import RandomMasking, intervals_to_mask
from ecg_signal.augment.random_renormalize import RandomRenormalize
from ecg_signal.augment.stretch_compress import StretchCompress


def _sig(
    b: int = 8, leads: int = 3, n: int = 400, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randn(b, leads, n, generator=g, dtype=dtype)


def test_mixup_matches_hand_formula() -> None:
    sig = _sig()
    label = torch.rand(8, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    aug = Mixup(prob=0.5, seed=3)
    out_sig, out_label = aug(sig, label)
    lam, p = aug.last_lam, aug.last_partner
    assert lam is not None and p is not None and 0.0 <= lam <= 1.0
    torch.testing.assert_close(out_label, lam * label + (1 - lam) * label[p], rtol=0, atol=1e-12)
    torch.testing.assert_close(out_sig, lam * sig + (1 - lam) * sig[p], rtol=0, atol=1e-12)
    moved = (p != torch.arange(8)).sum().item()
    assert (p == torch.arange(8)).sum().item() >= 4  # only round(0.5 * 8) = 4 are shuffled
    assert sorted(p.tolist()) == list(range(8)) and moved <= 4


def test_beta_sampler_matches_scipy_beta() -> None:
    g = torch.Generator().manual_seed(0)
    draws = np.asarray(sample_beta(g, 0.5, 2.0, 3000))
    assert scipy.stats.kstest(draws, scipy.stats.beta(0.5, 2.0).cdf).pvalue > 1e-3
    assert scipy.stats.kstest(draws, scipy.stats.beta(2.0, 0.5).cdf).pvalue < 1e-6


def test_random_flip_negates_exactly_the_chosen_leads() -> None:
    sig = _sig(10, 12, 50)
    aug = RandomFlip(prob=(0.4, 0.25), seed=0)
    (out, _) = aug(sig)
    flip = aug.last_flip
    assert flip is not None and flip.shape == (10, 12)
    rows = flip.any(1)
    assert int(rows.sum()) == 4  # round(0.4 * 10)
    assert flip[rows].sum(1).tolist() == [3] * 4  # round(0.25 * 12) per chosen ECG
    sign = torch.where(flip, -1.0, 1.0).to(sig.dtype)[..., None]
    assert torch.equal(out, sig * sign)
    aug2 = RandomFlip(per_channel=False, prob=0.5, seed=0)
    (out2, _) = aug2(sig)
    f2 = aug2.last_flip
    assert f2 is not None and bool((f2.all(1) | ~f2.any(1)).all()) and int(f2[:, 0].sum()) == 5
    assert torch.equal(out2, sig * torch.where(f2, -1.0, 1.0).to(sig.dtype)[..., None])


def test_label_smooth_formula() -> None:
    label = torch.zeros(10, 4, dtype=torch.float64)
    label[:, 1] = 1.0
    (_, out) = LabelSmooth(smoothing=0.2, prob=0.3, seed=0)(_sig(10), label)
    changed = (out != label).any(1)
    assert int(changed.sum()) == 3
    expected = torch.full((4,), 0.05, dtype=torch.float64)
    expected[1] = 0.85
    for row in out[changed]:
        torch.testing.assert_close(row, expected, rtol=0, atol=1e-12)
        assert math.isclose(float(row.sum()), 1.0)
    # per-sample labels (batch, samples, classes) are smoothed too
    seg = torch.zeros(2, 7, 3)
    (_, out3) = LabelSmooth(smoothing=0.3, prob=1.0, seed=0)(_sig(2), seg)
    torch.testing.assert_close(out3, torch.full_like(seg, 0.1))


@pytest.mark.parametrize("per_channel", [False, True])
def test_random_renormalize_hits_the_drawn_mean_and_std(per_channel: bool) -> None:
    sig = _sig(8, 3, 500) * 3.0 + 2.0
    aug = RandomRenormalize(prob=0.5, per_channel=per_channel, seed=1)
    (out, _) = aug(sig)
    m, s = aug.last_mean, aug.last_std
    assert m is not None and s is not None
    chosen = ~torch.isnan(m[:, 0, 0])
    assert int(chosen.sum()) == 4
    x = out.numpy()
    axis = (2,) if per_channel else (1, 2)
    got_m = x.mean(axis=axis, keepdims=True)
    got_s = x.std(axis=axis, keepdims=True)
    np.testing.assert_allclose(got_m[chosen.numpy()], m[chosen].numpy(), atol=1e-9)
    np.testing.assert_allclose(got_s[chosen.numpy()], s[chosen].numpy(), rtol=1e-9)
    assert torch.equal(out[~chosen], sig[~chosen])
    # drawn targets follow N(m, (0.3 (hi - m))^2) around the default range (-0.05, 0.1)
    draws = RandomRenormalize(prob=1.0, seed=2)
    means = []
    for _ in range(40):
        draws(_sig(8, 1, 50))
        assert draws.last_mean is not None
        means.append(draws.last_mean.reshape(-1))
    allm = torch.cat(means)
    assert abs(float(allm.mean()) - 0.025) < 0.005 and abs(float(allm.std()) - 0.0225) < 0.005


def test_random_renormalize_numerics_of_large_offset_float32() -> None:
    sig = (_sig(4, 2, 1000) * 0.01 + 1000.0).float()  # std 1e-5 of the mean: shortcut unsafe
    aug = RandomRenormalize(prob=1.0, seed=0)
    (out, _) = aug(sig)
    assert aug.last_std is not None
    got = out.double().std(dim=(1, 2), correction=0)
    np.testing.assert_allclose(got.numpy(), aug.last_std.reshape(-1).numpy(), rtol=2e-2)


def test_stretch_compress_matches_torch_interpolate() -> None:
    n = 500
    sig = _sig(8, 3, n)
    mask = torch.rand(8, n, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    aug = StretchCompress(ratio=15, prob=1.0, seed=4)
    out, _, out_mask = aug(sig, None, mask)
    assert aug.last_new_len is not None
    lens = aug.last_new_len.tolist()
    assert any(v > n for v in lens) and any(v < n for v in lens)
    for b, nl in enumerate(lens):
        d = abs(nl - n)
        h = d // 2
        y = nnf.interpolate(sig[b : b + 1], size=nl, mode="linear", align_corners=True)
        ym = nnf.interpolate(
            mask[b : b + 1].permute(0, 2, 1), size=nl, mode="linear", align_corners=True
        )
        if nl >= n:
            ref, refm = y[..., h : h + n], ym[..., h : h + n]
        else:
            ref, refm = nnf.pad(y, (h, d - h)), nnf.pad(ym, (h, d - h))
        torch.testing.assert_close(out[b], ref[0], rtol=0, atol=1e-10)
        torch.testing.assert_close(out_mask[b], refm[0].T, rtol=0, atol=1e-10)


def test_stretch_compress_integer_masks_and_other_lengths() -> None:
    n = 400
    sig = _sig(4, 2, n)
    seg = torch.zeros(4, n, dtype=torch.int64)
    seg[:, 100:200] = 2
    coarse = torch.zeros(4, n // 4, 1)  # label at a quarter of the signal's rate
    coarse[:, 25:50] = 1.0
    aug = StretchCompress(ratio=0.2, prob=1.0, seed=0)
    _, out_seg, out_coarse = aug(sig, seg, coarse)
    assert out_seg.dtype == torch.int64 and set(out_seg.unique().tolist()) <= {0, 2}
    assert aug.last_new_len is not None
    for b, nl in enumerate(aug.last_new_len.tolist()):
        width = int((out_seg[b] == 2).sum())
        assert abs(width - 100 * nl / n) <= 2  # the segment scales with the signal
        assert abs(float(out_coarse[b].sum()) - 25 * nl / n) <= 1.5


def test_cutmix_pastes_the_partner_interval() -> None:
    n = 300
    sig = _sig(6, 2, n)
    label = torch.eye(6, dtype=torch.float64)
    seg = torch.arange(6, dtype=torch.float64).view(6, 1, 1).expand(6, n, 1).clone()
    aug = CutMix(prob=1.0, alpha=2.0, seed=5)
    out, out_label, out_seg = aug(sig, label, seg)
    p, start, cut = aug.last_partner, aug.last_start, aug.last_len
    assert p is not None and start is not None and cut is not None
    for i in range(6):
        s, e = int(start[i]), int(start[i] + cut[i])
        assert 0 <= s <= e <= n
        assert torch.equal(out[i, :, s:e], sig[int(p[i]), :, s:e])
        assert torch.equal(out[i, :, :s], sig[i, :, :s]) and torch.equal(
            out[i, :, e:], sig[i, :, e:]
        )
        w = 1.0 - (e - s) / n
        expected = w * label[i] + (1 - w) * label[int(p[i])]
        torch.testing.assert_close(out_label[i], expected, rtol=0, atol=1e-12)
        # the per-sample tensor is cut and pasted like the signal
        assert bool((out_seg[i, s:e] == float(p[i])).all()) and bool((out_seg[i, :s] == i).all())
        # kept fraction = label weight on its own class
        assert (
            math.isclose(
                float(out_seg[i].eq(i).double().mean()), float(out_label[i, i]), abs_tol=1e-12
            )
            or int(p[i]) == i
        )


def test_random_masking_masks_signal_and_per_sample_tensors() -> None:
    fs, n = 250.0, 2500
    sig = _sig(6, 3, n) + 5.0
    label = torch.rand(6, 4, dtype=torch.float64)
    seg = torch.ones(6, n, 2)
    aug = RandomMasking(fs=fs, prob=(0.5, 0.3), mask_value=0.0, seed=0)
    out, out_label, out_seg = aug(sig, label, seg)
    mask = aug.last_mask
    assert mask is not None and mask.shape == (6, n)
    rows = mask.any(1)
    assert int(rows.sum()) <= 3 and int(rows.sum()) >= 1
    assert bool((out[mask[:, None, :].expand_as(out)] == 0).all())
    assert torch.equal(out[~mask[:, None, :].expand_as(out)], sig[~mask[:, None, :].expand_as(sig)])
    assert torch.equal(out_label, label)  # (batch, classes) labels are not per-sample
    assert torch.equal(out_seg == 0, mask[..., None].expand_as(seg))
    # segments are 0.08 .. 0.18 s wide: check each run's length
    for r in range(6):
        m = np.r_[0, mask[r].numpy().astype(int), 0]
        starts, ends = np.flatnonzero(np.diff(m) == 1), np.flatnonzero(np.diff(m) == -1)
        for s, e in zip(starts, ends, strict=True):
            assert e - s >= 2 * (int(round(0.08 * fs)) // 2)


def test_random_masking_around_critical_points() -> None:
    fs, n = 500.0, 3000
    sig = _sig(2, 1, n)
    pts = [[500, 1500, 2500], [1000, 2000]]
    aug = RandomMasking(fs=fs, prob=(1.0, 1.0), seed=0)
    out, _ = aug(sig, None, critical_points=pts)
    mask = aug.last_mask
    assert mask is not None
    for b, ps in enumerate(pts):
        for p in ps:
            assert bool(mask[b, p])
        assert int(mask[b].sum()) <= len(ps) * 90 and int(mask[b].sum()) >= len(ps) * 40
    with pytest.raises(ValueError, match="one sequence per batch element"):
        aug(sig, None, critical_points=[[1]])


def test_intervals_to_mask_overlaps_and_clipping() -> None:
    rows = torch.tensor([0, 0, 1, 1])
    start = torch.tensor([2, 4, -3, 8])
    end = torch.tensor([5, 7, 2, 20])
    m = intervals_to_mask(rows, start, end, (2, 10))
    expected = torch.zeros(2, 10, dtype=torch.bool)
    expected[0, 2:7] = True
    expected[1, 0:2] = True
    expected[1, 8:] = True
    assert torch.equal(m, expected)


def test_baseline_wander_is_the_stated_sinusoid() -> None:
    fs, n = 100.0, 2000
    sig = torch.zeros(4, 2, n, dtype=torch.float64)
    aug = BaselineWander(fs=fs, bw_fs=[0.5], ampl=[[0.3]], gaussian=[[0.0, 0.0]], prob=1.0, seed=0)
    (out, _) = aug(sig)
    t = np.arange(n) / fs
    basis = np.stack([np.sin(2 * np.pi * 0.5 * t), np.cos(2 * np.pi * 0.5 * t)], axis=1)
    for row in out.reshape(-1, n).numpy():
        coef, *_ = np.linalg.lstsq(basis, row, rcond=None)
        np.testing.assert_allclose(np.hypot(*coef), 0.3, rtol=1e-9)  # amplitude in mV
        np.testing.assert_allclose(basis @ coef, row, atol=1e-9)
    # pure Gaussian noise: mean and std as configured (mV)
    aug2 = BaselineWander(fs=fs, bw_fs=[0.5], ampl=[[0.0]], gaussian=[[0.1, 0.5]], prob=1.0, seed=0)
    (noise, _) = aug2(sig)
    assert abs(float(noise.mean()) - 0.1) < 0.02 and abs(float(noise.std()) - 0.5) < 0.02
    assert scipy.stats.normaltest(noise.reshape(-1).numpy()).pvalue > 1e-4


def test_baseline_wander_prob_and_relative_scaling() -> None:
    fs, n = 100.0, 1000
    sig = torch.zeros(5, 4, n)
    aug = BaselineWander(fs=fs, prob=0.5, seed=0)
    (out, _) = aug(sig)
    touched = (out != 0).any(-1)
    assert int(touched.sum()) == 10  # round(0.5 * 20) (batch, lead) items
    sig2 = _sig(2, 2, n) * torch.tensor([1.0, 4.0], dtype=torch.float64).view(1, 2, 1)
    rel = BaselineWander(
        fs=fs, bw_fs=[1.0], ampl=[[0.1]], gaussian=[[0.0, 0.0]], relative=True, prob=1.0, seed=0
    )
    (out2, _) = rel(sig2)
    added = (out2 - sig2).numpy()
    amp = lead_amplitude(sig2, fs).numpy()
    np.testing.assert_allclose(np.abs(added).max(-1, keepdims=True), 0.1 * amp, rtol=1e-3)
    # lead_amplitude: largest peak-to-peak over 0.2 s windows (hand check)
    x = torch.zeros(1, 1, 100, dtype=torch.float64)
    x[0, 0, 40] = 2.0
    x[0, 0, 45] = -1.0
    assert float(lead_amplitude(x, 100.0)) == 3.0


def test_stretch_compress_float32_precision_matches_interpolate_class() -> None:
    n = 2000
    sig64 = _sig(6, 2, n)
    aug32 = StretchCompress(ratio=10, prob=1.0, seed=9)
    aug64 = StretchCompress(ratio=10, prob=1.0, seed=9)
    (out32, _) = aug32(sig64.float())
    (out64, _) = aug64(sig64)
    assert out32.dtype == torch.float32
    # float32 coordinates (as nnf.interpolate's) on white noise: error well below 1e-2
    assert float((out32.double() - out64).abs().max()) < 1e-2
    assert float((out32.double() - out64).abs().mean()) < 1e-4


@pytest.mark.parametrize(
    "device",
    [
        "cpu",
        pytest.param(
            "cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA")
        ),
    ],
)
def test_device_is_kept(device: str) -> None:
    from ecg_signal.augment.manager import AugmenterManager

    cfg = {
        "fs": 250, "seed": 0, "baseline_wander": {"prob": 1.0}, "cutmix": {"prob": 1.0},
        "label_smooth": {"prob": 1.0}, "mixup": {"prob": 1.0}, "random_flip": {"prob": 1.0},
        "random_masking": {"prob": 1.0}, "random_renormalize": {"prob": 1.0},
        "stretch_compress": {"prob": 1.0},
    }  # fmt: skip
    am = AugmenterManager.from_config(cfg)
    sig = _sig(4, 2, 600).float().to(device)
    label = torch.rand(4, 3, device=device)
    mask = torch.rand(4, 600, 1, device=device)
    out = am(sig, label, mask)
    for o, i in zip(out, (sig, label, mask), strict=True):
        assert o.device == i.device and o.dtype == i.dtype and o.shape == i.shape
    if device != "cpu":  # same draws on every device: the CPU result up to float rounding
        ref = AugmenterManager.from_config(cfg)(sig.cpu(), label.cpu(), mask.cpu())
        for o, r in zip(out, ref, strict=True):
            torch.testing.assert_close(o.cpu(), r, atol=1e-4, rtol=1e-4)
