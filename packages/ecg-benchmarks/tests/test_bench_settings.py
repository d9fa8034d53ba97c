"""Settings overrides (--set, TOML) are typed and checked; the TOML writer round-trips."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Literal

import pytest

from ecg_benchmarks.settings import (
    SettingsError,
    apply_overrides,
    dump_toml,
    flatten,
    load_toml,
    parse_assignments,
    to_dict,
)


@dataclass(slots=True)
class _Train:
    batch_size: int = 8
    lr: float = 1e-3
    amp: bool = False
    leads: tuple[str, ...] = ("I", "II")

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


@dataclass(slots=True)
class _Settings:
    data_dir: str | None = None
    epochs: int = 3
    device: Literal["cpu", "cuda"] = "cpu"
    train: _Train = field(default_factory=_Train)


def test_typed_overrides() -> None:
    s = _Settings()
    apply_overrides(
        s,
        parse_assignments(
            ["epochs=5", "device=cuda", "train.lr=0.01", "train.amp=true", "train.leads=I,V1,V5"]
        ),
    )
    assert s.epochs == 5
    assert s.device == "cuda"
    assert s.train.lr == pytest.approx(0.01)
    assert s.train.amp is True
    assert s.train.leads == ("I", "V1", "V5")
    apply_overrides(s, {"data_dir": "none"})
    assert s.data_dir is None
    apply_overrides(s, {"data_dir": "/x"})
    assert s.data_dir == "/x"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("epochs", "three", "epochs expects int, got 'three'"),
        ("epochs", 2.5, "epochs expects int"),
        ("device", "tpu", r"device must be one of \['cpu', 'cuda'\], got 'tpu'"),
        ("train.amp", "maybe", "train.amp expects true or false"),
        ("train.batch_size", "0", "batch_size must be >= 1, got 0"),
        (
            "train.bacth_size",
            "4",
            r"unknown setting 'train.bacth_size'; did you mean 'train.batch_size'\? allowed keys: ",
        ),
        ("epochs.x", "1", "epochs is not a section"),
    ],
)
def test_bad_overrides_name_key_and_constraint(key: str, value: object, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        apply_overrides(_Settings(), {key: value})


@dataclass(slots=True)
class _Model:
    filters: tuple[int, ...] = (8, 16)
    down_scales: tuple[int, ...] = (2, 2)

    def __post_init__(self) -> None:
        if len(self.filters) != len(self.down_scales):
            raise ValueError(
                f"{len(self.filters)} filters need as many down_scales, got {len(self.down_scales)}"
            )


@dataclass(slots=True)
class _WithModel:
    epochs: int = 3
    model: _Model = field(default_factory=_Model)

    def __post_init__(self) -> None:
        if self.epochs > 10 and len(self.model.filters) < 3:
            raise ValueError("more than 10 epochs need at least 3 levels")


def test_fields_that_must_agree_are_set_together_and_checked_once_all_are_set() -> None:
    s = _WithModel()
    apply_overrides(s, {"model.filters": "8,16,32", "model.down_scales": "2,2,4"})
    assert s.model.filters == (8, 16, 32)
    assert s.model.down_scales == (2, 2, 4)
    with pytest.raises(SettingsError, match=r"model.filters='8,16,32,64': 4 filters need as many"):
        apply_overrides(_WithModel(), {"model.filters": "8,16,32,64"})
    # the root's cross-section checks run too, after the sections' own
    with pytest.raises(SettingsError, match=r"epochs='20': more than 10 epochs need"):
        apply_overrides(_WithModel(), {"epochs": "20"})
    with pytest.raises(SettingsError, match="more than 10 epochs need"):
        apply_overrides(
            _WithModel(), {"model.filters": "8", "model.down_scales": "2", "epochs": 20}
        )


def test_parse_assignments_rejects_missing_equals() -> None:
    with pytest.raises(SettingsError, match="key=value"):
        parse_assignments(["epochs"])


def test_toml_round_trip(tmp_path) -> None:
    s = _Settings(epochs=7)
    s.train.leads = ("V1",)
    text = dump_toml(to_dict(s))
    assert tomllib.loads(text) == {
        "epochs": 7,
        "device": "cpu",
        "train": {"batch_size": 8, "lr": 0.001, "amp": False, "leads": ["V1"]},
    }
    path = tmp_path / "c.toml"
    path.write_text(text)
    again = _Settings()
    apply_overrides(again, load_toml(path))
    assert again == s
    assert flatten({"a": {"b": 1}, "c": [1]}) == {"a.b": 1, "c": [1]}


def test_load_toml_errors(tmp_path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_toml(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = = 3")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_toml(bad)
