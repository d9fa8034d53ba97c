"""AugmenterManager: the seed example, config validation, order, seeding, eval identity."""

from __future__ import annotations

from copy import deepcopy

import pytest
import torch

from ecg_signal.augment.base import Augmenter
from ecg_signal.augment.label_smooth import LabelSmoothConfig
from ecg_signal.augment.manager import (
    AUGMENTERS,
    AugmenterManager,
    AugmenterManagerConfig,
    get_augmenter,
)
from ecg_signal.augment.mixup import Mixup
from ecg_signal.augment.random_flip import RandomFlip

try:
    from ecg_suite import CFG
except ImportError:  # ecg-signal installed alone: any Mapping is accepted
    CFG = dict  # type: ignore[misc,assignment]

SEED_CONFIG = CFG(
    random=False,
    fs=500,
    baseline_wander={},
    label_smooth={},
    mixup={},
    random_flip={},
    random_masking={},
    random_renormalize={},
    stretch_compress={},
)


def test_seed_example_runs_unchanged() -> None:
    config = deepcopy(SEED_CONFIG)  # the seed example's config, copied so no test can alter it
    am = AugmenterManager.from_config(config)
    sig, label, mask = torch.rand(2, 12, 5000), torch.rand(2, 26), torch.rand(2, 5000, 1)
    sig, label, mask = am(sig, label, mask)
    assert sig.shape == (2, 12, 5000) and label.shape == (2, 26) and mask.shape == (2, 5000, 1)
    assert [a.name for a in am.augmenters] == [
        "baseline_wander",
        "label_smooth",
        "mixup",
        "random_flip",
        "random_masking",
        "random_renormalize",
        "stretch_compress",
    ]
    # fs reached the augmenters that need it; the config was not mutated
    assert am.augmenters[0].fs == 500.0 and "fs" not in config["baseline_wander"]
    # a plain dict works the same
    am2 = AugmenterManager.from_config(dict(config))
    assert [a.name for a in am2.augmenters] == [a.name for a in am.augmenters]


def _data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return (
        torch.randn(8, 4, 1000, generator=g),
        torch.rand(8, 6, generator=g),
        torch.rand(8, 1000, 1, generator=g),
    )


def test_seeded_manager_is_reproducible_and_leaves_inputs_alone() -> None:
    sig, label, mask = _data()
    keep = (sig.clone(), label.clone(), mask.clone())
    cfg = {**SEED_CONFIG, "cutmix": {}, "seed": 11}
    a = AugmenterManager.from_config(cfg)(sig, label, mask)
    b = AugmenterManager.from_config(cfg)(sig, label, mask)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not torch.equal(a[0], sig)
    for x, k in zip((sig, label, mask), keep, strict=True):
        assert torch.equal(x, k)
    c = AugmenterManager.from_config({**cfg, "seed": 12})(sig, label, mask)
    assert not torch.equal(a[0], c[0])
    # the manager result equals running the same seeded augmenters one by one
    am = AugmenterManager.from_config(cfg)
    ref = AugmenterManager.from_config(cfg)
    out = am(sig, label, mask)
    step: tuple[torch.Tensor | None, ...] = (sig, label, mask)
    for aug in ref.augmenters:
        assert isinstance(aug, Augmenter)
        step = aug(*step)
    assert all(torch.equal(x, y) for x, y in zip(out, step, strict=True))  # type: ignore[arg-type]


def test_eval_mode_is_identity() -> None:
    sig, label, mask = _data()
    am = AugmenterManager.from_config({**SEED_CONFIG, "seed": 0}).eval()
    out = am(sig, label, mask)
    assert out[0] is sig and out[1] is label and out[2] is mask


def test_order_follows_config_and_random_order_is_seeded() -> None:
    cfg = CFG(fs=250, random_flip={}, mixup={}, label_smooth={})
    am = AugmenterManager.from_config(cfg)
    assert [a.name for a in am.augmenters] == ["random_flip", "mixup", "label_smooth"]
    assert am.ordering() == [0, 1, 2]
    r1 = AugmenterManager.from_config({**cfg, "random": True, "seed": 4})
    r2 = AugmenterManager.from_config({**cfg, "random": True, "seed": 4})
    orders1 = [tuple(r1.ordering()) for _ in range(20)]
    assert orders1 == [tuple(r2.ordering()) for _ in range(20)]
    assert len(set(orders1)) > 1 and all(sorted(o) == [0, 1, 2] for o in orders1)


def test_disable_and_specs() -> None:
    am = AugmenterManager.from_config(
        {
            "fs": 500,
            "mixup": False,
            "random_flip": None,
            "label_smooth": True,
            "cutmix": {"num_mix": 2},
        }
    )
    assert [a.name for a in am.augmenters] == ["label_smooth", "cutmix"]
    am2 = AugmenterManager.from_config(
        AugmenterManagerConfig(fs=500, label_smooth=LabelSmoothConfig(smoothing=0.3), mixup={})
    )
    assert [a.name for a in am2.augmenters] == ["label_smooth", "mixup"]
    assert am2.augmenters[0].smoothing == 0.3
    empty = AugmenterManager.from_config({"fs": 500})
    sig, label, mask = _data()
    out = empty(sig, label, mask)
    assert out[0] is sig
    # copy-and-edit of a default config
    base = AugmenterManagerConfig(fs=500, mixup={})
    edited = deepcopy(base)
    edited.random = True
    assert (
        AugmenterManager.from_config(edited).random
        and not AugmenterManager.from_config(base).random
    )


def test_config_errors() -> None:
    with pytest.raises(
        ValueError,
        match=r"unknown AugmenterManager key 'mixupp'.*did you mean 'mixup'.*allowed keys: random, fs",
    ):
        AugmenterManager.from_config({"fs": 500, "mixupp": {}})
    with pytest.raises(ValueError, match=r"unknown mixup config key 'alpah'.*allowed keys"):
        AugmenterManager.from_config({"fs": 500, "mixup": {"alpah": 1.0}})
    with pytest.raises(ValueError, match=r"fs must be.*in \[1, 100000\] Hz.*-1"):
        AugmenterManager.from_config({"fs": -1, "mixup": {}})
    with pytest.raises(ValueError, match="fs"):
        AugmenterManager.from_config({"baseline_wander": {}})
    with pytest.raises(TypeError, match="random must be a bool"):
        AugmenterManager.from_config({"random": "yes"})
    with pytest.raises(TypeError, match="mixup must be"):
        AugmenterManager.from_config({"mixup": 3})
    with pytest.raises(ValueError, match=r"probability in \[0, 1\].*1.5"):
        AugmenterManager.from_config({"fs": 500, "mixup": {"prob": 1.5}})
    am = AugmenterManager.from_config({**SEED_CONFIG, "seed": 0})
    sig, label, mask = _data()
    with pytest.raises(ValueError, match=r"\(batch, leads, samples\)"):
        am(sig[0], label)
    bad = sig.clone()
    bad[0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        am(bad, label, mask)
    with pytest.raises(TypeError, match="Augmenter instances"):
        AugmenterManager(torch.nn.Identity())  # type: ignore[arg-type]


def test_registry() -> None:
    assert set(AUGMENTERS) == {
        "baseline_wander", "label_smooth", "mixup", "random_flip", "random_masking",
        "random_renormalize", "stretch_compress", "cutmix", "random_artefacts", "coloured_noise",
    }  # fmt: skip
    assert get_augmenter("mixup") is Mixup and get_augmenter("random_flip") is RandomFlip
    with pytest.raises(ValueError, match="did you mean 'random_flip'"):
        get_augmenter("random_flp")


def test_kwargs_reach_random_masking() -> None:
    sig = torch.randn(2, 1, 3000)
    am = AugmenterManager.from_config(
        {"fs": 500, "random_masking": {"prob": [1.0, 1.0]}, "mixup": {}, "seed": 0}
    )
    out = am(sig, None, critical_points=[[1000], [2000]])
    assert float(out[0][0, 0, 1000]) == 0.0 and float(out[0][1, 0, 2000]) == 0.0
