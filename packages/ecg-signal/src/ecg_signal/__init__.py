"""ecg_signal: preprocessing (numpy/scipy with torch twins), augmentation (torch), their managers,
R-peak detectors and ECG simulation.

Public names are resolved lazily (PEP 562): importing ``ecg_signal`` imports no heavy
dependency until a name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ecg_signal._version import __version__

if TYPE_CHECKING:
    from ecg_signal.simulate import (
        FIDUCIALS as FIDUCIALS,
    )
    from ecg_signal.simulate import (
        STANDARD_LEADS as STANDARD_LEADS,
    )
    from ecg_signal.simulate import (
        SimulatedECG as SimulatedECG,
    )
    from ecg_signal.simulate import (
        SimulationConfig as SimulationConfig,
    )
    from ecg_signal.simulate import (
        simulate_ecg as simulate_ecg,
    )
    from ecg_signal.simulate import (
        simulate_from_config as simulate_from_config,
    )

_EXPORTS: dict[str, str] = {
    "FIDUCIALS": "ecg_signal.simulate",
    "STANDARD_LEADS": "ecg_signal.simulate",
    "SimulatedECG": "ecg_signal.simulate",
    "SimulationConfig": "ecg_signal.simulate",
    "simulate_ecg": "ecg_signal.simulate",
    "simulate_from_config": "ecg_signal.simulate",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ecg_signal' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
