"""ecg_train."""

from ecg_train._version import __version__

__all__ = ["__version__"]
