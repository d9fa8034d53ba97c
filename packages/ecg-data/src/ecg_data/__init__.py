"""ecg_data."""

from ecg_data._version import __version__

__all__ = ["__version__"]
