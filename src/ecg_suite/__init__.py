"""ecg-suite: the meta-package that installs the five ecg-* packages.

It has almost no code of its own: :class:`CFG` (a dict with attribute access, for seed-style
configuration code), ``__version__``, and lazy re-exports of the most used names of the five
packages, so ``from ecg_suite import ECG_CRNN`` works without importing everything up front.
"""

from __future__ import annotations

import importlib
from typing import Any

from ecg_suite._cfg import CFG
from ecg_suite._version import __version__

# name -> module that defines it; resolved on first access (PEP 562), so importing ecg_suite
# imports none of the packages.
_REEXPORTS: dict[str, str] = {}

__all__ = ["CFG", "__version__", *sorted(_REEXPORTS)]


def __getattr__(name: str) -> Any:
    module = _REEXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ecg_suite' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_REEXPORTS))
