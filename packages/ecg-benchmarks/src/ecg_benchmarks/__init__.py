"""ecg_benchmarks."""

from ecg_benchmarks._version import __version__

__all__ = ["__version__"]
