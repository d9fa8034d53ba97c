"""Every registered benchmark: typed settings extending BenchmarkSettings, each setting documented
(type, default and meaning for ``ecg-bench run NAME --help``), a summary, the TOML round trip."""

from __future__ import annotations

import tomllib

import pytest

from ecg_benchmarks.base import BenchmarkSettings, get_benchmark, list_benchmarks
from ecg_benchmarks.settings import apply_overrides, describe, dump_toml, flatten, to_dict

NAMES = sorted(list_benchmarks())


def test_the_built_in_cases_are_registered() -> None:
    expected = {"cinc2020", "cinc2021", "cpsc2019", "cpsc2020", "cpsc2021", "ludb", "ptbxl"}
    assert expected <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_entry_has_documented_typed_settings(name: str) -> None:
    bench = get_benchmark(name)
    assert bench.name == name and bench.summary.strip()
    settings = bench.default_settings()
    assert isinstance(settings, BenchmarkSettings)
    rows = describe(settings)
    assert {"data_dir", "epochs", "device", "seed"} <= {key for key, *_ in rows}
    undocumented = [key for key, _, _, meaning in rows if not meaning]
    assert not undocumented, f"{name}: settings without a meaning for --help: {undocumented}"
    # the resolved settings written as config.toml read back to the same values
    text = dump_toml(to_dict(settings))
    again = bench.default_settings()
    apply_overrides(again, flatten(tomllib.loads(text)))
    assert to_dict(again) == to_dict(settings)
