"""PreprocManager and its configs: seed example, order, randomness, configs, tensors."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import numpy as np
import pytest
import torch
from scipy import signal

from ecg_signal.preprocess import functional as npf
from ecg_signal.preprocess.manager import (
    DEFAULT_ORDER,
    BandpassConfig,
    BaselineRemoveConfig,
    NormalizeConfig,
    PreprocConfig,
    PreprocManager,
    ResampleConfig,
)

RNG = np.random.default_rng(7)


class AttrDict(dict[str, Any]):
    """Stand-in for ``ecg_suite.CFG`` (a dict subclass with attribute access)."""

    def __getattr__(self, name: str) -> Any:
        return self[name]


def test_seed_example() -> None:
    cfg = AttrDict(random=False, resample={"fs": 500}, bandpass={}, normalize={})
    ppm = PreprocManager.from_config(cfg)
    x = RNG.random((12, 80000)).astype(np.float32)
    sig, fs = ppm(x, 200)
    assert sig.shape == (12, 200000) and fs == 500
    assert sig.dtype == np.float32
    # reference: scipy steps in the documented order
    sos = signal.butter(4, [0.5, 45.0], btype="bandpass", fs=200, output="sos")
    ref = signal.resample_poly(signal.sosfiltfilt(sos, x.astype(np.float64)), 5, 2, axis=-1)
    ref = (ref - ref.mean(-1, keepdims=True)) / ref.std(-1, keepdims=True)
    np.testing.assert_allclose(sig, ref, rtol=1e-4, atol=1e-4)
    assert ppm.steps == ("bandpass", "resample", "normalize")


def test_seed_example_with_ecg_suite_cfg() -> None:
    suite = pytest.importorskip("ecg_suite")
    cfg_cls = getattr(suite, "CFG", None)
    if cfg_cls is None:
        pytest.skip("ecg_suite.CFG not available yet")
    ppm = PreprocManager.from_config(
        cfg_cls(random=False, resample={"fs": 500}, bandpass={}, normalize={})
    )
    sig, fs = ppm(RNG.random((12, 8000)).astype(np.float32), 200)
    assert sig.shape == (12, 20000) and fs == 500


def test_default_order_and_all_steps() -> None:
    cfg = {
        "baseline_remove": {},
        "notch": {"freq": 60},
        "bandpass": {"lowcut": 1.0, "highcut": 40.0},
        "resample": {"fs": 250},
        "normalize": {"method": "min-max"},
    }
    ppm = PreprocManager.from_config(cfg)
    assert ppm.steps == DEFAULT_ORDER == ppm.next_order()
    x = RNG.standard_normal((2, 3, 5000))
    out, fs = ppm(x, 500)
    ref = npf.baseline_remove(x, 500)
    ref = npf.notch(ref, 500, 60.0)
    ref = npf.bandpass(ref, 500, 1.0, 40.0)
    ref = npf.resample(ref, 500, 250)
    ref = npf.normalize(ref, "min-max")
    assert fs == 250
    np.testing.assert_array_equal(out, ref)


def test_custom_order_like_torch_ecg() -> None:
    cfg = {
        "order": ["resample", "bandpass", "normalize"],
        "resample": {"fs": 500},
        "bandpass": {},
        "normalize": {},
    }
    ppm = PreprocManager.from_config(cfg)
    assert ppm.steps == ("resample", "bandpass", "normalize")
    x = RNG.standard_normal((2, 4000))
    out, fs = ppm(x, 200)
    ref = npf.normalize(npf.bandpass(npf.resample(x, 200, 500), 500))
    assert fs == 500
    np.testing.assert_array_equal(out, ref)
    with pytest.raises(ValueError, match=r"misses the enabled step\(s\) \['normalize'\]"):
        PreprocManager.from_config({**cfg, "order": ["resample", "bandpass"]})
    with pytest.raises(ValueError, match="unknown step 'bandpas'; did you mean 'bandpass'"):
        PreprocManager.from_config({**cfg, "order": ["resample", "bandpas", "normalize"]})
    with pytest.raises(ValueError, match="repeat"):
        PreprocManager.from_config({**cfg, "order": ["resample", "bandpass", "normalize"] * 2})


def test_shapes_all_ndims_and_batch_equals_items() -> None:
    ppm = PreprocManager.from_config({"resample": {"fs": 250}, "bandpass": {}, "normalize": {}})
    x = RNG.standard_normal((3, 2, 2000))
    out, fs = ppm(x, 500)
    assert out.shape == (3, 2, 1000) and fs == 250
    items = np.stack([ppm(item, 500)[0] for item in x])
    np.testing.assert_allclose(out, items, rtol=1e-12, atol=1e-12)
    one, _ = ppm(x[0, 0], 500)
    assert one.shape == (1000,)
    np.testing.assert_allclose(one, out[0, 0], rtol=1e-12, atol=1e-12)


def test_random_order_is_seeded_and_varies() -> None:
    cfg = {"random": True, "seed": 3, "bandpass": {}, "notch": {}, "normalize": {}}
    a = PreprocManager.from_config(cfg)
    b = PreprocManager.from_config(cfg)
    orders_a = [a.next_order() for _ in range(20)]
    orders_b = [b.next_order() for _ in range(20)]
    assert orders_a == orders_b
    assert len(set(orders_a)) > 1
    assert all(sorted(o) == sorted(a.steps) for o in orders_a)
    x = RNG.standard_normal((2, 2000))
    c, d = PreprocManager.from_config(cfg), PreprocManager.from_config(cfg)
    for _ in range(3):
        np.testing.assert_array_equal(c(x, 500)[0], d(x, 500)[0])
    c.seed(11)
    d.seed(11)
    assert [c.next_order() for _ in range(5)] == [d.next_order() for _ in range(5)]


def test_random_order_result_matches_that_order() -> None:
    cfg = {"random": True, "seed": 0, "bandpass": {}, "normalize": {"method": "min-max"}}
    ppm = PreprocManager.from_config(cfg)
    probe = PreprocManager.from_config(cfg)
    x = RNG.standard_normal((2, 2000))
    for _ in range(4):
        order = probe.next_order()
        out, _ = ppm(x, 500)
        ref = x
        for step in order:
            ref = npf.bandpass(ref, 500) if step == "bandpass" else npf.normalize(ref, "min-max")
        np.testing.assert_array_equal(out, ref)


def test_tensor_input_matches_numpy_and_keeps_dtype() -> None:
    ppm = PreprocManager.from_config(
        {
            "baseline_remove": {"method": "polynomial", "degree": 2},
            "resample": {"fs": 360},
            "bandpass": {},
            "normalize": {},
        }
    )
    x = RNG.standard_normal((2, 3, 2500)).astype(np.float32)
    out_np, fs_np = ppm(x, 500)
    out_t, fs_t = ppm(torch.from_numpy(x), 500)
    assert isinstance(out_t, torch.Tensor) and out_t.dtype == torch.float32
    assert fs_t == fs_np == 360
    np.testing.assert_allclose(out_t.numpy(), out_np, rtol=1e-4, atol=1e-4)


def test_dtype_option() -> None:
    x = RNG.standard_normal((2, 3000))
    cfg = {"dtype": "float32", "resample": {"fs": 500}, "bandpass": {}, "normalize": {}}
    out, fs = PreprocManager.from_config(cfg)(x, 200)
    assert out.dtype == np.float32 and fs == 500
    ref, _ = PreprocManager.from_config({**cfg, "dtype": None})(x, 200)
    assert ref.dtype == np.float64
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
    t, _ = PreprocManager.from_config({**cfg, "dtype": "float64"})(torch.from_numpy(x).float(), 200)
    assert t.dtype == torch.float64
    with pytest.raises(ValueError, match="dtype must be one of"):
        PreprocManager.from_config({"dtype": "float16"})


def test_empty_manager_copies() -> None:
    ppm = PreprocManager.from_config({})
    assert ppm.empty
    x = RNG.standard_normal((2, 100))
    out, fs = ppm(x, 100)
    np.testing.assert_array_equal(out, x)
    assert not np.shares_memory(out, x) and fs == 100


def test_config_objects_and_copy_edit() -> None:
    cfg = PreprocConfig(bandpass=BandpassConfig(highcut=30.0), resample=ResampleConfig(fs=250))
    c2 = deepcopy(cfg)
    assert c2.bandpass is not None
    c2.bandpass.order = 2
    assert cfg.bandpass is not None and cfg.bandpass.order == 4
    ppm = PreprocManager.from_config(c2)
    assert ppm.steps == ("bandpass", "resample")
    assert PreprocConfig.from_config({"bandpass": True, "notch": None}).bandpass == BandpassConfig()
    assert NormalizeConfig.from_config({"mean": [0, 1]}).mean == (0.0, 1.0)
    assert BaselineRemoveConfig(windows=[0.1]).windows == (0.1,)  # type: ignore[arg-type]
    assert "bandpass" in repr(ppm)


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"bandpas": {}}, r"unknown preprocessing config key 'bandpas'; did you mean 'bandpass'"),
        (
            {"bandpass": {"lowcutt": 1}},
            r"unknown bandpass config key 'lowcutt'.*allowed keys: lowcut",
        ),
        (
            {"resample": {"fs": 0}},
            r"resample.fs must be a finite sampling rate in \[1, 100000\] Hz",
        ),
        ({"bandpass": {"lowcut": 40, "highcut": 30}}, "lowcut < highcut"),
        ({"bandpass": {"lowcut": None, "highcut": None}}, "both are None"),
        ({"bandpass": {"order": 0}}, "order must be an integer >= 1"),
        ({"normalize": {"method": "zscore"}}, "did you mean 'z-score'"),
        ({"normalize": {"std": 0}}, "normalize.std must be finite and > 0"),
        ({"baseline_remove": {"windows": [0.2, 0]}}, r"windows\[1\] must be finite and > 0 s"),
        ({"baseline_remove": {"method": "spline"}}, "'median' or 'polynomial'"),
        ({"notch": {"freq": -50}}, "notch.freq must be finite and > 0 Hz"),
    ],
)
def test_config_errors(config: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PreprocManager.from_config(config)


def test_call_errors() -> None:
    ppm = PreprocManager.from_config({"bandpass": {"highcut": 300}})
    x = RNG.standard_normal((2, 1000))
    with pytest.raises(ValueError, match=r"highcut=300 Hz must be below fs/2 = 250 Hz"):
        ppm(x, 500)
    ok = PreprocManager.from_config({"bandpass": {}})
    with pytest.raises(ValueError, match=r"fs must be a finite sampling rate in \[1, 100000\] Hz"):
        ok(x, -1)
    bad = x.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="finite"):
        ok(bad, 500)
    with pytest.raises(ValueError, match="shape"):
        ok(np.zeros((1, 1, 1, 100)), 500)
    with pytest.raises(ValueError, match="padlen=27"):
        ok(x[:, :20], 500)
    with pytest.raises(TypeError, match="mapping"):
        PreprocManager.from_config([("bandpass", {})])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="random must be a bool"):
        PreprocManager.from_config({"random": "yes"})
