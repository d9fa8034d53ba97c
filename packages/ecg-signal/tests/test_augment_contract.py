"""The contract every augmenter keeps: shapes, seeding, eval identity, no in-place, dtype, errors."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
import torch

from ecg_signal.augment.base import Augmenter
from ecg_signal.augment.baseline_wander import BaselineWander
from ecg_signal.augment.coloured_noise import ColouredNoise
from ecg_signal.augment.manager import AUGMENTERS
from ecg_signal.augment.mixup import Mixup
from ecg_signal.augment.random_masking import RandomMasking

FS = 250.0
B, L, N = 6, 3, 500

CLASSES: dict[str, type[Augmenter]] = dict(AUGMENTERS)
"""Every registered augmenter: the contract runs over the registry, so a new one is covered."""


def _factory(cls: type[Augmenter]) -> Callable[..., Augmenter]:
    """Build ``cls`` at ``FS`` when its constructor takes a sampling rate."""
    if "fs" in inspect.signature(cls).parameters:
        return lambda **kw: cls(fs=FS, **kw)  # type: ignore[call-arg]
    return lambda **kw: cls(**kw)


FACTORIES: dict[str, Callable[..., Augmenter]] = {n: _factory(c) for n, c in CLASSES.items()}
NAMES = sorted(FACTORIES)
SIG_CHANGERS = [n for n in NAMES if n != "label_smooth"]


def _inputs(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(123)
    sig = torch.randn(B, L, N, generator=g, dtype=torch.float64).to(dtype)
    label = (torch.rand(B, 5, generator=g) < 0.4).to(dtype)
    mask = torch.rand(B, N, 2, generator=g).to(dtype)
    return sig, label, mask


def _run(aug: Augmenter, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    out = aug(*args, **kwargs)
    assert isinstance(out, tuple)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtype_and_tuple_form(name: str) -> None:
    for dtype in (torch.float32, torch.float64):
        sig, label, mask = _inputs(dtype)
        out = _run(FACTORIES[name](prob=1.0, seed=0), sig, label, mask)
        assert len(out) == 3
        for o, i in zip(out, (sig, label, mask), strict=True):
            assert o.shape == i.shape and o.dtype == i.dtype and o.device == i.device
    # label may be None and is returned as None
    sig, _, _ = _inputs()
    out = _run(FACTORIES[name](prob=1.0, seed=0), sig)
    assert len(out) == 2 and out[1] is None and out[0].shape == sig.shape


@pytest.mark.parametrize("name", NAMES)
def test_fixed_seed_reproduces_bit_for_bit(name: str) -> None:
    sig, label, mask = _inputs()
    a = _run(FACTORIES[name](prob=0.5, seed=7), sig, label, mask)
    b = _run(FACTORIES[name](prob=0.5, seed=7), sig, label, mask)
    for x, y in zip(a, b, strict=True):
        assert torch.equal(x, y)
    # manual_seed resets the stream; a shared generator is accepted
    aug = FACTORIES[name](prob=0.5, seed=7)
    first = _run(aug, sig, label, mask)
    aug.manual_seed(7)
    again = _run(aug, sig, label, mask)
    assert all(torch.equal(x, y) for x, y in zip(first, again, strict=True))
    g = torch.Generator().manual_seed(7)
    shared = FACTORIES[name](prob=0.5, generator=g)
    assert shared.generator is g


@pytest.mark.parametrize("name", SIG_CHANGERS)
def test_different_seeds_differ(name: str) -> None:
    sig, label, mask = _inputs()
    a = _run(FACTORIES[name](prob=0.5, seed=1), sig, label, mask)
    b = _run(FACTORIES[name](prob=0.5, seed=2), sig, label, mask)
    assert not torch.equal(a[0], b[0])


@pytest.mark.parametrize("name", NAMES)
def test_eval_mode_and_prob_zero_are_identity(name: str) -> None:
    sig, label, mask = _inputs()
    aug = FACTORIES[name](prob=1.0, seed=0).eval()
    out = _run(aug, sig, label, mask)
    assert out[0] is sig and out[1] is label and out[2] is mask
    out = _run(FACTORIES[name](prob=0.0, seed=0), sig, label, mask)
    assert torch.equal(out[0], sig) and torch.equal(out[1], label) and torch.equal(out[2], mask)


@pytest.mark.parametrize("name", NAMES)
def test_prob_one_has_an_effect(name: str) -> None:
    sig, label, mask = _inputs()
    out = _run(FACTORIES[name](prob=1.0, seed=0), sig, label, mask)
    if name == "label_smooth":
        assert not torch.equal(out[1], label)
        assert torch.equal(out[0], sig)
    else:
        assert not torch.equal(out[0], sig)


@pytest.mark.parametrize("name", NAMES)
def test_inputs_not_modified_unless_inplace(name: str) -> None:
    sig, label, mask = _inputs()
    keep = (sig.clone(), label.clone(), mask.clone())
    out = _run(FACTORIES[name](prob=1.0, seed=0), sig, label, mask)
    for x, k in zip((sig, label, mask), keep, strict=True):
        assert torch.equal(x, k)
    # inplace=True: same result, written into the inputs
    sig2, label2, mask2 = (t.clone() for t in keep)
    out2 = _run(FACTORIES[name](prob=1.0, seed=0, inplace=True), sig2, label2, mask2)
    for o, o2 in zip(out, out2, strict=True):
        assert torch.equal(o, o2)
    if name != "label_smooth":
        assert torch.equal(sig2, out[0]) and not torch.equal(sig2, keep[0])


@pytest.mark.parametrize("name", NAMES)
def test_non_contiguous_input(name: str) -> None:
    sig, label, mask = _inputs()
    t = sig.transpose(0, 1).contiguous().transpose(0, 1)  # same values, non-contiguous
    assert not t.is_contiguous()
    a = _run(FACTORIES[name](prob=1.0, seed=3), sig, label, mask)
    b = _run(FACTORIES[name](prob=1.0, seed=3), t, label, mask)
    assert torch.allclose(a[0], b[0], atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_bad_input(name: str) -> None:
    sig, label, mask = _inputs()
    aug = FACTORIES[name](prob=1.0, seed=0)
    with pytest.raises(ValueError, match=r"\(batch, leads, samples\)"):
        aug(sig[0], None)
    bad = sig.clone()
    bad[1, 2, 3] = float("nan")
    with pytest.raises(ValueError, match=r"finite.*\(1, 2, 3\)"):
        aug(bad, label)
    bad[1, 2, 3] = float("inf")
    with pytest.raises(ValueError, match="finite"):
        aug(bad, label)
    with pytest.raises(TypeError, match="floating"):
        aug(sig.to(torch.int64), label)
    with pytest.raises(TypeError, match="torch.Tensor"):
        aug(sig.numpy(), label)
    with pytest.raises(ValueError, match="batch size 6"):
        aug(sig, label[:3])
    with pytest.raises(ValueError, match="batch size 6"):
        aug(sig, label, mask[:2])
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"probability in \[0, 1\].*" + str(p)):
            FACTORIES[name](prob=p)
    with pytest.raises(ValueError, match=r"fs must be.*in \[1, 100000\] Hz.*-5"):
        CLASSES[name].from_config({"fs": -5})
    with pytest.raises(ValueError, match=r"fs must be.*in \[1, 100000\] Hz"):
        CLASSES[name].from_config({"fs": 0})
    with pytest.raises(
        ValueError, match=r"unknown \w+ config key 'prb'.*did you mean 'prob'.*allowed keys: .*prob"
    ):
        CLASSES[name].from_config({"fs": FS, "prb": 0.3})
    with pytest.raises(ValueError, match="seed"):
        CLASSES[name].from_config({"fs": FS, "seed": -1})


@pytest.mark.parametrize("name", NAMES)
def test_from_config_accepts_mapping_and_dataclass(name: str) -> None:
    cls = CLASSES[name]
    a = cls.from_config({"fs": FS, "prob": 1.0, "seed": 5})
    assert cls.config_class is not None
    cfg = cls.config_class(fs=FS, prob=1.0, seed=5)
    b = cls.from_config(cfg)
    sig, label, mask = _inputs()
    assert all(
        torch.equal(x, y) for x, y in zip(a(sig, label, mask), b(sig, label, mask), strict=True)
    )


def test_fs_required_where_needed() -> None:
    with pytest.raises(ValueError, match="fs"):
        BaselineWander.from_config({})
    with pytest.raises(ValueError, match="fs"):
        RandomMasking.from_config({})
    with pytest.raises(ValueError, match="fs"):
        ColouredNoise.from_config({})
    with pytest.raises(ValueError, match=r"in \[1, 100000\] Hz, got 0.5"):
        BaselineWander(fs=0.5)


def test_get_indices() -> None:
    aug = Mixup(seed=0)
    for prob, pop in ((0.0, 10), (1.0, 10), (0.3, 10), (0.5, 7), (0.5, 0)):
        idx = aug.get_indices(prob, pop)
        assert idx.dtype == torch.int64
        assert idx.numel() == round(prob * pop)
        assert len(set(idx.tolist())) == idx.numel()
        assert all(0 <= i < pop for i in idx.tolist())
    with pytest.raises(ValueError, match="probability"):
        aug.get_indices(2.0, 3)
    with pytest.raises(ValueError, match="pop_size"):
        aug.get_indices(0.5, -1)
    rows = aug.select_rows(0.25, 5, 8)
    assert rows.shape == (5, 8) and rows.sum(1).tolist() == [2] * 5
    # each index is chosen with frequency ~prob
    counts = torch.zeros(10)
    for _ in range(400):
        counts[aug.get_indices(0.3, 10)] += 1
    assert torch.all((counts / 400 - 0.3).abs() < 0.08)
