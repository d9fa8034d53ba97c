"""ecg_benchmarks: the ecg-suite case studies and the ``ecg-bench`` command.

Each case study trains a task model on its database and scores it with the official metric of its
challenge. Run them with ``ecg-bench run NAME`` or from Python with :func:`get_benchmark`; a new
case subclasses the template :class:`ecg_benchmarks.template.Case` and registers itself with
:func:`register_benchmark`.

The public names are the re-exports of the ``TYPE_CHECKING`` block below, listed once (add a
name there); :func:`ecg_signal.lazy.attach` resolves them on first use, so importing
``ecg_benchmarks`` imports no heavy dependency.
"""

from typing import TYPE_CHECKING

from ecg_benchmarks._version import __version__ as __version__
from ecg_signal.lazy import attach

if TYPE_CHECKING:
    from ecg_benchmarks.base import Benchmark as Benchmark
    from ecg_benchmarks.base import BenchmarkError as BenchmarkError
    from ecg_benchmarks.base import BenchmarkSettings as BenchmarkSettings
    from ecg_benchmarks.base import RunInterruptedError as RunInterruptedError
    from ecg_benchmarks.base import RunOptions as RunOptions
    from ecg_benchmarks.base import get_benchmark as get_benchmark
    from ecg_benchmarks.base import list_benchmarks as list_benchmarks
    from ecg_benchmarks.base import register_benchmark as register_benchmark
    from ecg_benchmarks.paths import sample_data_root as sample_data_root
    from ecg_benchmarks.runs import RunDir as RunDir
    from ecg_benchmarks.runs import RunDirError as RunDirError
    from ecg_benchmarks.settings import SettingsError as SettingsError

if not TYPE_CHECKING:
    __getattr__, __dir__, __all__ = attach(__name__, __file__)
