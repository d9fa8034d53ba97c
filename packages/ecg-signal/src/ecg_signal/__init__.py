"""ecg_signal."""

from ecg_signal._version import __version__

__all__ = ["__version__"]
