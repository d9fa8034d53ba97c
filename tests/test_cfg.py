"""ecg_suite.CFG: a dict with attribute access that seed-style config code relies on."""

from __future__ import annotations

import pickle
from copy import deepcopy

import pytest

import ecg_suite
from ecg_suite import CFG


def test_attribute_access_and_nesting() -> None:
    cfg = CFG(random=False, fs=500, resample={"fs": 500}, chain=[{"a": 1}])
    assert cfg.fs == 500 and cfg["fs"] == 500
    assert isinstance(cfg.resample, CFG) and cfg.resample.fs == 500
    assert isinstance(cfg.chain[0], CFG) and cfg.chain[0].a == 1
    cfg.bandpass = {"lowcut": 0.5}
    assert cfg["bandpass"].lowcut == 0.5
    del cfg.bandpass
    assert "bandpass" not in cfg


def test_missing_key_is_an_attribute_error_naming_the_keys() -> None:
    cfg = CFG(fs=500)
    with pytest.raises(AttributeError, match=r"no key 'fss'.*\['fs'\]"):
        _ = cfg.fss
    assert not hasattr(cfg, "nothing")
    with pytest.raises(AttributeError):
        del cfg.nothing


def test_update_merges_nested_mappings() -> None:
    cfg = CFG(resample={"fs": 500, "method": "poly"}, normalize={})
    cfg.update({"resample": {"fs": 250}}, normalize={"method": "min-max"})
    assert cfg.resample == {"fs": 250, "method": "poly"}
    assert cfg.normalize.method == "min-max"
    cfg.update([("fs", 100)])
    assert cfg.fs == 100
    with pytest.raises(TypeError):
        cfg.update({}, {})
    with pytest.raises(TypeError):
        cfg.update(3)


def test_copies_and_pickle_keep_the_type() -> None:
    cfg = CFG(a={"b": [1, 2]})
    deep = deepcopy(cfg)
    deep.a.b.append(3)
    assert cfg.a.b == [1, 2] and isinstance(deep.a, CFG)
    shallow = cfg.copy()
    assert isinstance(shallow, CFG) and shallow.a is cfg.a
    again = pickle.loads(pickle.dumps(cfg))
    assert again == cfg and isinstance(again.a, CFG)
    assert repr(CFG(x=1)) == "CFG({'x': 1})"


def test_meta_package_surface() -> None:
    assert ecg_suite.__version__
    assert "CFG" in ecg_suite.__all__
    with pytest.raises(AttributeError):
        _ = ecg_suite.no_such_name
