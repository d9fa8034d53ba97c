"""The one mapping-to-config helper (:mod:`ecg_signal.config`) and its users' messages."""

from __future__ import annotations

import dataclasses

import pytest

from ecg_signal import PreprocConfig
from ecg_signal.config import check_keys, config_from, unknown_key_error


@dataclasses.dataclass(slots=True)
class _Cfg:
    lowcut: float = 0.5
    highcut: float = 45.0
    order: int = 3

    def __post_init__(self) -> None:
        if self.order < 1:
            raise ValueError(f"order must be >= 1, got {self.order}")


def test_builds_copies_and_defaults() -> None:
    assert config_from(_Cfg, {"order": 4}) == _Cfg(order=4)
    assert config_from(_Cfg, None) == _Cfg()
    cfg = _Cfg()
    copied = config_from(_Cfg, cfg)
    assert copied == cfg and copied is not cfg
    cfg.order = 0  # copy-and-edit is validated again
    with pytest.raises(ValueError, match="order must be >= 1, got 0"):
        config_from(_Cfg, cfg)
    with pytest.raises(TypeError, match="the band config must be a mapping or a _Cfg, got list"):
        config_from(_Cfg, [1, 2], "band")


def test_unknown_key_message() -> None:
    with pytest.raises(ValueError) as info:
        config_from(_Cfg, {"lowcutt": 1.0}, "bandpass config")
    assert str(info.value) == (
        "unknown bandpass config key 'lowcutt'; did you mean 'lowcut'? "
        "allowed keys: lowcut, highcut, order"
    )
    assert str(unknown_key_error("zzz", ["a", "b"], "setting")) == (
        "unknown setting 'zzz'; allowed keys: a, b"
    )
    err = unknown_key_error(["ordr", "qq"], ["lowcut", "order"], "_Cfg key")
    assert str(err) == (
        "unknown _Cfg keys 'ordr', 'qq'; did you mean 'order' for 'ordr'? "
        "allowed keys: lowcut, order"
    )
    check_keys(["a"], ["a", "b"])  # known keys pass


def test_preprocessing_accepts_the_seed_name_detrend() -> None:
    cfg = PreprocConfig.from_config({"detrend": {}, "normalize": {}})
    assert cfg.baseline_remove is not None
    assert cfg == PreprocConfig.from_config({"baseline_remove": {}, "normalize": {}})
    with pytest.raises(ValueError, match="either 'baseline_remove' or its alias 'detrend'"):
        PreprocConfig.from_config({"detrend": {}, "baseline_remove": {}})
