"""The benchmark contract and the registry of case studies.

A case study subclasses :class:`Benchmark`: it gives typed default settings (a slots dataclass with
at least ``data_dir``, ``epochs``, ``device`` and ``seed``) and ``run``, which trains, evaluates
with the official metric of its challenge, and writes into the :class:`~ecg_benchmarks.runs.RunDir`.
Case studies are registered by name and imported only when used.
"""

from __future__ import annotations

import abc
import difflib
import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

from ecg_benchmarks.runs import RunDir

__all__ = ["Benchmark", "BenchmarkError", "RunOptions", "get_benchmark", "list_benchmarks"]


class BenchmarkError(RuntimeError):
    """A benchmark cannot run as asked (missing data, wrong database, bad settings)."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run, as opposed to what to run (the settings)."""

    resume: bool = False
    progress: bool = True


class Benchmark(abc.ABC):
    """One case study: its settings and its end-to-end pipeline."""

    name: ClassVar[str]
    summary: ClassVar[str]

    @abc.abstractmethod
    def default_settings(self) -> Any:
        """A fresh settings tree (slots dataclasses) with this benchmark's defaults."""

    @abc.abstractmethod
    def run(self, settings: Any, run: RunDir, options: RunOptions) -> dict[str, Any]:
        """Train and evaluate; write checkpoints, logs, history and figures; return the metrics."""


# name -> "module:Class"; modules are imported on first use.
_REGISTRY: dict[str, str] = {
    "cpsc2019": "ecg_benchmarks.cases.cpsc2019:CPSC2019Benchmark",
    "cinc2021": "ecg_benchmarks.cases.cinc2021:CINC2021Benchmark",
    "cinc2020": "ecg_benchmarks.cases.cinc2020:CINC2020Benchmark",
    "ludb": "ecg_benchmarks.cases.ludb:LUDBBenchmark",
    "cpsc2021": "ecg_benchmarks.cases.cpsc2021:CPSC2021Benchmark",
    "cpsc2020": "ecg_benchmarks.cases.cpsc2020:CPSC2020Benchmark",
    "ptbxl": "ecg_benchmarks.cases.ptbxl:PTBXLBenchmark",
}


def list_benchmarks() -> dict[str, str]:
    """Registered benchmark names with their one-line summaries."""
    return {name: get_benchmark(name).summary for name in sorted(_REGISTRY)}


def get_benchmark(name: str) -> Benchmark:
    """The benchmark registered as ``name``.

    Raises:
        BenchmarkError: no benchmark has that name (the message lists close matches).
    """
    target = _REGISTRY.get(name)
    if target is None:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise BenchmarkError(
            f"unknown benchmark {name!r}{hint} Available: {', '.join(sorted(_REGISTRY))}"
        )
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    instance: Benchmark = cls()
    return instance
