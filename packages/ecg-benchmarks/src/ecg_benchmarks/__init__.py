"""ecg_benchmarks: the ecg-suite case studies and the ``ecg-bench`` command.

Each case study trains a task model on its database and scores it with the official metric of its
challenge. Run them with ``ecg-bench run NAME`` or from Python with :func:`get_benchmark`; a new
case subclasses the template :class:`ecg_benchmarks.template.Case` and registers itself with
:func:`register_benchmark`.
"""

from ecg_benchmarks._version import __version__
from ecg_benchmarks.base import (
    Benchmark,
    BenchmarkError,
    BenchmarkSettings,
    RunInterrupted,
    RunOptions,
    get_benchmark,
    list_benchmarks,
    register_benchmark,
)
from ecg_benchmarks.paths import sample_data_root
from ecg_benchmarks.runs import RunDir, RunDirError
from ecg_benchmarks.settings import SettingsError

__all__ = [
    "Benchmark",
    "BenchmarkError",
    "BenchmarkSettings",
    "RunInterrupted",
    "RunDir",
    "RunDirError",
    "RunOptions",
    "SettingsError",
    "__version__",
    "get_benchmark",
    "list_benchmarks",
    "register_benchmark",
    "sample_data_root",
]
