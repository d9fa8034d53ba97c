"""ecg_models."""

from ecg_models._version import __version__

__all__ = ["__version__"]
