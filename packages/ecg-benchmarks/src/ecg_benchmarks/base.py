"""The benchmark contract, the settings every case has, and the registry of case studies.

A case study is a :class:`Benchmark` subclass registered with :func:`register_benchmark`
(in the manner of timm's ``@register_model``). Its typed settings extend
:class:`BenchmarkSettings`. Most cases subclass the template
:class:`ecg_benchmarks.template.Case`, which runs load data -> build model -> fit -> evaluate ->
report and asks the case only for what differs.

Where cases are found:

- the modules of the package :mod:`ecg_benchmarks.cases` whose names do not start with ``_``
  (``ecg_benchmarks.cases.<name>`` is imported first when ``<name>`` is asked for);
- the modules named by ``ecg-bench --plugin MODULE`` or the environment variable
  ``ECG_BENCH_PLUGINS`` (comma separated), imported before the command runs;
- the entry points of the group ``ecg_benchmarks.cases`` of installed distributions (each loads
  a module that registers its cases).

Nothing is imported before a benchmark is asked for.
"""

from __future__ import annotations

import abc
import difflib
import importlib
import math
import os
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

if TYPE_CHECKING:
    from ecg_benchmarks.runs import RunDir

__all__ = [
    "Benchmark",
    "BenchmarkError",
    "BenchmarkSettings",
    "PLUGIN_ENV",
    "RunInterruptedError",
    "RunOptions",
    "get_benchmark",
    "list_benchmarks",
    "load_plugins",
    "register_benchmark",
]

PLUGIN_ENV = "ECG_BENCH_PLUGINS"
ENTRY_POINT_GROUP = "ecg_benchmarks.cases"


class BenchmarkError(RuntimeError):
    """A benchmark cannot run as asked (missing data, wrong database, bad settings)."""


class RunInterruptedError(RuntimeError):
    """Training stopped on SIGINT/SIGTERM after writing a checkpoint.

    Attributes:
        signal_name: ``"SIGINT"`` or ``"SIGTERM"`` (or another reason given to the trainer).
        checkpoint: the checkpoint written on the way out, or None.
        run_path: the run folder (resume with ``ecg-bench run NAME --resume run_path``).
        benchmark: the benchmark name.
    """

    def __init__(
        self, signal_name: str, checkpoint: Path | None, run_path: Path, benchmark: str
    ) -> None:
        super().__init__(f"training interrupted by {signal_name}")
        self.signal_name = signal_name
        self.checkpoint = checkpoint
        self.run_path = run_path
        self.benchmark = benchmark


def _noop() -> None:
    return None


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run, as opposed to what to run (the settings).

    Attributes:
        resume: continue from the newest valid checkpoint of the run folder.
        progress: print progress (and per-epoch metrics).
        begin: called once every check has passed, right before the first write into the run
            folder (creates the folder, takes its lock, writes ``config.toml``).
        resumed: called after the trainer accepted the checkpoint of a resumed run (writes the
            updated ``config.toml``).
    """

    resume: bool = False
    progress: bool = True
    begin: Callable[[], None] = field(default=_noop)
    resumed: Callable[[], None] = field(default=_noop)


@dataclass(slots=True)
class BenchmarkSettings:
    """The settings every case has; a case's settings class extends it (``@dataclass(slots=True)``).

    Case-specific checks go in :meth:`validate` (called by ``__post_init__``, so they run on
    construction and after every ``--set``); a subclass does not define ``__post_init__``.

    Attributes:
        data_dir: the database folder (default: the sample data of the case, see
            :func:`ecg_benchmarks.paths.sample_data_root`).
        epochs: number of training epochs (>= 1).
        device: where to train and evaluate: cpu or cuda.
        seed: seed of the split, the initialisation and the data order (>= 0).
    """

    data_dir: str | None = None
    epochs: int = 10
    device: Literal["cpu", "cuda"] = "cpu"
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"device must be cpu or cuda, got {self.device!r}")
        self.validate()

    def validate(self) -> None:
        """Case-specific checks (raise ValueError naming the key, the value and the rule)."""


def check_finite(name: str, value: float) -> None:
    """Raise ValueError when ``value`` is NaN or infinite (``name`` is the setting's key)."""
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")


class Benchmark(abc.ABC):
    """One case study: its settings and its end-to-end pipeline.

    ``evaluate`` and ``predict`` are given by the template :class:`~ecg_benchmarks.template.Case`;
    a benchmark written from scratch may leave them out (the commands then say so).
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    #: True when ``run`` calls ``options.begin()`` itself (the template does); otherwise the
    #: command calls it before ``run``.
    calls_begin: ClassVar[bool] = False

    @abc.abstractmethod
    def default_settings(self) -> Any:
        """A fresh settings tree (slots dataclasses) with this benchmark's defaults."""

    @abc.abstractmethod
    def run(self, settings: Any, run: RunDir, options: RunOptions) -> dict[str, Any]:
        """Train and evaluate; write checkpoints, logs, history and figures; return the metrics."""

    def evaluate(self, settings: Any, run: RunDir, data_dir: Path) -> dict[str, Any]:
        """Score the finished run's model on every record of ``data_dir``; return the metrics."""
        raise BenchmarkError(f"benchmark {self.name!r} does not support `ecg-bench evaluate`")

    def predict(self, source: Any, records: list[Path], out: Path) -> list[Path]:
        """Write predictions for ``records`` into ``out``; return the files written."""
        raise BenchmarkError(f"benchmark {self.name!r} does not support `ecg-bench predict`")

    def pretrained_names(self) -> tuple[str, ...]:
        """Names of the pretrained models that this case can predict with (none by default)."""
        return ()


B = TypeVar("B", bound=type[Benchmark])

_REGISTRY: dict[str, type[Benchmark]] = {}
_MODULE_OF: dict[str, str] = {}
_discovered = False


def register_benchmark(cls: B) -> B:
    """Class decorator: register a :class:`Benchmark` subclass under its ``name``.

    Raises:
        BenchmarkError: the class has no ``name``/``summary`` or another class has that name.
    """
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name or not isinstance(getattr(cls, "summary", None), str):
        raise BenchmarkError(f"{cls.__qualname__} needs the class attributes name and summary")
    old = _REGISTRY.get(name)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise BenchmarkError(
            f"benchmark name {name!r} is taken by {old.__module__}.{old.__qualname__}"
        )
    _REGISTRY[name] = cls
    _MODULE_OF[name] = cls.__module__
    return cls


def _import(module: str, what: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise BenchmarkError(f"cannot import {what} {module!r}: {exc}") from exc


def load_plugins(modules: list[str] | tuple[str, ...] = ()) -> None:
    """Import the plugin modules ``modules`` and those of ``$ECG_BENCH_PLUGINS``.

    Raises:
        BenchmarkError: a module cannot be imported.
    """
    env = [m.strip() for m in os.environ.get(PLUGIN_ENV, "").split(",") if m.strip()]
    for module in [*env, *modules]:
        _import(module, "plugin module")


def _builtin_modules() -> list[str]:
    import ecg_benchmarks.cases as pkg

    return [
        f"{pkg.__name__}.{m.name}"
        for m in pkgutil.iter_modules(pkg.__path__)
        if not m.name.startswith("_")
    ]


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    for module in _builtin_modules():
        _import(module, "case module")
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _import(ep.value.partition(":")[0], f"entry point {ep.name}")
    _discovered = True


def list_benchmarks() -> dict[str, str]:
    """Registered benchmark names with their one-line summaries (imports every case module)."""
    _discover()
    return {name: _REGISTRY[name].summary for name in sorted(_REGISTRY)}


def benchmark_module(name: str) -> str | None:
    """The module that registered ``name`` (None when unknown)."""
    return _MODULE_OF.get(name)


def get_benchmark(name: str) -> Benchmark:
    """The benchmark registered as ``name``.

    Raises:
        BenchmarkError: no benchmark has that name (the message lists close matches).
    """
    if name not in _REGISTRY and name.isidentifier():
        import ecg_benchmarks.cases as pkg

        if any(m.name == name for m in pkgutil.iter_modules(pkg.__path__)):
            _import(f"{pkg.__name__}.{name}", "case module")
    if name not in _REGISTRY:
        _discover()
    cls = _REGISTRY.get(name)
    if cls is None:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise BenchmarkError(
            f"unknown benchmark {name!r}{hint} Available: {', '.join(sorted(_REGISTRY))}"
        )
    return cls()
